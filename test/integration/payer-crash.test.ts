import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PayerStep } from '../../shared/app/pay-tip.js';
import type { TipState } from '../../shared/ports/tip-ledger.js';
import {
  createTestQueue,
  enqueue,
  receivedBy,
  type StackClients,
  stackClients,
  tipRequest,
  waitForTip,
} from './helpers.js';
import { payerWorkers } from './payer-workers.js';

const stack = inject('stack');

const startWorker = payerWorkers(stack.runDir);

/** What the ledger must show right after the kill, and whether carol already has the money. */
const crashPoints: Array<{
  step: PayerStep;
  /** Absent: killed before the write that records the tip with its intent. */
  stateAfterCrash: TipState | undefined;
  paidBeforeRestart: boolean | 'maybe';
}> = [
  { step: 'before-intent', stateAfterCrash: undefined, paidBeforeRestart: false },
  { step: 'after-intent', stateAfterCrash: 'SENDING', paidBeforeRestart: false },
  // LND has the payment when the worker dies: it completes without us.
  { step: 'lnd-in-flight', stateAfterCrash: 'SENDING', paidBeforeRestart: 'maybe' },
  { step: 'after-lnd-success', stateAfterCrash: 'SENDING', paidBeforeRestart: true },
];

describe.runIf(stack.lightning.network === 'regtest')('payer crash injection (SIGKILL)', () => {
  let clients: StackClients;
  let queueUrl: string;

  beforeAll(async () => {
    clients = await stackClients(stack);
    ({ queueUrl } = await createTestQueue(clients, 'payer-crash'));
  });
  afterAll(() => clients?.destroy());

  // Both derivations: a shared-secret tip's hash comes from an ECDH the restarted worker (empty
  // cache) asks its node for again, and must be the same one.
  it.each(
    crashPoints.flatMap((point) => [
      { ...point, mode: 'plain' },
      { ...point, mode: 'shared-secret' },
    ]),
  )(
    'killed at $step ($mode), restarted with the message redelivered: carol is paid exactly once',
    async ({ step, stateAfterCrash, paidBeforeRestart, mode }) => {
      const doomed = await startWorker(queueUrl, step);
      const request = tipRequest(stack, 'carol', {
        amountMsat: 4_321_000,
        ...(mode === 'shared-secret' ? { authentication: 'shared-secret' } : {}),
      });
      await enqueue(queueUrl, clients, [request]);

      const { code, signal } = await doomed.exited;
      // SIGKILL (exit code 137 when a wrapper process reports it).
      expect(signal === 'SIGKILL' || code === 137, `${code}/${signal}\n${doomed.output()}`).toBe(
        true,
      );
      expect(doomed.output()).toContain(`checkpoint ${step} ${request.tipId}`);
      const afterCrash = await clients.ledger.getTip(request.tipId);
      expect(afterCrash?.state).toBe(stateAfterCrash);
      if (afterCrash && paidBeforeRestart !== 'maybe') {
        const settled = (await receivedBy(clients, 'carol', afterCrash.paymentHash)).filter(
          (invoice) => invoice.is_confirmed,
        );
        expect(settled).toHaveLength(paidBeforeRestart ? 1 : 0);
      }

      await startWorker(queueUrl);
      const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED'], 60_000);
      expect(tip.state).toBe('SUCCEEDED');
      const invoices = await receivedBy(clients, 'carol', tip.paymentHash);
      expect(invoices).toHaveLength(1);
      expect(invoices[0]?.is_confirmed).toBe(true);
      expect(invoices[0]?.received_mtokens).toBe('4321000');
      expect(invoices[0]?.payments.filter((payment) => payment.is_confirmed)).toHaveLength(1);
      const receipt = JSON.parse(tip.receipt ?? '{}').receipt;
      expect(receipt.preimage).toBe(invoices[0]?.secret);
      // A crash after the intent means the retry is the tip's second attempt (same hash).
      expect(tip.attempt).toBe(step === 'after-intent' ? 2 : 1);
      expect(tip.preimageDerivation).toBe(mode === 'shared-secret' ? 'ecdh-v1' : undefined);
      // The hash is the tip's from its first write on (killed before that write, none existed).
      if (afterCrash) expect(tip.paymentHash).toBe(afterCrash.paymentHash);
    },
    120_000,
  );
});
