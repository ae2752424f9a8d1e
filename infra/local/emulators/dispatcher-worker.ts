/**
 * The webhook dispatcher in its own process, for crash tests: reads the streams of the tables in
 * its environment (TIPSTREAM_*_TABLE) on the stack in TIPSTREAM_STACK_FILE and sweeps every
 * TIPSTREAM_WORKER_SWEEP_MS. With TIPSTREAM_CRASH_AT=<step> it kills itself (SIGKILL, no
 * cleanup, like a Lambda torn down) when a delivery of a platform whose id starts with
 * TIPSTREAM_CRASH_PLATFORM reaches that step (`DispatcherStep`).
 */
import type { DispatcherStep } from '../../../shared/app/deliver-webhooks.js';
import { readStackFile } from '../../../shared/config/stack-file.js';
import { startLocalDispatcher } from './dispatcher.js';
import { localServiceEnv } from './service.js';

const stackFile = process.env.TIPSTREAM_STACK_FILE ?? '.tipstream/stack.json';
const crashAt = process.env.TIPSTREAM_CRASH_AT as DispatcherStep | undefined;
const crashPlatform = process.env.TIPSTREAM_CRASH_PLATFORM ?? '';

const stack = await readStackFile(stackFile);
if (!stack) {
  process.stderr.write(`no stack at ${stackFile}; run "npm run stack:up" first\n`);
  process.exit(2);
}
// The webhook knobs pass through, like a Lambda's variables (the tables come with the process's
// own environment).
const webhookEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      /^TIPSTREAM_WEBHOOK_[A-Z_]+$/.test(entry[0]) && entry[1] !== undefined,
  ),
);
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const dispatcher = await startLocalDispatcher(stack, await localServiceEnv(stack, webhookEnv), {
  sweepEveryMs: Number(process.env.TIPSTREAM_WORKER_SWEEP_MS ?? 5_000),
  log: (line) => process.stderr.write(`${line}\n`),
  checkpoint: (step, delivery) => {
    process.stdout.write(`checkpoint ${step} ${delivery.deliveryId}\n`);
    if (step === crashAt && delivery.platformId.startsWith(crashPlatform)) {
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
process.stdout.write('dispatcher ready\n');
const stop = async () => {
  await dispatcher.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
