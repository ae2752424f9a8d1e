/**
 * The chaos soak: tips paid by several payer worker processes on the real local stack while a
 * seeded fault driver SIGKILLs workers every few seconds, restarts alice's lnd once and stops and
 * restarts DynamoDB Local once. Every kind of tip is in the mix: keysend (carol, dave, frank; erin
 * refuses keysend), AMP to grace (one of them larger than any single path), and Lightning Address
 * tips (erin by LNURL-pay invoice, dave's sub-wallet by keysend details); some tips of each kind
 * are enqueued many times at once (a duplicate storm). When the faults stop and the reconciler has
 * run, the recipients' own nodes (their invoices, not our tables) must show exactly one
 * settlement per SUCCEEDED tip (keysend: its hash; AMP: one settled set for its payment address;
 * LNURL: its stored invoice's hash, and no other invoice of the run settled) and none for a FAILED
 * one, and our totals must equal theirs to the msat. Run by `npm run soak` and, bounded, by
 * test/integration/soak.test.ts.
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
import { ensureTables, prefixedTableNames } from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { tableNameEnv } from '../../../shared/config/tables.js';
import type { TipId } from '../../../shared/domain/brands.js';
import { deriveAmpPaymentAddr } from '../../../shared/domain/payment-method.js';
import { derivePreimage, paymentHashOf } from '../../../shared/domain/preimage.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import type { TipRecord } from '../../../shared/ports/tip-ledger.js';
import { lambdaContext } from '../emulators/poller.js';
import { ensureLocalKeys, localServiceEnv } from '../emulators/service.js';
import { ampInvoices, giveBackInbound, settledSets } from '../stack/amp-receiver.js';
import { createQueuePair, localSqsClient } from '../stack/elasticmq.js';
import { connectLnd } from '../stack/lnd.js';
import { GRACE_CHANNEL_SATS } from '../stack/regtest-network.js';
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
  /** AMP tips to grace larger than any one path (each needs most of her inbound liquidity). */
  largeAmpTips?: number;
  /** Copies of a storm tip, all enqueued at once (the first tip of each kind is one). */
  stormCopies?: number;
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
  /** Tips per kind and recipient (`carol`, `grace amp`, `erin lnurl`, `dave hub`…). */
  byRecipient: Record<string, number>;
  /** Tips enqueued many times at once, and the messages that made. */
  storms: { tips: number; messages: number };
  /** AMP tips larger than one path: how many, and how many SUCCEEDED (by AMP). */
  largeAmp: { tips: number; succeeded: number };
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
  /** msat per recipient (and kind): our payouts table, our SUCCEEDED tips, the recipient's node. */
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

/**
 * How a tip reaches its recipient: `keysend` to a node; `amp` to grace; `lnurl`: erin's Lightning
 * Address (an LNURL-pay invoice); `hub`: dave's Lightning Address (keysend details, a sub-wallet).
 */
type TipKind = 'keysend' | 'amp' | 'lnurl' | 'hub';

interface PlannedTip {
  tipId: string;
  kind: TipKind;
  /** The node that is paid. */
  to: string;
  /** Its line of the report: the node, or the node and the kind. */
  group: string;
  amountMsat: bigint;
  /** keysend and hub tips: the hash derived from the tip id. */
  paymentHash?: string;
  /** AMP tips: the payment address derived from the tip id. */
  paymentAddr?: string;
  large: boolean;
  /** How many times it is enqueued (more than 1: a duplicate storm). */
  copies: number;
}

/** The seeded mix: kind and node by a roll in [0, 1). */
const MIX: Array<{ below: number; kind: TipKind; to: string }> = [
  { below: 0.05, kind: 'keysend', to: 'erin' },
  { below: 0.16, kind: 'keysend', to: 'frank' },
  { below: 0.37, kind: 'keysend', to: 'carol' },
  { below: 0.53, kind: 'keysend', to: 'dave' },
  { below: 0.73, kind: 'amp', to: 'grace' },
  { below: 0.87, kind: 'lnurl', to: 'erin' },
  { below: 1, kind: 'hub', to: 'dave' },
];
/** What a recipient's node settled for one tip: invoices (AMP: sets), HTLCs, msat, invoice. */
interface NodeView {
  invoices: number;
  htlcs: number;
  msat: bigint;
  node: string;
  request?: string;
}

/** More than one of grace's channels holds: only both together (AMP) carry it. */
const LARGE_AMP_SATS = GRACE_CHANNEL_SATS + 50_000;

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
  const tables = prefixedTableNames(`tipstream-soak-${runId}-`);
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

  // The tips, all decided by the seed (MIX); the large AMP tips spread over the run.
  const keys = await ensureLocalKeys(stack.runDir);
  const keyHex = keys.preimageKeys
    .split(',')
    .find((entry) => entry.startsWith(`${keys.preimageKeyVersion}:`))
    ?.split(':')[1];
  const preimageKey = Buffer.from(keyHex ?? '', 'hex');
  const largeCount = Math.min(options.largeAmpTips ?? 1, options.tips);
  const largeAt = new Set(
    Array.from({ length: largeCount }, (_, i) =>
      Math.floor(((i + 0.5) * options.tips) / largeCount),
    ),
  );
  const stormCopies = options.stormCopies ?? 10;
  const stormed = new Set<TipKind>();
  const planned: PlannedTip[] = Array.from({ length: options.tips }, (_, index) => {
    const roll = random();
    const large = largeAt.has(index);
    const { kind, to } = large
      ? { kind: 'amp' as const, to: 'grace' }
      : (MIX.find((entry) => roll < entry.below) ?? (MIX.at(-1) as (typeof MIX)[number]));
    const sats = large
      ? LARGE_AMP_SATS
      : amountMin + Math.floor(random() * (amountMax - amountMin + 1));
    const tipId = `soak-${runId}-${index}`;
    // The first tip of each kind is a storm, then about one in 30.
    const storm = !stormed.has(kind) || random() < 1 / 30;
    stormed.add(kind);
    return {
      tipId,
      kind,
      to,
      group: kind === 'keysend' ? to : `${to} ${kind}`,
      amountMsat: BigInt(sats) * 1000n,
      ...(kind === 'keysend' || kind === 'hub'
        ? {
            paymentHash: Buffer.from(
              paymentHashOf(derivePreimage(preimageKey, tipId as TipId)),
            ).toString('hex'),
          }
        : {}),
      ...(kind === 'amp'
        ? {
            paymentAddr: Buffer.from(deriveAmpPaymentAddr(preimageKey, tipId as TipId)).toString(
              'hex',
            ),
          }
        : {}),
      large,
      copies: storm ? stormCopies : 1,
    };
  });
  const byRecipient: Record<string, number> = {};
  for (const tip of planned) byRecipient[tip.group] = (byRecipient[tip.group] ?? 0) + 1;
  const storms = planned.filter((tip) => tip.copies > 1);
  log(
    `soak ${runId}: ${options.tips} tips (${Object.entries(byRecipient)
      .map(([name, count]) => `${name} ${count}`)
      .join(
        ', ',
      )}; ${storms.length} storms of ${stormCopies}), ${workerCount} payer workers, faults for ${Math.round(options.faultWindowMs / 1000)} s`,
  );
  // grace's inbound liquidity whole again (a reused stack, an earlier run's large tips).
  const lnds = new Map<string, AuthenticatedLnd>();
  const lndOf = async (name: string) => {
    const known = lnds.get(name);
    if (known) return known;
    const lnd = await connectLnd(stackNode(stack, name));
    lnds.set(name, lnd);
    return lnd;
  };
  await giveBackInbound(await lndOf('grace'), await lndOf('bob'));
  const recipientOf = (tip: PlannedTip): string =>
    tip.kind === 'lnurl' || tip.kind === 'hub'
      ? (stack.lightningAddress?.addresses[tip.to] ?? '')
      : stackNode(stack, tip.to).pubkey;
  if (planned.some((tip) => tip.kind === 'lnurl' || tip.kind === 'hub')) {
    if (!stack.lightningAddress?.addresses.erin || !stack.lightningAddress.addresses.dave) {
      throw new Error('the soak needs the stack Lightning Address server (erin and dave)');
    }
  }

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
    storms: {
      tips: storms.length,
      messages: storms.reduce((sum, tip) => sum + tip.copies, 0),
    },
    largeAmp: { tips: largeCount, succeeded: 0 },
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
    const bodyOf = (tip: PlannedTip, index: number) =>
      JSON.stringify(
        buildTipRequest({
          tipId: tip.tipId,
          platformId: 'soak',
          ...(tip.kind === 'lnurl' || tip.kind === 'hub'
            ? { recipientAddress: recipientOf(tip) }
            : { recipientPubkey: recipientOf(tip) }),
          amountMsat: Number(tip.amountMsat),
          message: `chaos soak ${runId} #${index}`,
          ...(tip.kind === 'amp' ? { method: tip.large ? 'auto' : 'amp' } : {}),
        }),
      );
    const send = async (entries: Array<{ Id: string; MessageBody: string }>) => {
      for (;;) {
        try {
          await sqs.send(
            new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: entries }),
          );
          return;
        } catch (error) {
          log(`enqueue failed, again: ${(error as Error).message}`);
          await sleep(500);
        }
      }
    };
    const enqueueing = (async () => {
      const spreadMs = options.faultWindowMs * 0.7;
      for (let i = 0; i < planned.length; i += 10) {
        const at = faultStart + (spreadMs * i) / planned.length;
        if (at > Date.now()) await sleep(at - Date.now());
        const chunk = planned.slice(i, i + 10);
        const single = chunk.filter((tip) => tip.copies === 1);
        await Promise.all([
          ...(single.length > 0
            ? [
                send(
                  single.map((tip) => ({
                    Id: tip.tipId,
                    MessageBody: bodyOf(tip, i + chunk.indexOf(tip)),
                  })),
                ),
              ]
            : []),
          // A storm: every copy at once, each its own request, so several workers' receives
          // (long polls already waiting) take copies of the same tip together.
          ...chunk
            .filter((tip) => tip.copies > 1)
            .flatMap((tip) =>
              Array.from({ length: tip.copies }, (_, copy) =>
                send([{ Id: `copy-${copy}`, MessageBody: bodyOf(tip, i + chunk.indexOf(tip)) }]),
              ),
            ),
        ]);
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

    // The recipients' own nodes: what they settled, by payment hash (keysend and invoices).
    const settled = new Map<string, NodeView>();
    /** Invoices erin settled that the run's LNURL server issued (created since the run began). */
    const lnurlSettled: string[] = [];
    for (const name of ['carol', 'dave', 'frank', 'erin']) {
      for (const invoice of await allInvoices(await lndOf(name))) {
        if (!invoice.is_confirmed) continue;
        const seen = settled.get(invoice.id) ?? { invoices: 0, htlcs: 0, msat: 0n, node: name };
        seen.invoices += 1;
        seen.htlcs += invoice.payments.filter((payment) => payment.is_confirmed).length;
        seen.msat += BigInt(invoice.received_mtokens);
        if (invoice.request) seen.request = invoice.request;
        settled.set(invoice.id, seen);
        if (
          name === 'erin' &&
          invoice.request &&
          Date.parse(invoice.created_at) >= started - 1_000
        ) {
          lnurlSettled.push(invoice.id);
        }
      }
    }
    // grace's AMP invoices (one per payment address) and their settled HTLC sets.
    const ampSettled = new Map<string, { sets: number; msat: bigint }>();
    for (const invoice of await ampInvoices(await lndOf('grace'))) {
      const sets = settledSets([invoice]);
      if (sets.length === 0) continue;
      const address = invoice.payment_addr.toString('hex');
      const seen = ampSettled.get(address) ?? { sets: 0, msat: 0n };
      seen.sets += sets.length;
      seen.msat += sets.reduce((sum, set) => sum + BigInt(set.amt_paid_msat), 0n);
      ampSettled.set(address, seen);
    }

    const problem = (kind: 'duplicates' | 'lost', text: string) => {
      report[kind] += 1;
      report.problems.push(`${kind === 'duplicates' ? 'DUPLICATE' : 'LOST'}: ${text}`);
    };
    const recipients = new Map<string, string>();
    for (const tip of planned) {
      recipients.set(tip.group, recipientOf(tip));
      report.totals[tip.group] ??= { ledgerMsat: 0n, tipsMsat: 0n, nodeMsat: 0n };
    }
    const lnurlHashes = new Set<string>();
    for (const tip of planned) {
      const record = tips.get(tip.tipId);
      // What the recipient's node shows for this tip: by AMP address, by the stored invoice's
      // hash (LNURL), by the hash derived from the tip id (keysend).
      const hash = tip.kind === 'lnurl' ? record?.paymentHash : tip.paymentHash;
      if (tip.kind === 'lnurl' && hash) lnurlHashes.add(hash);
      const atNode: NodeView | undefined =
        tip.kind === 'amp'
          ? (() => {
              const seen = ampSettled.get(tip.paymentAddr ?? '');
              return seen && { invoices: 1, htlcs: seen.sets, msat: seen.msat, node: 'grace' };
            })()
          : hash
            ? settled.get(hash)
            : undefined;
      const totals = report.totals[tip.group] as SoakReport['totals'][string];
      if (atNode) totals.nodeMsat += atNode.msat;
      if (atNode && (atNode.invoices > 1 || atNode.htlcs > 1 || atNode.msat > tip.amountMsat)) {
        problem(
          'duplicates',
          tip.kind === 'amp'
            ? `${tip.tipId}: grace settled ${atNode.htlcs} AMP sets for its address (${atNode.msat} msat for ${tip.amountMsat})`
            : `${tip.tipId}: ${tip.to} settled its hash ${atNode.invoices}× (${atNode.htlcs} HTLCs, ${atNode.msat} msat for ${tip.amountMsat})`,
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
      if (tip.paymentHash && record.paymentHash !== tip.paymentHash) {
        problem('lost', `${tip.tipId}: the ledger's hash is not the one derived from its id`);
      }
      if (tip.paymentAddr && record.paymentAddr !== tip.paymentAddr) {
        problem(
          'lost',
          `${tip.tipId}: the ledger's AMP address is not the one derived from its id`,
        );
      }
      if (tip.kind === 'lnurl' && atNode && atNode.request !== record.invoice) {
        problem('lost', `${tip.tipId}: erin settled an invoice that is not the one stored`);
      }
      switch (record.state) {
        case 'SUCCEEDED':
          report.succeeded += 1;
          totals.tipsMsat += record.amountMsat;
          if (tip.large && record.sendMethod === 'amp') report.largeAmp.succeeded += 1;
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
      if (tip.kind === 'keysend' && tip.to === 'erin' && record.state === 'SUCCEEDED') {
        problem('lost', `${tip.tipId}: erin does not accept keysend, yet SUCCEEDED`);
      }
    }
    // Exactly once on erin's node: every invoice of the run she settled is a tip's stored one
    // (an invoice replaced, then paid too, would be a second payment of that tip).
    for (const hash of lnurlSettled) {
      if (!lnurlHashes.has(hash)) {
        problem('duplicates', `erin settled invoice ${hash} of this run that no tip stores`);
      }
    }
    for (const [group, totals] of Object.entries(report.totals)) {
      const recorded = await ledger.getRecipientTotals(recipients.get(group) ?? '');
      totals.ledgerMsat = recorded?.paidMsat ?? 0n;
    }
    // Each group is its own payouts-table row: a pubkey, or an address (dave's hub tips).
    for (const [group, totals] of Object.entries(report.totals)) {
      if (totals.ledgerMsat !== totals.nodeMsat || totals.tipsMsat !== totals.nodeMsat) {
        problem(
          'lost',
          `${group}: payouts table ${totals.ledgerMsat} msat, SUCCEEDED tips ${totals.tipsMsat} msat, node ${totals.nodeMsat} msat`,
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
    `  storms      ${report.storms.tips} tips enqueued ${report.storms.messages} times in all, each tip's copies at once`,
    `  large AMP   ${report.largeAmp.succeeded} of ${report.largeAmp.tips} tips larger than one path paid by AMP`,
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
