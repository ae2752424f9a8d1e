/**
 * Payer benchmark on the running local stack (`npm run stack:up` first):
 *   npm run bench:payer -- [tips=200] [inFlight=8] [rounds=5] [batchSize] [--separate]
 * Runs, alternating for `rounds` rounds, the raw baseline (keysend through `lightning` straight
 * from alice, `inFlight` payments at a time) and Tipstream (the real payer through the local
 * poller: batches of `batchSize`, each paid at once, inFlight / batchSize invocations at a time,
 * so at most `inFlight` tips in hand at once), paying the same recipients (carol, dave) the
 * same amounts with the same records. Prints tips/s of both per round, the medians and their
 * ratio (Tipstream ÷ raw), enqueue-to-SUCCEEDED latency and the DynamoDB, SQS and LND gRPC
 * requests the payer made per tip. The ratio is what to read: both run on the same loaded machine.
 * Also the CPU each side cost per tip, by process (this one, which is the payer for Tipstream and
 * the `lightning` client for raw; DynamoDB Local; ElasticMQ; the lnd nodes): on a machine with
 * fewer cores than busy processes, both sides are bound by CPU and the ratio is the share of it
 * the lnd nodes get, which the local stand-ins for DynamoDB and SQS take from them. And the
 * median time of each AWS request by command.
 * One unmeasured round of each side comes first (the emulators' JVMs compile their hot paths).
 * Each round ends with `ledgerOnly`: the payer's two ledger writes per tip alone, no LND, the same
 * tips at once: the ceiling DynamoDB Local puts on the Tipstream side here.
 * `--separate`: every round is also run with production's separation reproduced on this machine
 * (`cpu-placement.ts`: the lnd nodes and btcd on half the cores; this process, which is the payer
 * or the raw client, DynamoDB Local and ElasticMQ on the others), for both sides, and both
 * comparisons are printed (`separated` beside the plain figures).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { getWalletInfo, subscribeToPayViaDetails } from 'lightning';
import {
  deleteTablesByPrefix,
  ensureTables,
  LOCAL_TABLE_NAMES,
  prefixedTableNames,
} from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { tableNameEnv } from '../../../shared/config/tables.js';
import {
  KEYSEND_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
} from '../../../shared/domain/keysend-records.js';
import { secp } from '../../../shared/domain/secp.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import { startLocalService } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';
import { connectLnd } from '../stack/lnd.js';
import { waitFor } from '../stack/wait.js';
import { coreSets, type Placement, place } from './cpu-placement.js';

// The Lambda bundles run without source maps; tsx turns them on, and then every gRPC stream that
// lightning cancels (two per payment, both sides) formats a stack through them: ~0.5 ms a payment.
process.setSourceMapsEnabled(false);

const args = process.argv.slice(2);
const separate = args.includes('--separate');
const [tipsArg = '200', inFlightArg = '8', roundsArg = '5', batchArg] = args.filter(
  (arg) => !arg.startsWith('--'),
);
const tipCount = Number(tipsArg);
const inFlight = Number(inFlightArg);
const rounds = Number(roundsArg);
/**
 * By default the largest batch of at most 5 that divides `inFlight` (4 at 8, 5 at 30), so the
 * invocations hold exactly `inFlight` tips. Measured at 30 in flight (300 tips, 2 rounds, load
 * 9-14): batches of 2 gave 0.62 (separated 0.77), 5 gave 0.86 (0.88), 10 gave 0.75 (0.89):
 * small batches cost a receive, a delete and a group of ledger ends per two tips, large ones wait
 * for their slowest tip before the slot takes more.
 */
const defaultBatch = (n: number) =>
  [5, 4, 3, 2, 1].find((size) => size <= n && n % size === 0) ?? 1;
const batchSize = Math.min(10, Number(batchArg ?? defaultBatch(inFlight)), inFlight);
const invocations = Math.ceil(inFlight / batchSize);
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}

/**
 * Tables of the run's own, empty at the start and dropped at the end (with any a killed run
 * left): every tip of the Tipstream and ledger-only rounds is written there, so each run measures
 * the same empty tables, and the stack's database does not grow by ~6 KB a tip (the item, four
 * indexes, the stream) run after run, as it did in the service's tables (252 MB after a morning of
 * runs; DynamoDB Local's writes slow down as it grows). One `bench:payer` at a time per stack.
 */
const TABLES_PREFIX = 'tipstream-bench-payer-';
const tables = prefixedTableNames(`${TABLES_PREFIX}${randomUUID().slice(0, 8)}-`);
const tablesClient = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
await deleteTablesByPrefix(tablesClient, TABLES_PREFIX, LOCAL_TABLE_NAMES);
await ensureTables(tablesClient, tables);
// The service started below reads its tables from here (`localServiceEnv`).
Object.assign(process.env, tableNameEnv(tables));

/** Time each request took, ms, by command (a long-polled receive counts its wait too). */
const requestTimes = new Map<string, number[]>();
/** Counts requests by command on an AWS SDK client, and times them. */
const countRequests = (client: DynamoDBClient | SQSClient, counts: Map<string, number>) => {
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const times = requestTimes.get(name) ?? [];
        times.push(performance.now() - started);
        requestTimes.set(name, times);
      }
    },
    { step: 'initialize', name: 'tipstreamRequestCounter' },
  );
};

const recipients = ['carol', 'dave'].map((name) => stackNode(stack, name).pubkey);
/** The i-th tip of a round: the raw baseline pays exactly these too. */
const tipAt = (i: number) => ({
  recipientPubkey: recipients[i % 2] as string,
  amountMsat: 10_000 + (i % 50) * 1000,
  message: `bench tip ${i}`,
});
/** What the payer's fee policy allows for these amounts (the raw baseline sends the same cap). */
const MAX_FEE_MSAT = 10_000n;

/** CPU time so far (ms) of this process and of the stack's processes, grouped. */
const TICK_MS = 10; // Linux USER_HZ (100): /proc/<pid>/stat counts CPU in 1/100 s
const groupOf = (name: string) => (name.startsWith('lnd-') ? 'lnd' : name);
const cpuNow = (): Record<string, number> => {
  const own = process.cpuUsage();
  const totals: Record<string, number> = { bench: (own.user + own.system) / 1000 };
  for (const { name, pid } of stack.processes) {
    if (!['dynamodb-local', 'elasticmq'].includes(name) && !name.startsWith('lnd-')) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
      totals[groupOf(name)] = (totals[groupOf(name)] ?? 0) + ticks * TICK_MS;
    } catch {
      // Not on Linux, or the process is gone: that part is left out.
    }
  }
  return totals;
};
const cpuSince = (before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(cpuNow()).map(([group, ms]) => [group, ms - (before[group] ?? 0)]),
  );

interface RoundResult {
  /** CPU ms per tip by process group, while the round ran. */
  cpuMsPerTip: Record<string, number>;
  seconds: number;
  tipsPerSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
  succeeded: number;
  failed: number;
}

const summarize = (
  startedAt: number,
  finishedAt: number[],
  failed: number,
  cpu: Record<string, number>,
): RoundResult => {
  const latencies = finishedAt.map((at) => at - startedAt).sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
  const seconds = (Math.max(...finishedAt) - startedAt) / 1000;
  return {
    cpuMsPerTip: Object.fromEntries(
      Object.entries(cpu).map(([group, ms]) => [group, Number((ms / tipCount).toFixed(1))]),
    ),
    seconds: Number(seconds.toFixed(2)),
    tipsPerSecond: Number((tipCount / seconds).toFixed(1)),
    latencyMs: { p50: percentile(50), p95: percentile(95), max: latencies.at(-1) ?? 0 },
    succeeded: finishedAt.length - failed,
    failed,
  };
};

// The raw baseline: what one client of alice's node gets from `lightning` alone.
const alice = await connectLnd(stackNode(stack, stack.lightning.operator));
const rawRound = async (): Promise<RoundResult> => {
  const { current_block_height: height } = await getWalletInfo({ lnd: alice });
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const finishedAt: number[] = [];
  let failed = 0;
  let next = 0;
  const cpu = cpuNow();
  const started = Date.now();
  const payOne = (i: number) =>
    new Promise<void>((resolve) => {
      const tip = tipAt(i);
      const preimage = randomBytes(32);
      const sub = subscribeToPayViaDetails({
        lnd: alice,
        destination: tip.recipientPubkey,
        id: createHash('sha256').update(preimage).digest('hex'),
        mtokens: String(tip.amountMsat),
        max_fee_mtokens: MAX_FEE_MSAT.toString(),
        max_timeout_height: height + 1008,
        pathfinding_timeout: 30_000,
        messages: [
          { type: KEYSEND_RECORD_TYPE.toString(), value: hex(preimage) },
          { type: TEXT_MESSAGE_RECORD_TYPE.toString(), value: hex(Buffer.from(tip.message)) },
        ],
      });
      const done = (ok: boolean) => {
        sub.removeAllListeners();
        if (!ok) failed += 1;
        finishedAt.push(Date.now());
        resolve();
      };
      sub.once('confirmed', () => done(true));
      sub.once('failed', () => done(false));
      sub.once('error', () => done(false));
    });
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < tipCount) await payOne(next++);
    }),
  );
  return summarize(started, finishedAt, failed, cpuSince(cpu));
};

// Tipstream: the real payer through the local poller, on a private queue.
const control = localSqsClient(stack.sqs.endpoint, stack.region);
const { queueUrl } = await createQueuePair(control, 'bench');
const dynamoCounts = new Map<string, number>();
const sqsCounts = new Map<string, number>();
const service = await startLocalService(stack, {
  queueUrl,
  batchSize,
  maxConcurrency: invocations,
  reconcileEveryMs: 0,
  apiPort: false,
  env: { TIPSTREAM_PAYER_CONCURRENCY: String(batchSize), POWERTOOLS_LOG_LEVEL: 'ERROR' },
  onPayerBatch: (batch) => {
    acknowledged += batch.deleted;
  },
});
countRequests(service.runtime.dynamodb, dynamoCounts);
countRequests(service.sqs, sqsCounts);
const ledger = createDynamoTipLedger(tablesClient, tables);

let acknowledged = 0;
let roundTarget = 0;
const tipstreamRound = async (): Promise<RoundResult> => {
  roundTarget = acknowledged + tipCount;
  const tips = Array.from({ length: tipCount }, (_, i) =>
    buildTipRequest({ tipId: `bench-${randomUUID()}`, platformId: 'bench', ...tipAt(i) }),
  );
  const cpu = cpuNow();
  const started = Date.now();
  for (let i = 0; i < tips.length; i += 10) {
    const chunk = tips.slice(i, i + 10);
    await control.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((tip, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(tip),
        })),
      }),
    );
  }
  // Done when the poller has deleted every message (each deleted one ended: paid or failed); the
  // ledger is read once then. Polling it meanwhile would load DynamoDB Local, which the raw side
  // does not pay for.
  await waitFor(`${tipCount} tips to finish`, async () => acknowledged >= roundTarget, {
    timeoutMs: 600_000,
    intervalMs: 100,
  });
  const done = await ledger.getTips(tips.map((tip) => tip.tipId));
  sampleReceipt = [...done.values()].find((tip) => tip.receipt)?.receipt ?? sampleReceipt;
  const usedCpu = cpuSince(cpu);
  const states = [...done.values()];
  return summarize(
    started,
    states.map((tip) => Date.parse(tip.updatedAt)),
    states.filter((tip) => tip.state === 'FAILED').length,
    usedCpu,
  );
};

/** A receipt the payer signed in the last round: the ledger-only round writes one this size. */
let sampleReceipt = '';

/**
 * The payer's two ledger writes alone, as it makes them (the tip created SENDING with its lease,
 * then the transaction that ends it SUCCEEDED with a receipt, the recipient's totals and the
 * platform's hourly counter), `inFlight` tips at once, no LND and no SQS: what DynamoDB Local
 * lets through, the ceiling of the Tipstream side whatever the payer does. Under a platform of
 * its own (`bench-ledger`) and made-up recipients; the receipt written is a real one's length,
 * not a receipt of the tip (nothing was paid: no node's totals may count it).
 */
const ledgerRound = async (): Promise<RoundResult> => {
  const run = randomUUID();
  // Two made-up recipients, as carol and dave take turns in the rounds: the same items written as
  // often, and carol's and dave's totals keep only what was paid to them.
  const recipientsOfRun = [0, 1].map(() =>
    Buffer.from(secp.getPublicKey(randomBytes(32), true)).toString('hex'),
  );
  const finishedAt: number[] = [];
  let failed = 0;
  let next = 0;
  const cpu = cpuNow();
  const started = Date.now();
  const writeOne = async (i: number) => {
    const tip = tipAt(i);
    const tipId = `bench-ledger-${run}-${i}`;
    const now = new Date();
    const { record } = await ledger.createTip(
      {
        tipId,
        fingerprint: createHash('sha256').update(tipId).digest('hex'),
        platformId: 'bench-ledger',
        recipient: recipientsOfRun[i % 2] as string,
        amountMsat: BigInt(tip.amountMsat),
        records: [],
        paymentHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
        keyVersion: 1,
      },
      now,
      new Date(now.getTime() + 60_000),
    );
    await ledger.markSucceeded(
      record,
      { receipt: 'r'.repeat(sampleReceipt.length), feeMsat: 0n, settledAt: now.toISOString() },
      new Date(),
      { kind: 'none' },
    );
  };
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < tipCount) {
        // The local client makes one attempt: a write DynamoDB Local drops (a reset connection
        // at 30 at once) is counted as failed, as the payer would leave it to a redelivery.
        await writeOne(next++).catch(() => {
          failed += 1;
        });
        finishedAt.push(Date.now());
      }
    }),
  );
  return summarize(started, finishedAt, failed, cpuSince(cpu));
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const placements: Placement[] = separate ? ['plain', 'separated'] : ['plain'];
type Side = 'raw' | 'tipstream' | 'ledgerOnly';
const results = Object.fromEntries(
  placements.map((placement) => [
    placement,
    { raw: [] as RoundResult[], tipstream: [] as RoundResult[], ledgerOnly: [] as RoundResult[] },
  ]),
) as Record<Placement, Record<Side, RoundResult[]>>;
const run = async (which: Side) =>
  which === 'raw'
    ? await rawRound()
    : which === 'tipstream'
      ? await tipstreamRound()
      : await ledgerRound();
try {
  // Unmeasured: the JVMs of DynamoDB Local and ElasticMQ compile their hot paths in the first
  // thousands of requests, which would otherwise count against whichever round comes first.
  process.stderr.write('warm-up: one round of each side, not counted\n');
  await run('raw');
  await run('tipstream');
  for (let round = 1; round <= rounds; round += 1) {
    for (const [index, placement] of placements.entries()) {
      if (separate) place(placement, stack.processes);
      // Alternate which goes first, so neither always meets the other's leftovers.
      const order: Side[] = (round + index) % 2 ? ['raw', 'tipstream'] : ['tipstream', 'raw'];
      for (const which of [...order, 'ledgerOnly' as const]) {
        const result = await run(which);
        results[placement][which].push(result);
        process.stderr.write(
          `round ${round} ${placement.padEnd(9)} ${which.padEnd(9)} ${result.tipsPerSecond} tips/s (${result.seconds} s, p50 ${result.latencyMs.p50} ms, ${result.failed} failed)\n`,
        );
      }
    }
  }
} finally {
  if (separate) place('plain', stack.processes);
}
await service.stop();
await deleteTablesByPrefix(tablesClient, TABLES_PREFIX, LOCAL_TABLE_NAMES);

const tipsPaid = tipCount * (rounds * placements.length + 1);
const perTip = (counts: Map<string, number>) =>
  Object.fromEntries([...counts].map(([name, n]) => [name, Number((n / tipsPaid).toFixed(2))]));
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
/** One line per side: every round's tips/s and p50 latency, and the median. */
const side = (results: RoundResult[]) => ({
  tipsPerSecondMedian: median(results.map((result) => result.tipsPerSecond)),
  tipsPerSecond: results.map((result) => result.tipsPerSecond),
  p50LatencyMs: results.map((result) => result.latencyMs.p50),
  p95LatencyMs: results.map((result) => result.latencyMs.p95),
  cpuMsPerTip: results.map((result) => result.cpuMsPerTip),
});
/** CPU of every measured process per tip, ms: what a side costs the machine. */
const cpuTotal = (result: RoundResult) =>
  Object.values(result.cpuMsPerTip).reduce((sum, ms) => sum + ms, 0);
/**
 * Both sides under one placement: the ratio of their medians (the figure to read), each round's
 * own ratio (the two sides of a round ran back to back: its spread is the bench's noise), and the
 * median CPU per tip of each side, all processes together and outside lnd. Where CPU is the
 * bottleneck (every process on 2 cores), the ratio cannot pass raw's total ÷ Tipstream's total.
 */
const comparison = ({ raw, tipstream, ledgerOnly }: Record<Side, RoundResult[]>) => ({
  raw: side(raw),
  tipstream: { ...side(tipstream), batchSize, invocations },
  ledgerOnly: side(ledgerOnly),
  ratio: Number(
    (
      median(tipstream.map((result) => result.tipsPerSecond)) /
      median(raw.map((result) => result.tipsPerSecond))
    ).toFixed(2),
  ),
  roundRatios: tipstream.map((result, round) =>
    Number((result.tipsPerSecond / (raw[round]?.tipsPerSecond ?? Number.NaN)).toFixed(2)),
  ),
  cpuMsPerTipMedian: Object.fromEntries(
    (['raw', 'tipstream'] as const).map((which) => {
      const results = which === 'raw' ? raw : tipstream;
      const all = median(results.map(cpuTotal));
      const outsideLnd = median(
        results.map((result) => cpuTotal(result) - (result.cpuMsPerTip.lnd ?? 0)),
      );
      return [which, { all: Number(all.toFixed(1)), outsideLnd: Number(outsideLnd.toFixed(1)) }];
    }),
  ),
});
const summary = {
  tips: tipCount,
  inFlight,
  rounds,
  ...comparison(results.plain),
  ...(separate && {
    separated: { cores: coreSets(), ...comparison(results.separated) },
  }),
  dynamodbRequestsPerTip: Number((total(dynamoCounts) / tipsPaid).toFixed(2)),
  dynamodbByCommand: perTip(dynamoCounts),
  sqsRequestsPerTip: Number((total(sqsCounts) / tipsPaid).toFixed(2)),
  sqsByCommand: perTip(sqsCounts),
  requestMsMedianByCommand: Object.fromEntries(
    [...requestTimes].map(([name, times]) => [name, Number(median(times).toFixed(1))]),
  ),
  lndCallsPerTip: Number((total(service.runtime.lndCalls) / tipsPaid).toFixed(2)),
  lndByMethod: perTip(service.runtime.lndCalls),
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
const failed = Object.values(results)
  .flatMap(({ raw, tipstream }) => [...raw, ...tipstream])
  .some((result) => result.failed > 0);
process.exit(failed ? 1 : 0);
