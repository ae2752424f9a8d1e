/**
 * API benchmark on the running local stack: POST /v1/tips with signature verification, replay
 * check, idempotency record, budget reservation and the SQS send, over real HTTP.
 *   npm run bench:api -- [requests=1000] [concurrency=16] [--platforms 1]
 * Tips go to a private queue that nothing consumes: this measures intake alone. With
 * `--platforms N`, N platforms submit at once (client k sends for platform k mod N, so with
 * N ≥ concurrency no two requests of one platform are in flight together: whatever contends is
 * shared between platforms). It reports the DynamoDB requests per accepted tip, the transactions
 * cancelled by conflicts by the item that conflicted (budget counters by kind), and the most
 * written budget items in writes per accepted tip (DynamoDB Local serializes transactions
 * instead of cancelling them, so locally a hot item shows there, not as conflicts).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApi } from '../../../functions/api/app.js';
import { createApiDeps } from '../../../functions/api/runtime.js';
import { meterDynamoRequests } from '../../../shared/adapters/dynamodb/request-meter.js';
import { ensureTables } from '../../../shared/adapters/dynamodb/tables.js';

import { createPlatform } from '../../../shared/app/platforms.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { readTableNames } from '../../../shared/config/tables.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import { startHttpAdapter } from '../emulators/http-adapter.js';
import { localServiceEnv } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { platforms: { type: 'string', default: '1' } },
});
const [requestsArg = '1000', concurrencyArg = '16'] = positionals;
const total = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const platformCount = Number(flags.platforms);
for (const [name, value] of Object.entries({ requests: total, concurrency, platformCount })) {
  if (!Number.isSafeInteger(value) || value < 1) {
    process.stderr.write(`${name} must be a whole number ≥ 1\n`);
    process.exit(2);
  }
}
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}
const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl } = await createQueuePair(sqs, 'bench-api');
const env = await localServiceEnv(stack, { TIPSTREAM_TIPS_QUEUE_URL: queueUrl });
const deps = createApiDeps(env);
// A stack started by `stack:up` alone has no tables yet (the local service creates them).
await ensureTables(deps.dynamodb, readTableNames(env));
const meter = meterDynamoRequests(deps.dynamodb, readTableNames(env).budgets);
const run = randomUUID().slice(0, 8);
const platforms = await Promise.all(
  Array.from({ length: platformCount }, (_, k) =>
    createPlatform(deps.platforms, {
      platformId: `bench-${run}-${k}`,
      dailyLimitSats: 1_000_000_000,
    }),
  ),
);
const setup = meter.counts();
const http = await startHttpAdapter(createApi(deps));
const carol = stackNode(stack, 'carol').pubkey;

const statuses = new Map<number, number>();
const latencies: number[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async (_, worker) => {
    const { platform, secret } = platforms[worker % platformCount] as (typeof platforms)[number];
    while (next < total) {
      const i = next++;
      const rawBody = JSON.stringify({
        recipientPubkey: carol,
        amountMsat: 1000,
        message: `bench ${i}`,
      });
      const t0 = performance.now();
      const response = await fetch(`${http.url}/v1/tips`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signedHeaders({
            secret,
            platformId: platform.platformId,
            method: 'POST',
            url: '/v1/tips',
            idempotencyKey: randomUUID(),
            body: rawBody,
          }),
        },
        body: rawBody,
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }),
);
const seconds = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const accepted = statuses.get(202) ?? 0;
const counts = meter.counts();
const requestsPerTip = Object.fromEntries(
  Object.entries(counts.requests)
    .map(([operation, n]) => [operation, n - (setup.requests[operation] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([operation, n]) => [operation, Number((n / Math.max(accepted, 1)).toFixed(3))]),
);
// The most written budget items, writes per accepted tip: 1 means every tip waits on that item.
const hottestBudgetItems = Object.fromEntries(
  Object.entries(counts.budgetWrites)
    .map(([key, n]) => [key, n - (setup.budgetWrites[key] ?? 0)] as const)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([key, n]) => [key, Number((n / Math.max(accepted, 1)).toFixed(3))]),
);
const pct = (p: number) =>
  Number(latencies[Math.ceil((p / 100) * latencies.length) - 1]?.toFixed(1));
process.stdout.write(
  `${JSON.stringify(
    {
      requests: total,
      concurrency,
      platforms: platformCount,
      seconds: Number(seconds.toFixed(2)),
      requestsPerSecond: Number((total / seconds).toFixed(1)),
      acceptedPerSecond: Number((accepted / seconds).toFixed(1)),
      latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
      statuses: Object.fromEntries(statuses),
      dynamoRequestsPerAcceptedTip: {
        total: Number(
          Object.values(requestsPerTip)
            .reduce((sum, n) => sum + n, 0)
            .toFixed(3),
        ),
        ...requestsPerTip,
      },
      transactionConflicts: counts.conflicts,
      hottestBudgetItems,
    },
    null,
    2,
  )}\n`,
);
await http.close();
deps.close();
process.exit(accepted === total ? 0 : 1);
