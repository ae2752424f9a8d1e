/**
 * Payer benchmark on the running local stack (`npm run stack:up` first):
 *   npm run bench:payer -- [tips=200] [concurrency=8] [pollers=1]
 * Enqueues tips to carol and dave on a private queue, runs the real payer through the local
 * poller, and reports tips/s, enqueue-to-SUCCEEDED latency (p50/p95) and the DynamoDB and SQS
 * requests the payer made per tip.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_TABLE_NAMES } from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import { startLocalService } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';
import { waitFor } from '../stack/wait.js';

const [tipsArg = '200', concurrencyArg = '8', pollersArg = '1'] = process.argv.slice(2);
const tipCount = Number(tipsArg);
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}

/** Counts requests by command on an AWS SDK client. */
const countRequests = (client: DynamoDBClient | SQSClient, counts: Map<string, number>) => {
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'tipstreamRequestCounter' },
  );
};

const control = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl } = await createQueuePair(control, 'bench');
const dynamoCounts = new Map<string, number>();
const sqsCounts = new Map<string, number>();
const services = await Promise.all(
  Array.from({ length: Number(pollersArg) }, () =>
    startLocalService(stack, {
      queueUrl,
      batchSize: 10,
      reconcileEveryMs: 0,
      env: { TIPSTREAM_PAYER_CONCURRENCY: concurrencyArg, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    }),
  ),
);
for (const service of services) {
  countRequests(service.runtime.dynamodb, dynamoCounts);
  countRequests(service.sqs, sqsCounts);
}

const recipients = ['carol', 'dave'].map((name) => stackNode(stack, name).pubkey);
const tips = Array.from({ length: tipCount }, (_, i) =>
  buildTipRequest({
    tipId: `bench-${randomUUID()}`,
    platformId: 'bench',
    recipientPubkey: recipients[i % 2],
    amountMsat: 10_000 + (i % 50) * 1000,
    message: `bench tip ${i}`,
  }),
);
const enqueuedAt = new Map<string, number>();
const started = Date.now();
for (let i = 0; i < tips.length; i += 10) {
  const chunk = tips.slice(i, i + 10);
  const at = Date.now();
  await control.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: chunk.map((tip, index) => ({ Id: String(index), MessageBody: JSON.stringify(tip) })),
    }),
  );
  for (const tip of chunk) enqueuedAt.set(tip.tipId, at);
}

const ledger = createDynamoTipLedger(
  localDynamoDbClient(stack.dynamodb.endpoint, stack.region),
  LOCAL_TABLE_NAMES,
);
const done = new Map<string, { state: string; updatedAt: string }>();
await waitFor(
  `${tipCount} tips to finish`,
  async () => {
    for (const tip of tips) {
      if (done.has(tip.tipId)) continue;
      const record = await ledger.getTip(tip.tipId);
      if (record && (record.state === 'SUCCEEDED' || record.state === 'FAILED'))
        done.set(tip.tipId, record);
    }
    return done.size === tips.length;
  },
  { timeoutMs: 600_000, intervalMs: 500 },
);
const finished = Math.max(...[...done.values()].map((tip) => Date.parse(tip.updatedAt)));
await Promise.all(services.map((service) => service.stop()));

const latencies = tips
  .map((tip) => Date.parse(done.get(tip.tipId)?.updatedAt ?? '') - (enqueuedAt.get(tip.tipId) ?? 0))
  .sort((a, b) => a - b);
const percentile = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
const perTip = (counts: Map<string, number>) =>
  Object.fromEntries([...counts].map(([name, n]) => [name, Number((n / tipCount).toFixed(2))]));
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
const summary = {
  tips: tipCount,
  succeeded: [...done.values()].filter((tip) => tip.state === 'SUCCEEDED').length,
  failed: [...done.values()].filter((tip) => tip.state === 'FAILED').length,
  pollers: Number(pollersArg),
  concurrencyPerPoller: Number(concurrencyArg),
  seconds: Number(((finished - started) / 1000).toFixed(2)),
  tipsPerSecond: Number((tipCount / ((finished - started) / 1000)).toFixed(1)),
  latencyMs: { p50: percentile(50), p95: percentile(95), max: latencies.at(-1) },
  dynamodbRequestsPerTip: Number((total(dynamoCounts) / tipCount).toFixed(2)),
  dynamodbByCommand: perTip(dynamoCounts),
  sqsRequestsPerTip: Number((total(sqsCounts) / tipCount).toFixed(2)),
  sqsByCommand: perTip(sqsCounts),
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exit(summary.failed === 0 ? 0 : 1);
