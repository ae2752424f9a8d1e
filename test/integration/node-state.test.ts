import { join } from 'node:path';
import { getChannels } from 'lightning';
import { describe, expect, inject, it } from 'vitest';
import { createPayerRuntime } from '../../functions/payer/runtime.js';
import { startStackProcess, stopStackProcess } from '../../infra/local/stack/stack.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { driveTip, payTipMessage } from '../../shared/app/pay-tip.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { MAX_SENDS } from '../../shared/domain/payment-failure.js';
import { TransientPaymentError } from '../../shared/ports/errors.js';
import {
  enqueue,
  receivedBy,
  type StackClients,
  tipRequest,
  useLocalService,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');
const stackFile = join(stack.runDir, 'stack.json');

/** Waits until alice's channel with frank is (in)active as asked, as LND's ListChannels says. */
const franksChannel = (clients: StackClients, active: boolean) =>
  waitFor(
    `alice's channel with frank to be ${active ? 'active' : 'inactive'}`,
    async () => {
      const { channels } = await getChannels({ lnd: clients.lnd.alice as never });
      const frank = stackNode(stack, 'frank').pubkey;
      const channel = channels.find((c) => c.partner_public_key === frank);
      return channel?.is_active === active ? channel : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );

/** With frank's lnd stopped (alice's 1M-sat private channel to him inactive), runs `body`. */
const withFrankDown = async (clients: StackClients, body: () => Promise<void>) => {
  await stopStackProcess(stackFile, 'lnd-frank');
  try {
    await franksChannel(clients, false);
    await body();
  } finally {
    await startStackProcess(stackFile, 'lnd-frank');
    await franksChannel(clients, true);
  }
};

describe.runIf(stack.lightning.network === 'regtest')(
  "the node-state rule on the real stack: holds only what the node's own state explains",
  () => {
    const f = useLocalService(stack, 'node-state', () => ({
      batchSize: 5,
      visibilityTimeoutSeconds: 2,
      functionTimeoutMs: 10_000,
      // A held tip is acknowledged and left to the reconciler: it runs often here.
      reconcileEveryMs: 1_000,
      env: {
        TIPSTREAM_MAX_TIP_SATS: '10000000',
        TIPSTREAM_STUCK_AFTER_SECONDS: '2',
        TIPSTREAM_DEADLINE_MARGIN_MS: '3000',
        TIPSTREAM_LEASE_GRACE_MS: '1000',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    }));

    it('a genuine NO_ROUTE fails at once while a channel too small for the tip is down (not held for the window)', async () => {
      await withFrankDown(f.clients, async () => {
        // bob → dave is a 5M-sat channel: 6M sats cannot reach dave, whatever frank does; frank's
        // 1M-sat channel could not carry it either.
        const request = tipRequest(stack, 'dave', { amountMsat: 6_000_000_000 });
        await enqueue(f.queueUrl, f.clients, [request]);
        const tip = await waitForTip(f.clients, request.tipId, ['FAILED', 'SUCCEEDED'], 30_000);
        expect(tip).toMatchObject({ state: 'FAILED', failureCode: 'NO_ROUTE', attempt: 1 });
        expect(tip.heldSince).toBeUndefined();
      });
    }, 180_000);

    it('a tip whose only channel is down is held (its message acknowledged), then paid once when the channel is back', async () => {
      const request = tipRequest(stack, 'frank', { amountMsat: 7_000_000 });
      await withFrankDown(f.clients, async () => {
        await enqueue(f.queueUrl, f.clients, [request]);
        const held = await waitFor(
          `tip ${request.tipId} to be held`,
          async () => {
            const tip = await f.clients.ledger.getTip(request.tipId);
            return tip?.heldSince ? tip : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        expect(held).toMatchObject({ state: 'SENDING', attempt: 1 });
        // Held for as long as the channel is down: never FAILED meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        expect((await f.clients.ledger.getTip(request.tipId))?.state).toBe('SENDING');
      });
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED'], 90_000);
      expect(tip, tip.failureReason).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
      const received = await receivedBy(f.clients, 'frank', tip.paymentHash);
      expect(received).toHaveLength(1);
      expect(received[0]?.received_mtokens).toBe('7000000');
    }, 240_000);

    it('a tip held on its third send is sent again once the channel is back, and paid once', async () => {
      // The payer's own code on the real node and tables, driven here so the third send is the
      // one frank's channel fails (a delivery or the reconciler would ask LND and the node first).
      const payer = createPayerRuntime(f.service.env);
      const request = tipRequest(stack, 'frank', { amountMsat: 8_000_000 });
      const message = { messageId: `held-third-${request.tipId}`, body: JSON.stringify(request) };
      await withFrankDown(f.clients, async () => {
        // Recorded RECEIVED (the invocation had no time left to record an intent), then at once
        // (before the service's reconciler finds it stuck) attempts 1 and 2: recorded by
        // invocations that died before their sends (nothing tells that they sent nothing: both
        // count as sends). Attempt 3 is this invocation's.
        await expect(
          payTipMessage(message, { ...payer.deps, remainingMs: () => 0 }),
        ).rejects.toBeInstanceOf(TransientPaymentError);
        let tip = await f.clients.ledger.getTip(request.tipId);
        expect(tip).toMatchObject({ state: 'RECEIVED', attempt: 0 });
        if (!tip) throw new Error('the tip was not recorded');
        const deadline = Date.now() + 30_000;
        for (const lease of [Date.now() - 60_000, Date.now() - 60_000, deadline]) {
          tip = await f.clients.ledger.markSending(
            tip.tipId,
            tip.state === 'RECEIVED' ? 'RECEIVED' : 'SENDING',
            tip.attempt,
            tip.paymentHash,
            new Date(),
            new Date(lease),
          );
        }
        expect(tip).toMatchObject({ state: 'SENDING', attempt: MAX_SENDS });
        const held = await driveTip(
          tip,
          { ...payer.deps, remainingMs: () => deadline - Date.now() },
          true,
        );
        expect(held.kind, 'reason' in held ? held.reason : held.kind).toBe('held');
        expect(await f.clients.ledger.getTip(request.tipId)).toMatchObject({
          state: 'SENDING',
          attempt: MAX_SENDS,
          heldAttempt: MAX_SENDS,
          heldAttempts: 1,
        });
      });
      // The service's reconciler, past attempt 3's lease: LND's answer is attempt 3's failure, the
      // node is whole, and the hold was no send: attempt 4, the same hash.
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED'], 120_000);
      expect(tip, tip.failureReason).toMatchObject({ state: 'SUCCEEDED', attempt: MAX_SENDS + 1 });
      const received = await receivedBy(f.clients, 'frank', tip.paymentHash);
      expect(received).toHaveLength(1);
      expect(received[0]?.received_mtokens).toBe('8000000');
    }, 300_000);
  },
);
