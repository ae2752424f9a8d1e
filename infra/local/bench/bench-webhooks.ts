/**
 * Webhook benchmark on the running local stack (`npm run stack:up` first):
 *   npm run bench:webhooks -- [tips=60] [burst=600] [endpoints=10] [rounds=3]
 * On tables of its own (deleted afterwards), with a real receiver on loopback that verifies every
 * request with `standardwebhooks`:
 * 1. Latency: `tips` real tips to carol and dave through the payer (LND), the dispatcher reading
 *    the streams as `npm start` runs it; for each tip.succeeded, from the ledger write that ended
 *    the tip (the event's `createdAt`, the tip's `updatedAt`) to the receiver having the request:
 *    p50, p95, max.
 * 2. Throughput, `rounds` times: `burst` tips written straight to the ledger as refused (FAILED,
 *    one real ledger transaction each, no LND) for `endpoints` platforms, one endpoint each, with
 *    no dispatcher running; then a dispatcher is started and timed until every tip.failed is at
 *    the receiver (stream read, delivery recorded, claimed, signed, POSTed, result recorded).
 *    Baseline in the same round: the same number of signed POSTs to the same receiver with the
 *    dispatcher's own sender (standardwebhooks signing, the guarded POST), one lane per endpoint
 *    as the dispatcher has. Prints both rates per round, the medians and their ratio, and the
 *    ratio to the rate the burst itself was written to DynamoDB Local (the other ceiling).
 * Read ratios, not absolute numbers: the machine is shared.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { prefixedTableNames } from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { createWebhookSender } from '../../../shared/adapters/http/webhook-sender.js';
import { registerWebhookEndpoint } from '../../../shared/app/webhook-endpoints.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { tableNameEnv } from '../../../shared/config/tables.js';
import {
  createWebhookStores,
  readWebhookUrlPolicy,
} from '../../../shared/config/webhook-config.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import { RETRY_DELAYS_MS } from '../../../shared/domain/webhook-delivery.js';
import { startLocalDispatcher } from '../emulators/dispatcher.js';
import { startLocalService } from '../emulators/service.js';
import { startWebhookReceiver } from '../emulators/webhook-receiver.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';
import { waitFor } from '../stack/wait.js';

const [tipsArg = '60', burstArg = '600', endpointsArg = '10', roundsArg = '3'] =
  process.argv.slice(2);
const tipCount = Number(tipsArg);
const burst = Number(burstArg);
const endpointCount = Number(endpointsArg);
const rounds = Number(roundsArg);
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}

const runId = randomUUID().slice(0, 8);
const tables = prefixedTableNames(`tipstream-bench-hooks-${runId}-`);
// Every part of the service below reads its tables from here: npm start's dispatcher never sees
// the bench's events, and the bench's dispatcher reads no one else's stream.
Object.assign(process.env, tableNameEnv(tables));

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const log = (line: string) => process.stdout.write(`${line}\n`);

const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl } = await createQueuePair(sqs, `bench-hooks-${runId}`);
const service = await startLocalService(stack, {
  queueUrl,
  reconcileEveryMs: 0,
  apiPort: false,
  maxConcurrency: 4,
  env: { TIPSTREAM_PAYER_CONCURRENCY: '5', POWERTOOLS_LOG_LEVEL: 'ERROR' },
});
const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
const stores = createWebhookStores(dynamodb, service.env);
const ledger = createDynamoTipLedger(dynamodb, tables);
const receiver = await startWebhookReceiver();
const secrets: string[] = [];
const platformIds: string[] = [];
for (let i = 0; i < endpointCount; i += 1) {
  const platformId = `bench-hooks-${i}`;
  const url = `${receiver.url}/${platformId}`;
  const registered = await registerWebhookEndpoint(
    { platformId, url, idempotencyKey: url },
    { endpoints: stores.endpoints, policy: readWebhookUrlPolicy(service.env), now: new Date() },
  );
  if (registered.kind !== 'registered') throw new Error(registered.message);
  secrets.push(registered.endpoint.secret);
  platformIds.push(platformId);
}
receiver.setSecret(...secrets);
/** When each tip's event first reached the receiver, by tip id. */
const arrivedAt = () => {
  const first = new Map<string, number>();
  for (const r of receiver.received) {
    const tipId = r.payload.data?.tipId as string | undefined;
    if (tipId && !first.has(tipId)) first.set(tipId, r.at);
  }
  return first;
};

try {
  // 1. Latency of real tips, with the dispatcher running as npm start runs it (5 s sweep).
  const dispatcher = await startLocalDispatcher(stack, service.env, { log });
  const recipients = ['carol', 'dave'].map((name) => stackNode(stack, name).pubkey);
  const tips = Array.from({ length: tipCount }, (_, i) =>
    buildTipRequest({
      tipId: `bench-${randomUUID()}`,
      platformId: platformIds[i % platformIds.length] as string,
      recipientPubkey: recipients[i % 2] as string,
      amountMsat: 10_000 + (i % 50) * 1000,
    }),
  );
  for (let i = 0; i < tips.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: tips
          .slice(i, i + 10)
          .map((tip, index) => ({ Id: String(index), MessageBody: JSON.stringify(tip) })),
      }),
    );
  }
  await waitFor(
    `${tipCount} tip.succeeded at the receiver`,
    async () => {
      const arrived = arrivedAt();
      return tips.every((tip) => arrived.has(tip.tipId)) ? true : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 250 },
  );
  await dispatcher.stop();
  const latencies = receiver.received
    .filter((r) => r.payload.type === 'tip.succeeded')
    .map((r) => r.at - Date.parse(r.payload.createdAt as string))
    .sort((a, b) => a - b);
  log(
    `latency (ledger write that ends the tip → receiver), ${tipCount} real tips: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${percentile(latencies, 100)} ms`,
  );

  // 2. Throughput: a backlog of events for `endpointCount` endpoints, the dispatcher vs raw POSTs.
  const sender = createWebhookSender({
    timeoutMs: 5_000,
    policy: readWebhookUrlPolicy(service.env),
  });
  const dispatcherRates: number[] = [];
  const rawRates: number[] = [];
  const writeRates: number[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const write = pLimit(16);
    const tipIds = Array.from({ length: burst }, () => `bench-${randomUUID()}`);
    const writeStarted = Date.now();
    await Promise.all(
      tipIds.map((tipId, i) =>
        write(() =>
          ledger.createRefusedTip(
            {
              tipId,
              fingerprint: tipId,
              platformId: platformIds[i % platformIds.length] as string,
              recipient: recipients[i % 2] as string,
              amountMsat: 1_000n,
              records: [],
              paymentHash: '00'.repeat(32),
              keyVersion: 1,
            },
            { code: 'REFUSED_BY_POLICY', reason: 'bench: refused to make an event' },
            new Date(),
            { kind: 'none' },
          ),
        ),
      ),
    );
    const writeSeconds = (Date.now() - writeStarted) / 1000;
    writeRates.push(burst / writeSeconds);
    const started = Date.now();
    const timed = await startLocalDispatcher(stack, service.env, { log });
    await waitFor(
      `${burst} tip.failed at the receiver`,
      async () => {
        const arrived = arrivedAt();
        return tipIds.every((tipId) => arrived.has(tipId)) ? true : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const arrived = arrivedAt();
    const seconds = (Math.max(...tipIds.map((tipId) => arrived.get(tipId) ?? 0)) - started) / 1000;
    await timed.stop();
    dispatcherRates.push(burst / seconds);

    // The baseline: the same number of signed POSTs, one lane per endpoint.
    const bodies = receiver.received
      .filter((r) => tipIds.includes(r.payload.data?.tipId))
      .slice(0, burst)
      .map((r) => r.body);
    const rawStarted = Date.now();
    await Promise.all(
      secrets.map(async (secret, lane) => {
        for (let i = lane; i < bodies.length; i += secrets.length) {
          const outcome = await sender.send({
            url: `${receiver.url}/${platformIds[lane]}`,
            secret,
            webhookId: `raw_${i}_${round}`,
            timestamp: new Date(),
            body: bodies[i] as string,
          });
          if (!outcome.ok) throw new Error(`raw POST failed: ${JSON.stringify(outcome)}`);
        }
      }),
    );
    const rawSeconds = (Date.now() - rawStarted) / 1000;
    rawRates.push(burst / rawSeconds);
    log(
      `round ${round}: ${burst} events written in ${writeSeconds.toFixed(1)} s (${(burst / writeSeconds).toFixed(1)}/s); dispatcher ${(burst / seconds).toFixed(1)} deliveries/s (${seconds.toFixed(1)} s); raw signed POSTs ${(burst / rawSeconds).toFixed(1)}/s`,
    );
  }
  // The dispatcher writes 3 items per delivery (recorded, claimed, finished): DynamoDB Local's
  // write rate, measured by the burst's own ledger writes, is its other ceiling.
  log(
    `dispatcher ÷ ledger writes (one transaction per event, 16 at once): median ${median(writeRates).toFixed(1)} writes/s, ratio ${(median(dispatcherRates) / median(writeRates)).toFixed(3)}`,
  );
  const requests = receiver.received.filter((r) => !r.id.startsWith('raw_')).length;
  const events = new Set(receiver.received.filter((r) => !r.id.startsWith('raw_')).map((r) => r.id))
    .size;
  log(
    `throughput, ${endpointCount} endpoints: dispatcher median ${median(dispatcherRates).toFixed(1)} deliveries/s, raw signed POSTs median ${median(rawRates).toFixed(1)}/s, ratio ${(median(dispatcherRates) / median(rawRates)).toFixed(3)}`,
  );
  log(`requests ${requests} for ${events} events (repeats carry the same webhook-id)`);
  log(
    `retry schedule (shared/domain/webhook-delivery.ts): at once, then ${RETRY_DELAYS_MS.map((ms) => (ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`)).join(', ')} (±20 % jitter), then the dead letter`,
  );
} finally {
  await service.stop();
  await receiver.close();
  await Promise.all(
    Object.values(tables).map((TableName) =>
      dynamodb.send(new DeleteTableCommand({ TableName })).catch(() => {}),
    ),
  );
  dynamodb.destroy();
  sqs.destroy();
}
