import { join } from 'node:path';
import type { PayerStep } from '../../shared/app/pay-tip.js';
import { workerProcesses } from './worker-processes.js';

/**
 * Payer workers in their own processes for crash tests: `start(queueUrl, crashAt?)` runs one on
 * the stack's run dir, optionally dying (SIGKILL) at `crashAt`; every worker a test started is
 * stopped after it. Redelivery comes within seconds, as a short Lambda timeout would give: a dead
 * worker's attempt is decided once its lease (its 5 s deadline, plus 0.5 s) has passed.
 */
export const payerWorkers = (runDir: string) => {
  const start = workerProcesses();
  return (queueUrl: string, crashAt?: PayerStep) =>
    start(
      'infra/local/emulators/payer-worker.ts',
      {
        TIPSTREAM_STACK_FILE: join(runDir, 'stack.json'),
        TIPSTREAM_WORKER_QUEUE_URL: queueUrl,
        TIPSTREAM_WORKER_VISIBILITY_SECONDS: '3',
        TIPSTREAM_WORKER_FUNCTION_TIMEOUT_MS: '5000',
        TIPSTREAM_DEADLINE_MARGIN_MS: '2000',
        TIPSTREAM_LEASE_GRACE_MS: '500',
        TIPSTREAM_CRASH_AT: crashAt ?? '',
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      'worker ready',
    );
};
