import { join } from 'node:path';
import { getChannels } from 'lightning';
import { describe, expect, inject, it } from 'vitest';
import { startStackProcess, stopStackProcess } from '../../infra/local/stack/stack.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { stackNode } from '../../shared/config/stack-file.js';
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
  },
);
