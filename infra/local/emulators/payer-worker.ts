/**
 * A payer worker in its own process, for crash tests and `npm start`: runs the local service on
 * the stack in TIPSTREAM_STACK_FILE. With TIPSTREAM_CRASH_AT=<step> it kills itself (SIGKILL, no
 * cleanup, like a Lambda torn down) when the payer reaches that step of the state machine.
 * TIPSTREAM_WORKER_FUNCTION_TIMEOUT_MS sets the function timeout (an attempt's lease ends with it).
 */
import { readStackFile } from '../../../shared/config/stack-file.js';
import { startLocalService } from './service.js';

const stackFile = process.env.TIPSTREAM_STACK_FILE ?? '.tipstream/stack.json';
const crashAt = process.env.TIPSTREAM_CRASH_AT;

const stack = await readStackFile(stackFile);
if (!stack) {
  process.stderr.write(`no stack at ${stackFile}; run "npm run stack:up" first\n`);
  process.exit(2);
}
// The payer's policy knobs (deadline margin, lease grace…) and its tables pass through, like a
// Lambda's variables.
const policyEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      /^TIPSTREAM_(DEADLINE_MARGIN_MS|LEASE_GRACE_MS|STUCK_AFTER_SECONDS|[A-Z]+_TABLE)$/.test(
        entry[0],
      ) && entry[1] !== undefined,
  ),
);
const service = await startLocalService(stack, {
  // A payer only: no HTTP API, no reconciler.
  apiPort: false,
  reconcileEveryMs: 0,
  functionTimeoutMs: Number(process.env.TIPSTREAM_WORKER_FUNCTION_TIMEOUT_MS ?? 60_000),
  env: policyEnv,
  queueUrl: process.env.TIPSTREAM_WORKER_QUEUE_URL || undefined,
  visibilityTimeoutSeconds: Number(process.env.TIPSTREAM_WORKER_VISIBILITY_SECONDS ?? 30),
  checkpoint: (step, tipId) => {
    process.stdout.write(`checkpoint ${step} ${tipId}\n`);
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  },
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write('worker ready\n');
const stop = async () => {
  await service.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
