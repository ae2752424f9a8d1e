import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import type { PayerStep } from '../../shared/app/pay-tip.js';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

export interface PayerWorker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Payer workers in their own processes for crash tests: `start(queueUrl, crashAt?)` runs one on
 * the stack's run dir, optionally dying (SIGKILL) at `crashAt`; every worker a test started is
 * stopped after it. Redelivery comes within seconds, as a short Lambda timeout would give: a dead
 * worker's attempt is decided once its lease (its 5 s deadline, plus 0.5 s) has passed.
 */
export const payerWorkers = (runDir: string) => {
  const workers: PayerWorker[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 5_000))]);
        worker.child.kill('SIGKILL');
      }
    }
  });
  return async (queueUrl: string, crashAt?: PayerStep): Promise<PayerWorker> => {
    const child = spawn(tsx, ['infra/local/emulators/payer-worker.ts'], {
      env: {
        ...process.env,
        TIPSTREAM_STACK_FILE: join(runDir, 'stack.json'),
        TIPSTREAM_WORKER_QUEUE_URL: queueUrl,
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
    const worker: PayerWorker = {
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
};
