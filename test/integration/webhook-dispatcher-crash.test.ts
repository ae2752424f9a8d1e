import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { startWebhookReceiver } from '../../infra/local/emulators/webhook-receiver.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import type { DispatcherStep } from '../../shared/app/deliver-webhooks.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { useLocalService } from './helpers.js';
import { webhookPlatforms } from './webhook-platforms.js';
import { workerProcesses } from './worker-processes.js';

const stack = inject('stack');

/**
 * Killing the dispatcher loses no event: the dispatcher runs in its own process (as a Lambda
 * would), is SIGKILLed mid-delivery (at a crash point, or from outside while the receiver holds
 * its answers), and a new one started after it: every event reaches the receiver at least once,
 * and a repeat carries the same webhook-id and the same body.
 */
describe.runIf(stack.lightning.network === 'regtest')('killing the webhook dispatcher', () => {
  const f = useLocalService(stack, 'webhook-crash', () => ({
    reconcileEveryMs: 0,
    apiPort: 0,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
  }));
  const startWorker = workerProcesses();

  /** A dispatcher process on the tests' tables; `crashAt` kills it at that step of a delivery. */
  const startDispatcher = (crashAt?: { step: DispatcherStep; platformId: string }) =>
    startWorker(
      'infra/local/emulators/dispatcher-worker.ts',
      {
        NODE_OPTIONS: '--disable-warning=DEP0123',
        TIPSTREAM_STACK_FILE: join(stack.runDir, 'stack.json'),
        TIPSTREAM_WORKER_SWEEP_MS: '100',
        // A lease of 2 × 1 s + 1 s: a dead dispatcher's attempt is tried again after 3 s.
        TIPSTREAM_WEBHOOK_TIMEOUT_MS: '1000',
        TIPSTREAM_WEBHOOK_RETRY_SCALE: '0.0001',
        TIPSTREAM_CRASH_AT: crashAt?.step ?? '',
        TIPSTREAM_CRASH_PLATFORM: crashAt?.platformId ?? '',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      'dispatcher ready',
    );

  const platformWithReceiver = webhookPlatforms(f);

  /** A platform with an endpoint at a new receiver, and `count` tips to carol, paid. */
  const tipsWithReceiver = async (
    prefix: string,
    count: number,
    answer?: Parameters<typeof startWebhookReceiver>[0],
  ) => {
    const { platform, receiver, stores, call } = await platformWithReceiver(prefix, answer);
    const tipIds: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const accepted = await call('POST', '/v1/tips', {
        recipientPubkey: stackNode(stack, 'carol').pubkey,
        amountMsat: 1_000 * (1 + i),
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      tipIds.push(accepted.body.tipId as string);
    }
    return { platform, receiver, stores, tipIds };
  };

  /** Every tip told at least once; a repeat only with the same id and body; all DELIVERED. */
  const expectEachToldAtLeastOnce = async (setup: Awaited<ReturnType<typeof tipsWithReceiver>>) => {
    const { receiver, stores, platform, tipIds } = setup;
    const expected = new Set(tipIds.map((id) => `evt_${id}_succeeded`));
    await waitFor(
      'every event at the receiver',
      async () =>
        [...expected].every((id) => receiver.received.some((r) => r.id === id)) ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const deliveries = await waitFor(
      'every delivery recorded as DELIVERED',
      async () => {
        const all = await stores.deliveries.listDeliveries(platform.platformId, { limit: 100 });
        return all.length === expected.size && all.every((d) => d.status === 'DELIVERED')
          ? all
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(receiver.rejected).toEqual([]);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(expected);
    const bodyOf = new Map<string, string>();
    for (const r of receiver.received) {
      expect(bodyOf.get(r.id) ?? r.body).toBe(r.body);
      bodyOf.set(r.id, r.body);
    }
    return { deliveries, repeats: receiver.received.length - expected.size };
  };

  for (const step of ['after-record', 'after-claim', 'after-send'] as const) {
    it(`SIGKILL at ${step}: a new dispatcher delivers every event, repeats with the same id`, async () => {
      const prefix = `it-hook-crash-${step}`;
      const first = await startDispatcher({ step, platformId: prefix });
      const setup = await tipsWithReceiver(prefix, 5);
      expect((await first.exited).signal).toBe('SIGKILL');
      const told = setup.receiver.received.length;
      // after-send: the receiver has the request the dead dispatcher never recorded.
      if (step === 'after-send') expect(told).toBeGreaterThanOrEqual(1);
      else expect(told).toBe(0);
      await startDispatcher();
      const { deliveries, repeats } = await expectEachToldAtLeastOnce(setup);
      if (step === 'after-send') {
        // Sent again once its lease ran out (at least once), under the same webhook-id.
        expect(repeats).toBeGreaterThanOrEqual(1);
        expect(deliveries.some((d) => d.attempts >= 2)).toBe(true);
      }
      console.log(
        `${step}: ${setup.receiver.received.length} requests for ${setup.tipIds.length} events (${repeats} repeats, same id)`,
      );
    }, 120_000);
  }

  it('SIGKILL while the receiver holds its answers: nothing lost once a new dispatcher runs', async () => {
    let holding = true;
    const setup = await tipsWithReceiver('it-hook-crash-held', 5, (_n, _req, res) => {
      if (!holding) res.writeHead(200).end();
      // else: the answer is held; the dispatcher dies with the request in flight.
    });
    const first = await startDispatcher();
    await waitFor('a request in flight', async () =>
      setup.receiver.received.length >= 1 ? true : undefined,
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    holding = false;
    await startDispatcher();
    const { repeats } = await expectEachToldAtLeastOnce(setup);
    expect(repeats).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
