import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
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

const stack = inject('stack');
const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const workers: Worker[] = [];

/** A payer worker in its own process, consuming `queueUrl`, optionally dying at `crashAt`. */
const startWorker = async (queueUrl: string, crashAt?: PayerStep): Promise<Worker> => {
  const child = spawn(tsx, ['infra/local/emulators/payer-worker.ts'], {
    env: {
      ...process.env,
      TIPSTREAM_STACK_FILE: join(stack.runDir, 'stack.json'),
      TIPSTREAM_WORKER_QUEUE_URL: queueUrl,
      // Redelivery after a crash within seconds, as a short Lambda timeout would give: a dead
      // worker's attempt is decided once its lease (its 5 s deadline, plus 0.5 s) has passed.
      TIPSTREAM_WORKER_VISIBILITY_SECONDS: '3',
      TIPSTREAM_WORKER_FUNCTION_TIMEOUT_MS: '5000',
      TIPSTREAM_DEADLINE_MARGIN_MS: '2000',
      TIPSTREAM_LEASE_GRACE_MS: '500',
      TIPSTREAM_CRASH_AT: crashAt ?? '',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const worker: Worker = {
    child,
    output: () => output,
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
  };
  workers.push(worker);
  await waitFor('the worker to be ready', async () => output.includes('worker ready'), {
    timeoutMs: 60_000,
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`);
  });
  return worker;
};

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 5_000))]);
      worker.child.kill('SIGKILL');
    }
  }
});

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
      // tsx runs the worker in a child node process and reports its SIGKILL as exit code 137.
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
