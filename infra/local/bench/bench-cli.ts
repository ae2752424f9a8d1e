/**
 * How long the tipstream CLI takes to validate and submit a large payout file, on the running
 * local stack:
 *   npm run bench:cli -- [rows=10000]
 * Writes a CSV of `rows` 1-sat payouts to carol and dave, runs the real CLI on it
 * (`tipstream payout <file> --no-watch --json`) against the API served here, and reports the
 * CLI's own validate and submit times and the whole command's wall time. The API enqueues on a
 * private queue that nothing consumes (and that is deleted afterwards): nothing is paid, so the
 * shared regtest channels are left alone. Files over 10,000 rows are sent as several batches.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { createApi } from '../../../functions/api/app.js';
import { createApiDeps } from '../../../functions/api/runtime.js';
import { createPlatform } from '../../../shared/app/platforms.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { startHttpAdapter } from '../emulators/http-adapter.js';
import { localServiceEnv } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';

const rows = Number(process.argv[2] ?? '10000');
if (!Number.isSafeInteger(rows) || rows < 1) {
  process.stderr.write('usage: npm run bench:cli -- [rows=10000]\n');
  process.exit(2);
}
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}
const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl, dlqUrl } = await createQueuePair(sqs, 'bench-cli');
const env = await localServiceEnv(stack, { TIPSTREAM_TIPS_QUEUE_URL: queueUrl });
const deps = createApiDeps(env);
const { platform, secret } = await createPlatform(deps.platforms, {
  platformId: `bench-cli-${randomUUID().slice(0, 8)}`,
  dailyLimitSats: 1_000_000_000,
});
const http = await startHttpAdapter(createApi(deps));
const dir = await mkdtemp(join(tmpdir(), 'tipstream-bench-cli-'));

try {
  const carol = stackNode(stack, 'carol').pubkey;
  const dave = stackNode(stack, 'dave').pubkey;
  const file = join(dir, `payout-${rows}.csv`);
  const lines = ['pubkey,amount_sats,memo'];
  for (let i = 0; i < rows; i += 1) lines.push(`${i % 2 ? dave : carol},1,bench row ${i + 1}`);
  await writeFile(file, `${lines.join('\n')}\n`);

  const started = Date.now();
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(process.cwd(), 'cli', 'bin.mjs'),
          '--api',
          http.url,
          '--platform',
          platform.platformId,
          'payout',
          file,
          '--no-watch',
          '--json',
        ],
        { env: { ...process.env, TIPSTREAM_PLATFORM_SECRET: secret } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    },
  );
  const wallMs = Date.now() - started;
  if (run.code !== 0) {
    process.stderr.write(`the CLI exited ${run.code}:\n${run.stderr}\n${run.stdout}\n`);
    process.exitCode = 1;
  } else {
    const result = JSON.parse(run.stdout) as {
      timings: { validateMs: number; submitMs: number };
      submitted: Array<{ batchId: string; rows: number }>;
    };
    process.stdout.write(
      `${rows.toLocaleString('en-US')} rows (${(Buffer.byteLength(lines.join('\n')) / 1024).toFixed(0)} KiB): ` +
        `validated in ${result.timings.validateMs} ms, submitted in ${result.timings.submitMs} ms ` +
        `as ${result.submitted.length} batch(es) of ${result.submitted.map((b) => b.rows).join(' + ')} rows; ` +
        `whole command ${wallMs} ms (with the CLI's start-up)\n`,
    );
  }
} finally {
  await http.close();
  deps.close();
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
  await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })).catch(() => {});
  sqs.destroy();
  await rm(dir, { recursive: true, force: true });
}
