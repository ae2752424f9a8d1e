/**
 * API benchmark on the running local stack: POST /v1/tips with signature verification, replay
 * check, idempotency record, budget reservation and the SQS send, over real HTTP.
 *   npm run bench:api -- [requests=1000] [concurrency=16]
 * Tips go to a private queue that nothing consumes: this measures intake alone.
 */
import { randomUUID } from 'node:crypto';
import { createApi } from '../../../functions/api/app.js';
import { createApiDeps } from '../../../functions/api/runtime.js';
import { createPlatform } from '../../../shared/app/platforms.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import { startHttpAdapter } from '../emulators/http-adapter.js';
import { localServiceEnv } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';

const [requestsArg = '1000', concurrencyArg = '16'] = process.argv.slice(2);
const total = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}
const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl } = await createQueuePair(sqs, 'bench-api');
const env = await localServiceEnv(stack, { TIPSTREAM_TIPS_QUEUE_URL: queueUrl });
const deps = createApiDeps(env);
const { platform, secret } = await createPlatform(deps.platforms, {
  platformId: `bench-${randomUUID().slice(0, 8)}`,
  dailyLimitSats: 1_000_000_000,
});
const http = await startHttpAdapter(createApi(deps));
const carol = stackNode(stack, 'carol').pubkey;

const statuses = new Map<number, number>();
const latencies: number[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
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
const pct = (p: number) =>
  Number(latencies[Math.ceil((p / 100) * latencies.length) - 1]?.toFixed(1));
process.stdout.write(
  `${JSON.stringify(
    {
      requests: total,
      concurrency,
      seconds: Number(seconds.toFixed(2)),
      requestsPerSecond: Number((total / seconds).toFixed(1)),
      latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
      statuses: Object.fromEntries(statuses),
    },
    null,
    2,
  )}\n`,
);
await http.close();
deps.close();
process.exit(statuses.get(202) === total ? 0 : 1);
