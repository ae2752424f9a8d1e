import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { ensureLocalKeys } from '../../infra/local/emulators/service.js';
import { startStackProcess, stopStackProcess } from '../../infra/local/stack/stack.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import type { TipId } from '../../shared/domain/brands.js';
import { derivePreimage, paymentHashOf } from '../../shared/domain/preimage.js';
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

/** The hash the payer will use for a tip, computed independently from the local key. */
const hashOf = async (tipId: string) => {
  const keys = await ensureLocalKeys(stack.runDir);
  const key = Buffer.from(keys.preimageKeys.split(':')[1] ?? '', 'hex');
  return Buffer.from(paymentHashOf(derivePreimage(key, tipId as TipId))).toString('hex');
};

/**
 * Every tip SUCCEEDED, and each recipient's node shows exactly one settled payment per hash;
 * except, with `lndStuck`, tips LND itself keeps in flight with no HTLC in any channel (its known
 * restart failure, `shared/domain/stuck-payment.ts`): those must be flagged by the reconciler and
 * received by no one.
 */
const expectPaidOnce = async (
  clients: StackClients,
  tips: Array<{ tipId: string; amountMsat: number; to: string }>,
  { lndStuck = false } = {},
) => {
  for (const request of tips) {
    const tip = await waitFor(
      `tip ${request.tipId} to end or be flagged stuck in LND`,
      async () => {
        const found = await clients.ledger.getTip(request.tipId);
        if (found?.state === 'SUCCEEDED' || found?.state === 'FAILED') return found;
        return lndStuck && found?.stuck?.verdict.startsWith('NO_HTLC') ? found : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const invoices = await receivedBy(clients, request.to, tip.paymentHash);
    if (tip.state === 'SENDING') {
      expect(invoices, `${request.tipId}: stuck in LND (${tip.stuck?.reason})`).toEqual([]);
      continue;
    }
    expect(tip.state, `${request.tipId}: ${tip.failureReason ?? ''}`).toBe('SUCCEEDED');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.received_mtokens).toBe(String(request.amountMsat));
  }
};

describe.runIf(stack.lightning.network === 'regtest')(
  'payer across restarts of its dependencies',
  () => {
    const f = useLocalService(
      stack,
      'payer-restarts',
      () => ({
        batchSize: 5,
        visibilityTimeoutSeconds: 2,
        // Leases end with a 10 s invocation: attempts of a worker cut off by alice's restart are
        // decided by a redelivery or the reconciler soon after.
        functionTimeoutMs: 10_000,
        // The reconciler settles payments that were in flight when alice went down.
        reconcileEveryMs: 1_000,
        env: {
          TIPSTREAM_STUCK_AFTER_SECONDS: '2',
          TIPSTREAM_DEADLINE_MARGIN_MS: '3000',
          TIPSTREAM_LEASE_GRACE_MS: '1000',
          // Tips LND itself keeps in flight after the restart are inspected and flagged soon.
          TIPSTREAM_FLAG_IN_FLIGHT_AFTER_SECONDS: '5',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      }),
      { maxReceiveCount: 50 },
    );

    // Five invocations at once (the default, like the deployed event source mapping): up to 25 tips
    // in flight when alice goes down, some failed by LND while its channels are not forwarding.
    it("alice's lnd restarted while payments are in flight: every tip ends paid, once", async () => {
      const tips = Array.from({ length: 40 }, (_, i) => {
        const to = i % 2 === 0 ? 'carol' : 'dave';
        return { ...tipRequest(stack, to, { amountMsat: 1_000_000 + i * 1000 }), to };
      });
      await enqueue(
        f.queueUrl,
        f.clients,
        tips.map(({ to: _to, ...body }) => body),
      );
      // Once payments are flowing, take alice down under them.
      await waitForTip(f.clients, tips[0]?.tipId ?? '', ['SUCCEEDED', 'SENDING'], 30_000);
      await stopStackProcess(stackFile, 'lnd-alice');
      const atStop = await Promise.all(tips.map((tip) => f.clients.ledger.getTip(tip.tipId)));
      const inFlight = atStop.filter((tip) => tip?.state === 'SENDING').length;
      const notYet = atStop.filter((tip) => tip === undefined || tip.state === 'RECEIVED').length;
      // The test means something only if alice died with payments in flight and tips still to pay.
      expect(inFlight, 'tips SENDING when alice stopped').toBeGreaterThan(0);
      expect(notYet, 'tips not yet started when alice stopped').toBeGreaterThan(0);
      await sleep(2_000);
      await startStackProcess(stackFile, 'lnd-alice');
      await expectPaidOnce(f.clients, tips, { lndStuck: true });
    }, 240_000);

    it('DynamoDB Local stopped mid-run: nothing paid while down, nothing lost, nothing paid twice', async () => {
      const before = Array.from({ length: 5 }, () => ({
        ...tipRequest(stack, 'carol', { amountMsat: 2_000_000 }),
        to: 'carol',
      }));
      await enqueue(
        f.queueUrl,
        f.clients,
        before.map(({ to: _to, ...body }) => body),
      );
      await stopStackProcess(stackFile, 'dynamodb-local');

      const during = Array.from({ length: 5 }, () => ({
        ...tipRequest(stack, 'dave', { amountMsat: 3_000_000 }),
        to: 'dave',
      }));
      await enqueue(
        f.queueUrl,
        f.clients,
        during.map(({ to: _to, ...body }) => body),
      );
      await sleep(6_000);
      // The ledger could not record an intent, so no payment may have left for these tips.
      for (const request of during) {
        expect(await receivedBy(f.clients, 'dave', await hashOf(request.tipId))).toEqual([]);
      }

      await startStackProcess(stackFile, 'dynamodb-local');
      await expectPaidOnce(f.clients, [...before, ...during]);
    }, 240_000);
  },
);
