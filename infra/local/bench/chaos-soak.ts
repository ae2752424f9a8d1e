/**
 * The chaos soak: tips paid by several payer worker processes on the real local stack while a
 * seeded fault driver SIGKILLs workers every few seconds, restarts alice's lnd once and stops and
 * restarts DynamoDB Local once. When the faults stop and the reconciler has run, the recipients'
 * own nodes (their invoices, not our tables) must show exactly one settlement per SUCCEEDED tip
 * and none for a FAILED one, and our totals must equal theirs to the msat. Run by
 * `npm run soak` and, bounded, by test/integration/soak.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { type AuthenticatedLnd, type GetInvoicesResult, getInvoices } from 'lightning';
import { createObservability } from '../../../functions/observability.js';
import { createPayerRuntime, createStuckCheck } from '../../../functions/payer/runtime.js';
import { makeReconcilerHandler } from '../../../functions/reconciler/handler.js';
import {
  ensureTables,
  TABLE_KEYS,
  type TableNames,
} from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { tableNameEnv } from '../../../shared/config/tables.js';
import type { TipId } from '../../../shared/domain/brands.js';
import { derivePreimage, paymentHashOf } from '../../../shared/domain/preimage.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import type { TipRecord } from '../../../shared/ports/tip-ledger.js';
import { lambdaContext } from '../emulators/poller.js';
import { ensureLocalKeys, localServiceEnv } from '../emulators/service.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';
import { connectLnd } from '../stack/lnd.js';
import { startStackProcess, stopStackProcess } from '../stack/stack.js';

export interface SoakOptions {
  /** stack.json of the running local stack (regtest). */
  stackFile: string;
  tips: number;
  /** How long the faults go on; the tips are enqueued over the first 70 % of it. */
  faultWindowMs: number;
  seed: number;
  /** Payer worker processes kept running (each one killed and replaced in turn). */
  workers?: number;
  /** A worker is SIGKILLed every `killEveryMs[0]`…`killEveryMs[1]` ms (seeded). */
  killEveryMs?: [number, number];
  /** How long to wait, after the faults, for every tip to end or be flagged. */
  settleTimeoutMs?: number;
  /** Amounts per tip, sats (seeded uniformly in this range). */
  amountSats?: [number, number];
  /** Kill alice's lnd with SIGKILL (a crash) instead of stopping it cleanly with SIGTERM. */
  crashAlice?: boolean;
  /** Keep the run's tables (default: dropped when every check passed). */
  keepTables?: boolean;
  log?: (line: string) => void;
}

export interface SoakReport {
  seed: number;
  runId: string;
  tips: number;
  byRecipient: Record<string, number>;
  succeeded: number;
  failed: number;
  /** Tips that took more than one attempt (a kill, a restart or a lost answer in their way). */
  retried: number;
  /** Tips left SENDING with a stuck flag from the reconciler: reason by tip id. */
  flagged: Array<{ tipId: string; reason: string }>;
  kills: number;
  restarts: { alice: number; dynamodb: number };
  /** A hash settled more than once at a recipient, or for more than the tip's amount. */
  duplicates: number;
  /** A tip neither terminal nor flagged, SUCCEEDED without a settlement, FAILED with one… */
  lost: number;
  /** Every finding behind `duplicates` and `lost`, in words. */
  problems: string[];
  /** msat per recipient: our payouts table, our SUCCEEDED tips, the recipient's node. */
  totals: Record<string, { ledgerMsat: bigint; tipsMsat: bigint; nodeMsat: bigint }>;
  elapsedMs: number;
}

/** mulberry32: a small seeded PRNG, so a run's tips and faults repeat from its seed. */
const seededRandom = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

interface PlannedTip {
  tipId: string;
  to: string;
  amountMsat: bigint;
  paymentHash: string;
}

/** Every invoice a node holds, page by page. */
const allInvoices = async (lnd: AuthenticatedLnd) => {
  const invoices: GetInvoicesResult['invoices'] = [];
  let token: string | undefined;
  do {
    const page = await getInvoices(token ? { lnd, token } : { lnd, limit: 500 });
    invoices.push(...page.invoices);
    token = page.next;
  } while (token);
  return invoices;
};

const WORKER = join('infra', 'local', 'emulators', 'payer-worker.ts');

export const runChaosSoak = async (options: SoakOptions): Promise<SoakReport> => {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const stack = await readStackFile(options.stackFile);
  if (stack?.lightning.network !== 'regtest') {
    throw new Error(`the soak needs the local regtest stack (${options.stackFile})`);
  }
  const runId = `${options.seed}-${randomUUID().slice(0, 6)}`;
  const workerCount = options.workers ?? 3;
  const [killMin, killMax] = options.killEveryMs ?? [3_000, 6_000];
  const [amountMin, amountMax] = options.amountSats ?? [100, 1_000];

  // Tables and a queue of the run's own: a running `npm start` never sees them, and the totals
  // in its payouts table are this run's alone.
  const tables = Object.fromEntries(
    TABLE_KEYS.map((key) => [key, `tipstream-soak-${runId}-${key}`]),
  ) as unknown as TableNames;
  const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  await ensureTables(dynamodb, tables);
  const ledger = createDynamoTipLedger(dynamodb, tables);
  const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
  const queue = await createQueuePair(sqs, `soak-${runId}`, {
    maxReceiveCount: 1_000,
    visibilityTimeoutSeconds: 10,
  });
  const policyEnv = {
    ...tableNameEnv(tables),
    TIPSTREAM_DEADLINE_MARGIN_MS: '3000',
    TIPSTREAM_LEASE_GRACE_MS: '1000',
    TIPSTREAM_STUCK_AFTER_SECONDS: '3',
    // Anything LND keeps in flight this long after the faults is looked at and flagged.
    TIPSTREAM_FLAG_IN_FLIGHT_AFTER_SECONDS: '20',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };

  // The tips, all decided by the seed: mostly carol and dave, some frank (private channel),
  // some erin (no keysend: each must fail).
  const keys = await ensureLocalKeys(stack.runDir);
  const keyHex = keys.preimageKeys
    .split(',')
    .find((entry) => entry.startsWith(`${keys.preimageKeyVersion}:`))
    ?.split(':')[1];
  const preimageKey = Buffer.from(keyHex ?? '', 'hex');
  const planned: PlannedTip[] = Array.from({ length: options.tips }, (_, index) => {
    const roll = random();
    const to = roll < 0.05 ? 'erin' : roll < 0.25 ? 'frank' : roll < 0.625 ? 'carol' : 'dave';
    const sats = amountMin + Math.floor(random() * (amountMax - amountMin + 1));
    const tipId = `soak-${runId}-${index}`;
    return {
      tipId,
      to,
      amountMsat: BigInt(sats) * 1000n,
      paymentHash: Buffer.from(paymentHashOf(derivePreimage(preimageKey, tipId as TipId))).toString(
        'hex',
      ),
    };
  });
  const byRecipient: Record<string, number> = {};
  for (const tip of planned) byRecipient[tip.to] = (byRecipient[tip.to] ?? 0) + 1;
  log(
    `soak ${runId}: ${options.tips} tips (${Object.entries(byRecipient)
      .map(([name, count]) => `${name} ${count}`)
      .join(
        ', ',
      )}), ${workerCount} payer workers, faults for ${Math.round(options.faultWindowMs / 1000)} s`,
  );

  // Payer workers: real processes, killed with SIGKILL like a Lambda torn down mid-call.
  const live = new Set<ChildProcess>();
  const logFile = join(stack.runDir, 'logs', `soak-${runId}.log`);
  const spawnWorker = () => {
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        ...policyEnv,
        TIPSTREAM_STACK_FILE: options.stackFile,
        TIPSTREAM_WORKER_QUEUE_URL: queue.queueUrl,
        TIPSTREAM_WORKER_VISIBILITY_SECONDS: '10',
        TIPSTREAM_WORKER_FUNCTION_TIMEOUT_MS: '8000',
        NODE_OPTIONS: '--disable-warning=DEP0123',
      },
      stdio: ['ignore', out, out],
      detached: true,
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  };
  const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  for (let i = 0; i < workerCount; i += 1) spawnWorker();

  // The reconciler, as its schedule runs it (one run at a time), on the run's tables.
  const env = await localServiceEnv(stack, policyEnv);
  // EMF metrics are for CloudWatch; here they would only flood the output.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const reconcilerRuntime = createPayerRuntime(env, createObservability('reconciler', env));
  const reconcile = makeReconcilerHandler(
    reconcilerRuntime,
    createStuckCheck(env, reconcilerRuntime),
  );
  let reconcilerOn = true;
  const reconciler = (async () => {
    while (reconcilerOn) {
      await reconcile({}, lambdaContext('tipstream-reconciler', 20_000)).catch(() => {});
      await sleep(2_000);
    }
  })();

  const report: SoakReport = {
    seed: options.seed,
    runId,
    tips: options.tips,
    byRecipient,
    succeeded: 0,
    failed: 0,
    retried: 0,
    flagged: [],
    kills: 0,
    restarts: { alice: 0, dynamodb: 0 },
    duplicates: 0,
    lost: 0,
    problems: [],
    totals: {},
    elapsedMs: 0,
  };

  try {
    const faultStart = Date.now();
    const faultEnd = faultStart + options.faultWindowMs;
    // Tips go onto the queue over the first 70 % of the window, so every fault meets payments.
    const enqueueing = (async () => {
      const spreadMs = options.faultWindowMs * 0.7;
      for (let i = 0; i < planned.length; i += 10) {
        const at = faultStart + (spreadMs * i) / planned.length;
        if (at > Date.now()) await sleep(at - Date.now());
        const chunk = planned.slice(i, i + 10);
        for (;;) {
          try {
            await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: queue.queueUrl,
                Entries: chunk.map((tip, index) => ({
                  Id: String(index),
                  MessageBody: JSON.stringify(
                    buildTipRequest({
                      tipId: tip.tipId,
                      platformId: 'soak',
                      recipientPubkey: stackNode(stack, tip.to).pubkey,
                      amountMsat: Number(tip.amountMsat),
                      message: `chaos soak ${runId} #${i + index}`,
                    }),
                  ),
                })),
              }),
            );
            break;
          } catch (error) {
            log(`enqueue failed, again: ${(error as Error).message}`);
            await sleep(500);
          }
        }
      }
    })();

    // Kills: every few seconds a random worker dies by SIGKILL and a new one takes its place.
    const killing = (async () => {
      while (Date.now() < faultEnd) {
        await sleep(killMin + random() * (killMax - killMin));
        const victims = [...live];
        const victim = victims[Math.floor(random() * victims.length)];
        if (!victim) continue;
        killGroup(victim, 'SIGKILL');
        report.kills += 1;
        spawnWorker();
      }
    })();

    // Restarts, one after the other: alice in the first half, DynamoDB Local in the second.
    const restarting = (async () => {
      const aliceAt = faultStart + options.faultWindowMs * (0.2 + 0.15 * random());
      const dynamoAt = faultStart + options.faultWindowMs * (0.55 + 0.15 * random());
      await sleep(Math.max(0, aliceAt - Date.now()));
      log(`fault: ${options.crashAlice ? 'killing (SIGKILL)' : 'stopping'} lnd-alice`);
      await stopStackProcess(options.stackFile, 'lnd-alice', { crash: options.crashAlice });
      await sleep(1_000 + random() * 2_000);
      await startStackProcess(options.stackFile, 'lnd-alice');
      report.restarts.alice += 1;
      log(`fault: lnd-alice back after ${Math.round((Date.now() - aliceAt) / 1000)} s`);
      await sleep(Math.max(0, dynamoAt - Date.now()));
      log('fault: stopping DynamoDB Local');
      await stopStackProcess(options.stackFile, 'dynamodb-local');
      await sleep(2_000 + random() * 3_000);
      await startStackProcess(options.stackFile, 'dynamodb-local');
      report.restarts.dynamodb += 1;
      log(`fault: DynamoDB Local back after ${Math.round((Date.now() - dynamoAt) / 1000)} s`);
    })();

    await Promise.all([enqueueing, killing, restarting]);
    log(
      `faults over after ${Math.round((Date.now() - faultStart) / 1000)} s: ${report.kills} kills; settling`,
    );
    while (live.size < workerCount) spawnWorker();

    // Settle: every tip SUCCEEDED, FAILED, or SENDING with the reconciler's stuck flag.
    const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 180_000);
    let tips = new Map<string, TipRecord>();
    for (;;) {
      tips = await ledger
        .getTips(planned.map((tip) => tip.tipId))
        .catch(() => new Map<string, TipRecord>());
      const open = planned.filter((tip) => {
        const record = tips.get(tip.tipId);
        return !(
          record &&
          (record.state === 'SUCCEEDED' || record.state === 'FAILED' || record.stuck)
        );
      });
      if (open.length === 0 || Date.now() > settleDeadline) break;
      await sleep(2_000);
    }
    // One more reconciler run after the last tip ended, as the brief's check asks.
    await reconcile({}, lambdaContext('tipstream-reconciler', 20_000)).catch(() => {});
    tips = await ledger.getTips(planned.map((tip) => tip.tipId));

    // The recipients' own nodes: what they settled, by payment hash.
    const settled = new Map<
      string,
      { invoices: number; htlcs: number; msat: bigint; node: string }
    >();
    for (const name of ['carol', 'dave', 'frank', 'erin']) {
      const lnd = await connectLnd(stackNode(stack, name));
      for (const invoice of await allInvoices(lnd)) {
        if (!invoice.is_confirmed) continue;
        const seen = settled.get(invoice.id) ?? { invoices: 0, htlcs: 0, msat: 0n, node: name };
        seen.invoices += 1;
        seen.htlcs += invoice.payments.filter((payment) => payment.is_confirmed).length;
        seen.msat += BigInt(invoice.received_mtokens);
        settled.set(invoice.id, seen);
      }
    }

    const problem = (kind: 'duplicates' | 'lost', text: string) => {
      report[kind] += 1;
      report.problems.push(`${kind === 'duplicates' ? 'DUPLICATE' : 'LOST'}: ${text}`);
    };
    for (const name of ['carol', 'dave', 'frank', 'erin']) {
      report.totals[name] = { ledgerMsat: 0n, tipsMsat: 0n, nodeMsat: 0n };
    }
    for (const tip of planned) {
      const record = tips.get(tip.tipId);
      const atNode = settled.get(tip.paymentHash);
      const totals = report.totals[tip.to] as SoakReport['totals'][string];
      if (atNode) totals.nodeMsat += atNode.msat;
      if (atNode && (atNode.invoices > 1 || atNode.htlcs > 1 || atNode.msat > tip.amountMsat)) {
        problem(
          'duplicates',
          `${tip.tipId}: ${tip.to} settled its hash ${atNode.invoices}× (${atNode.htlcs} HTLCs, ${atNode.msat} msat for ${tip.amountMsat})`,
        );
      }
      if (atNode && atNode.node !== tip.to) {
        problem('lost', `${tip.tipId}: paid to ${atNode.node}, meant for ${tip.to}`);
      }
      if (!record) {
        problem('lost', `${tip.tipId}: never recorded`);
        continue;
      }
      if (record.attempt > 1) report.retried += 1;
      if (record.paymentHash !== tip.paymentHash) {
        problem('lost', `${tip.tipId}: the ledger's hash is not the one derived from its id`);
      }
      switch (record.state) {
        case 'SUCCEEDED':
          report.succeeded += 1;
          totals.tipsMsat += record.amountMsat;
          if (!atNode || atNode.msat !== tip.amountMsat) {
            problem(
              'lost',
              `${tip.tipId}: SUCCEEDED but ${tip.to}'s node shows ${atNode ? `${atNode.msat} msat` : 'no settlement'} for ${tip.amountMsat}`,
            );
          }
          break;
        case 'FAILED':
          report.failed += 1;
          if (atNode)
            problem('lost', `${tip.tipId}: FAILED (${record.failureCode}) but ${tip.to} was paid`);
          break;
        default:
          if (record.stuck?.attempt === record.attempt) {
            report.flagged.push({ tipId: tip.tipId, reason: record.stuck.reason });
            if (atNode) problem('lost', `${tip.tipId}: flagged stuck but ${tip.to} was paid`);
          } else {
            problem(
              'lost',
              `${tip.tipId}: still ${record.state} (attempt ${record.attempt}), not flagged`,
            );
          }
      }
      if (tip.to === 'erin' && record.state === 'SUCCEEDED') {
        problem('lost', `${tip.tipId}: erin does not accept keysend, yet SUCCEEDED`);
      }
    }
    for (const [name, totals] of Object.entries(report.totals)) {
      const recorded = await ledger.getRecipientTotals(stackNode(stack, name).pubkey);
      totals.ledgerMsat = recorded?.paidMsat ?? 0n;
      if (totals.ledgerMsat !== totals.nodeMsat || totals.tipsMsat !== totals.nodeMsat) {
        problem(
          'lost',
          `${name}: payouts table ${totals.ledgerMsat} msat, SUCCEEDED tips ${totals.tipsMsat} msat, ${name}'s node ${totals.nodeMsat} msat`,
        );
      }
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10 }),
    );
    for (const message of Messages)
      problem('lost', `dead-lettered: ${message.Body?.slice(0, 120)}`);
  } finally {
    reconcilerOn = false;
    for (const child of live) killGroup(child, 'SIGTERM');
    await Promise.race([reconciler, sleep(25_000)]);
    await sleep(1_000);
    for (const child of live) killGroup(child, 'SIGKILL');
    reconcilerRuntime.dynamodb.destroy();
    report.elapsedMs = Date.now() - started;
    if (!options.keepTables && report.problems.length === 0) {
      await Promise.all(
        Object.values(tables).map((TableName) =>
          dynamodb.send(new DeleteTableCommand({ TableName })).catch(() => {}),
        ),
      );
    }
    dynamodb.destroy();
    sqs.destroy();
  }
  return report;
};

/** The report as the soak prints it. */
export const formatSoakReport = (report: SoakReport): string => {
  const seconds = Math.round(report.elapsedMs / 1000);
  const lines = [
    `chaos soak ${report.runId} (seed ${report.seed}), ${Math.floor(seconds / 60)} min ${seconds % 60} s`,
    `  tips        ${report.tips} (${Object.entries(report.byRecipient)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')})`,
    `  kills       ${report.kills} payer workers (SIGKILL)`,
    `  restarts    lnd-alice ${report.restarts.alice}, DynamoDB Local ${report.restarts.dynamodb}`,
    `  outcome     ${report.succeeded} SUCCEEDED, ${report.failed} FAILED, ${report.flagged.length} flagged stuck in LND; ${report.retried} took more than one attempt`,
    ...Object.entries(report.totals).map(
      ([name, totals]) =>
        `  ${name.padEnd(11)} node ${totals.nodeMsat} msat = payouts table ${totals.ledgerMsat} msat = SUCCEEDED tips ${totals.tipsMsat} msat${totals.nodeMsat === totals.ledgerMsat && totals.nodeMsat === totals.tipsMsat ? '' : '  ← differ'}`,
    ),
    ...report.flagged.slice(0, 10).map((flag) => `  flagged     ${flag.tipId}: ${flag.reason}`),
    `  duplicates found = ${report.duplicates}, lost = ${report.lost}`,
    ...report.problems.slice(0, 20).map((text) => `  ${text}`),
  ];
  return lines.join('\n');
};
