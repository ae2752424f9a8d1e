/**
 * One simulated run of Tipstream's payer from a seed: API requests (single tips and a payout
 * batch, budgets reserved by the real intake adapter; keysend, AMP and `auto` tips, and Lightning
 * Address tips paid by the invoice erin's LNURL-pay server issues, which expire as the clock
 * moves), SQS (at-least-once: redelivery after the
 * visibility timeout, which may be shorter than the function's own timeout, duplicate deliveries,
 * any order, a dead-letter queue the operator redrives), payer invocations running the real
 * `payTipMessage` on batches of messages, the reconciler running the real `reconcileStuckTips`,
 * the real DynamoDB tip-ledger adapter on the DynamoDB model, and the LND model. While faults are
 * on, any invocation may be killed at any await, DynamoDB throttles, cancels transactions on
 * conflict and loses answers, and LND refuses sends, drops streams, hangs lookups and restarts.
 * Then faults stop, LND resolves what is in flight, time passes, and the reconciler runs until
 * nothing is left to do; `checkInvariants` judges the end state.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/secp256k1';
import '../../shared/domain/secp.js';
import { createReceiptSigner } from '../../shared/adapters/crypto/receipt-signer.js';
import { createDynamoIntakeStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { acceptBatch } from '../../shared/app/accept-batch.js';
import { acceptTip, type IntakeDeps, tipIdFor } from '../../shared/app/accept-tip.js';
import type { PayerDeps } from '../../shared/app/pay-tip.js';
import type { LightningAddress } from '../../shared/domain/brands.js';
import type { PayerPolicy } from '../../shared/domain/payer-policy.js';
import { formatReservationTag } from '../../shared/domain/reservation-tag.js';
import type { AddressResolver, LnurlOffer } from '../../shared/ports/address-resolver.js';
import { TransientPaymentError } from '../../shared/ports/errors.js';
import type { PlatformRecord, QueuedTip } from '../../shared/ports/intake.js';
import type { PayerKeys } from '../../shared/ports/payer-keys.js';
import { cachePoints } from './crypto-cache.js';
import { type DynamoFault, DynamoModel, TABLES } from './dynamo-model.js';
import { checkInvariants } from './invariants.js';
import { LndModel, type Recipient } from './lnd-model.js';
import type { SimModules } from './mutants.js';
import { type Actor, Rng, Scheduler, type Step, settle } from './scheduler.js';

const POLICY: PayerPolicy = {
  maxTipMsat: 10_000_000_000n,
  allowMsat: false,
  feePpm: 5000,
  minFeeSats: 10,
  maxTimeoutBlocks: 1008,
  pathfindingTimeoutMs: 30_000,
  customRecordsBudgetBytes: 600,
  concurrency: 4,
  deadlineMarginMs: 5000,
  stuckAfterMs: 120_000,
  leaseGraceMs: 30_000,
  nodeRecoveryMs: 600_000,
};

const PREIMAGE_KEYS: Record<number, Uint8Array> = {
  1: new Uint8Array(32).fill(0x42),
  2: new Uint8Array(32).fill(0x43),
};
const RECEIPT_PRIVATE_KEY = new Uint8Array(32).fill(0x11);
const RECEIPT_PUBLIC_KEY = Buffer.from(schnorr.getPublicKey(RECEIPT_PRIVATE_KEY)).toString('hex');
const RECEIPT_SIGNER = createReceiptSigner(RECEIPT_PRIVATE_KEY);

/**
 * Creators: two accept keysend (fees differ), one does not (its keysend tips must fail, never
 * settle) but is paid by the invoices its Lightning Address's LNURL-pay server issues, and one
 * takes AMP (its AMP tips: one settled set per payment address).
 */
const CAROL = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const DAVE = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';
const ERIN = '02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9';
const GRACE = '02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13';
const ERIN_ADDRESS = 'erin@lnurl.example' as LightningAddress;
/** What erin's LNURL-pay server's invoices commit to (LUD-06 description hash). */
const ERIN_METADATA = '[["text/plain","tip erin"]]';
/**
 * How long erin's invoices stay payable: the clock's jumps (up to 200 s) make the payer replace
 * some (it needs its wait and 30 s left; a new one needs 120 s), and make some expire in flight.
 */
const INVOICE_VALIDITY_MS = 300_000;
const RECIPIENTS = new Map<string, Recipient>([
  [CAROL, { acceptsKeysend: true, feeMsat: 1_000n, settledAt: '2026-01-02T03:04:05.000Z' }],
  [DAVE, { acceptsKeysend: true, feeMsat: 3_000n, settledAt: '2026-01-02T03:05:06.000Z' }],
  [ERIN, { acceptsKeysend: false, feeMsat: 0n, settledAt: '2026-01-02T03:06:07.000Z' }],
  [
    GRACE,
    {
      acceptsKeysend: true,
      acceptsAmp: true,
      feeMsat: 2_000n,
      settledAt: '2026-01-02T03:07:08.000Z',
    },
  ],
]);
const NAMES = new Map([
  [CAROL, 'carol'],
  [DAVE, 'dave'],
  [ERIN, 'erin'],
  [GRACE, 'grace'],
]);

/** The tips a run may request: a fixed catalog (so receipts repeat and their signatures cache). */
const SINGLE_TIPS = [
  { key: 'tip-a', recipientPubkey: CAROL, amountMsat: 21_000 },
  { key: 'tip-b', recipientPubkey: DAVE, amountMsat: 50_000 },
  { key: 'tip-c', recipientPubkey: ERIN, amountMsat: 10_000 },
  { key: 'tip-d', recipientPubkey: CAROL, amountMsat: 1_000_000 },
  { key: 'tip-amp', recipientPubkey: GRACE, amountMsat: 2_000_000, method: 'amp' },
  { key: 'tip-lnurl', recipientAddress: ERIN_ADDRESS, amountMsat: 30_000 },
];
const BATCH_ROWS = [
  { line: 1, body: { recipientPubkey: CAROL, amountMsat: 5_000 } },
  { line: 2, body: { recipientPubkey: DAVE, amountMsat: 7_000 } },
  { line: 3, body: { recipientPubkey: ERIN, amountMsat: 3_000 } },
  { line: 4, body: { recipientPubkey: GRACE, amountMsat: 9_000, method: 'auto' } },
  { line: 5, body: { recipientAddress: ERIN_ADDRESS, amountMsat: 4_000 } },
];

const INTAKE_POLICY: IntakeDeps['policy'] = {
  maxTipMsat: 10_000_000_000n,
  allowMsat: false,
  customRecordsBudgetBytes: 600,
  feePpm: POLICY.feePpm,
  minFeeSats: POLICY.minFeeSats,
  globalHourlyLimitMsat: 100_000_000_000n,
};

interface Message {
  id: string;
  body: string;
  /** The reservation tag as the message attribute carries it (absent: no attribute). */
  reservationTag?: string;
  visibleAt: number;
  receives: number;
  state: 'queued' | 'deleted' | 'dead-letter';
}

interface Knobs {
  /** Function timeout of a payer invocation. */
  functionTimeoutMs: number;
  /** The queue's visibility timeout: 6× the function timeout, or shorter than it. */
  visibilityMs: number;
  /** Workers on either preimage key version (a key rotation under way). */
  rotate: boolean;
  /** Picks while faults are on. */
  chaosSteps: number;
  platformDailyLimitSats: number;
  /** How often an HTLC fails (no route) while faults are on: flaky routes make retries. */
  routeFailure: number;
  /**
   * AMP and Lightning Address tips in this run (half the runs: the other half keeps the cost of a
   * keysend-only run, so the CI's seeds stay within their time).
   */
  reach: boolean;
}

export interface SimResult {
  seed: number;
  problems: string[];
  trace: string[];
  steps: number;
  /** How the run ended, e.g. `S2 F1 settle3` (for statistics). */
  summary: string;
  knobs: Knobs;
}

const MAX_STEPS = 6_000;
const MAX_RECEIVES = 5;
const MAX_FINAL_ROUNDS = 10;

/** Timers the adapters set (transactWithRetry's jitter): steps of the actor that set them. */
const captureTimers = (sched: Scheduler) => {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const captured = new WeakSet<object>();
  const patched = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const actor = sched.actor();
    if (!actor || (ms ?? 0) > 1_000) return realSetTimeout(fn, ms, ...args);
    const step = sched.add({
      label: `${actor.name}'s pause ends`,
      actor,
      run: () => fn(...args),
    });
    captured.add(step);
    return step;
  }) as unknown as typeof setTimeout;
  globalThis.setTimeout = patched;
  globalThis.clearTimeout = ((handle: unknown) => {
    if (typeof handle === 'object' && handle !== null && captured.has(handle))
      sched.steps.delete(handle as Step);
    else realClearTimeout(handle as NodeJS.Timeout);
  }) as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  };
};

/** The run's DynamoDB: every document-client request of an actor is one step of that actor. */
const routeDynamo = (
  sched: Scheduler,
  db: DynamoModel,
  faults: () => boolean,
  alias: (id: string) => string,
) => {
  const original = DynamoDBDocumentClient.prototype.send;
  // biome-ignore lint/suspicious/noExplicitAny: replaces the SDK's overloaded send
  (DynamoDBDocumentClient.prototype as any).send = function send(command: any) {
    const label = db.describe(command, alias);
    const actor = sched.actor();
    return new Promise((resolve, reject) => {
      const fault = (): DynamoFault => {
        if (!faults()) return 'none';
        const r = sched.rng.next();
        if (r < 0.02) return 'throttle';
        if (r < 0.04) return 'lost-answer';
        if (r < 0.1 && command.constructor.name === 'TransactWriteCommand') return 'conflict';
        return 'none';
      };
      sched.add({
        label: `${actor?.name ?? '?'} ${label}`,
        actor,
        run: () => {
          const chosen = fault();
          try {
            const answer = db.apply(command, chosen);
            resolve(answer);
          } catch (error) {
            sched.log(`  → ${(error as Error).name}${chosen === 'none' ? '' : ` (${chosen})`}`);
            reject(error);
          }
        },
        // Sent before the actor died: it may still have been applied.
        orphan: () => {
          if (!sched.rng.chance(0.5)) return;
          try {
            db.apply(command, 'none');
            sched.log(`  ${label}: applied although its sender died`);
          } catch {}
        },
      });
    });
  };
  return () => {
    DynamoDBDocumentClient.prototype.send = original;
  };
};

export const simulate = async (seed: number, modules: SimModules): Promise<SimResult> => {
  const rng = new Rng(seed);
  const sched = new Scheduler(rng);
  const knobs: Knobs = {
    functionTimeoutMs: rng.chance(0.3) ? rng.pick([5_001, 6_000, 15_000]) : 60_000,
    visibilityMs: 0,
    rotate: rng.chance(0.2),
    chaosSteps: 40 + rng.int(200),
    platformDailyLimitSats: rng.chance(0.15) ? 1_100 : 1_000_000,
    routeFailure: rng.pick([0.1, 0.5, 0.7]),
    reach: rng.chance(0.5),
  };
  knobs.visibilityMs = rng.chance(0.2) ? rng.pick([10_000, 30_000]) : 6 * knobs.functionTimeoutMs;
  let faults = true;

  const aliases = new Map<string, string>();
  const alias = (id: string) => aliases.get(id) ?? (id.length > 24 ? `${id.slice(0, 10)}…` : id);
  const platformId = 'stream.example';
  for (const { key } of SINGLE_TIPS) aliases.set(tipIdFor(platformId, key), key);
  const batchId = tipIdFor(platformId, 'payout:payout-1').replace(':', '-');
  aliases.set(batchId, 'payout-1');
  for (const { line } of BATCH_ROWS) aliases.set(`${batchId}-${line}`, `payout-1#${line}`);
  for (const [pubkey, name] of NAMES) {
    aliases.set(pubkey, name);
    aliases.set(`${platformId}#${pubkey}`, `${platformId}#${name}`);
  }
  const db = new DynamoModel();
  const leaseOf = (key: string) => {
    const tip = db
      .items(TABLES.tips)
      .find((item) => item.paymentHash === key || item.paymentAddr === key);
    return typeof tip?.leaseUntil === 'string' ? Date.parse(tip.leaseUntil) : undefined;
  };
  const lnd = new LndModel(sched, RECIPIENTS, alias, leaseOf, {
    leaseGraceMs: POLICY.leaseGraceMs,
    rpcTimeoutMs: 10_000,
  });
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // A ledger per invocation, as in Lambda (an invocation's container builds its clients; one that
  // dies at its deadline is restarted): the ledger groups the ends of one invocation's tips in
  // one transaction, and an invocation killed with a group in flight takes its group with it.
  const newLedger = () => modules.createDynamoTipLedger(client, TABLES);
  // erin's Lightning Address: no keysend details, an LNURL-pay server that issues invoices from
  // her node (a network call: a step of its caller, sometimes failing).
  const lnurl = (label: string, amountMsat: bigint): Promise<LnurlOffer> =>
    sched.await(`${sched.actor()?.name} ${label} from erin's LNURL server`, () => {
      if (faults && rng.chance(0.05)) {
        throw new TransientPaymentError(`${ERIN_ADDRESS}: the LNURL server answered 503`);
      }
      const invoice = lnd.issueInvoice(
        ERIN,
        amountMsat,
        bytesToHex(sha256(utf8ToBytes(ERIN_METADATA))),
        new Date(sched.now + INVOICE_VALIDITY_MS),
      );
      aliases.set(invoice, `${ERIN_ADDRESS} invoice ${lnd.invoices.size}`);
      return { kind: 'lnurl' as const, invoice, metadata: ERIN_METADATA };
    });
  const addresses: AddressResolver = {
    resolve: (_address, amountMsat) => lnurl('resolves erin@ (an invoice)', amountMsat),
    requestInvoice: (_address, amountMsat) => lnurl('asks a new invoice', amountMsat),
  };
  const intake = createDynamoIntakeStore(client, TABLES);
  const platform: PlatformRecord = {
    platformId,
    name: 'Stream',
    secrets: [],
    dailyLimitSats: knobs.platformDailyLimitSats,
    createdAt: '2026-01-01T00:00:00.000Z',
  };

  // SQS
  const queue: Message[] = [];
  let messageCount = 0;
  /**
   * Most messages carry the API's reservation tag as sent; some lose it (sent before tags
   * existed, or copied by a tool that drops attributes) and some carry a tag that disagrees with
   * their request (a producer's mistake): the ledger must settle the request's own reservation.
   */
  const tagOf = (tip: QueuedTip): string | undefined => {
    if (!tip.reservation) return undefined;
    const variant = rng.pick(['as-sent', 'as-sent', 'as-sent', 'dropped', 'altered'] as const);
    if (variant === 'dropped') return undefined;
    const { feeLimitMsat, budgetKeys } = tip.reservation;
    return formatReservationTag(
      variant === 'altered'
        ? { feeLimitMsat: feeLimitMsat + 1_000n, budgetKeys: budgetKeys.slice(0, 1) }
        : { feeLimitMsat, budgetKeys },
    );
  };
  const enqueue = (tips: QueuedTip[]) => {
    for (const tip of tips) {
      const { body } = tip;
      const id = `m${++messageCount}`;
      const reservationTag = tagOf(tip);
      queue.push({ id, body, reservationTag, visibleAt: sched.now, receives: 0, state: 'queued' });
      const tipId = String(JSON.parse(body).tipId);
      sched.log(`SQS: ${id} enqueued (${alias(tipId)})`);
    }
  };
  const visible = () => queue.filter((m) => m.state === 'queued' && m.visibleAt <= sched.now);

  let actorCount = 0;
  const running = new Set<Actor>();
  const spawn = (prefix: string, timeoutMs: number, body: (actor: Actor) => Promise<void>) => {
    const actor: Actor = {
      name: `${prefix}${++actorCount}`,
      deadline: sched.now + timeoutMs,
      dead: false,
    };
    running.add(actor);
    void sched.als.run(actor, async () => {
      try {
        await body(actor);
      } finally {
        running.delete(actor);
      }
    });
    return actor;
  };

  const payerDeps = (actor: Actor): PayerDeps => {
    const version = knobs.rotate ? rng.pick([1, 2]) : 1;
    const keys: PayerKeys = {
      currentPreimageKeyVersion: version,
      preimageKey: (v) => {
        const key = PREIMAGE_KEYS[v];
        if (!key) throw new Error(`no preimage key version ${v}`);
        return key;
      },
      receiptSigner: RECEIPT_SIGNER,
    };
    return {
      ledger: newLedger(),
      lightning: lnd,
      addresses,
      keys,
      policy: POLICY,
      now: () => new Date(sched.now),
      remainingMs: () => actor.deadline - sched.now,
      log: (message) => sched.log(`${actor.name}: ${message}`),
    };
  };

  const errorText = (error: unknown) =>
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);

  // Payer invocations: a batch of messages handled concurrently, each deleted once handled.
  const invokePayer = (messages: Message[]) => {
    for (const m of messages) {
      m.receives += 1;
      m.visibleAt = sched.now + knobs.visibilityMs;
    }
    spawn('W', knobs.functionTimeoutMs, async (actor) => {
      sched.log(
        `${actor.name} starts with ${messages.map((m) => `${m.id}(${alias(String(JSON.parse(m.body).tipId))})`).join(' ')}`,
      );
      const deps = payerDeps(actor);
      await Promise.all(
        messages.map(async (m) => {
          try {
            const outcome = await modules.payTipMessage(
              { messageId: m.id, body: m.body, reservationTag: m.reservationTag },
              deps,
            );
            sched.log(`${actor.name}: ${m.id} → ${outcome.kind}`);
          } catch (error) {
            sched.log(`${actor.name}: ${m.id} threw ${errorText(error)}`);
            return;
          }
          await sched.await(`${actor.name} deletes ${m.id}`, () => {
            m.state = m.state === 'queued' ? 'deleted' : m.state;
          });
        }),
      );
    });
  };

  const reconcile = () =>
    spawn('R', 60_000, async (actor) => {
      sched.log(`${actor.name} (reconciler) starts`);
      try {
        const summary = await modules.reconcileStuckTips(payerDeps(actor), {
          stuckAfterMs: POLICY.stuckAfterMs,
          limit: 2,
        });
        sched.log(`${actor.name}: ${JSON.stringify(summary.outcomes)}`);
      } catch (error) {
        sched.log(`${actor.name} threw ${errorText(error)}`);
      }
    });

  // API requests: the client retries a request that got no answer, with the same key.
  const intakeDeps = (): IntakeDeps => ({
    intake,
    ledger: newLedger(),
    queue: { send: (tips) => sched.await(`SQS send of ${tips.length}`, () => enqueue(tips)) },
    policy: INTAKE_POLICY,
    now: () => new Date(sched.now),
  });
  // (A client that gives up leaves the budget reserved and the tip unpaid: not modelled.)
  const request = (what: string, call: () => Promise<{ kind: string }>) => {
    let answered = false;
    const retry = () => retries.push(() => request(what, call));
    const actor = spawn('A', 30_000, async (actor) => {
      try {
        const result = await call();
        sched.log(`${actor.name}: ${what} → ${result.kind}`);
      } catch (error) {
        sched.log(`${actor.name}: ${what} threw ${errorText(error)}`);
        retry();
      }
      answered = true;
    });
    // A client that gets no answer (the API's invocation died) sends the request again.
    sched.add({
      label: `the client of ${actor.name} times out`,
      notBefore: actor.deadline,
      run: () => {
        if (!answered) retry();
      },
    });
  };
  const retries: Array<() => void> = [];

  const restore = [
    captureTimers(sched),
    routeDynamo(sched, db, () => faults, alias),
    cachePoints(),
  ];
  const reachable = (body: { recipientPubkey?: string; method?: string }) =>
    knobs.reach || (body.recipientPubkey !== undefined && body.method === undefined);
  const singles = SINGLE_TIPS.filter((tip) => reachable(tip) && rng.chance(0.6));
  const rows = BATCH_ROWS.filter((row) => reachable(row.body));
  const withBatch = rng.chance(0.5) || singles.length === 0;
  for (const tip of singles) {
    const { key, ...body } = tip;
    const call = () => acceptTip({ platform, idempotencyKey: key, body }, intakeDeps());
    request(`POST /v1/tips ${key}`, call);
    if (rng.chance(0.2)) request(`POST /v1/tips ${key} (again)`, call);
  }
  if (withBatch) {
    const call = () =>
      acceptBatch({ platform, idempotencyKey: 'payout-1', kind: 'payout', rows }, intakeDeps());
    request('POST /v1/payouts payout-1', call);
    if (rng.chance(0.2)) request('POST /v1/payouts payout-1 (again)', call);
  }

  let steps = 0;
  let finalRounds = 0;
  const problems: string[] = [];
  try {
    for (;;) {
      await settle();
      for (const item of db.items(TABLES.tips)) {
        for (const key of [item.paymentHash, item.paymentAddr]) {
          if (typeof key === 'string' && !aliases.has(key)) {
            aliases.set(key, alias(String(item.tipId)));
          }
        }
      }
      if (steps >= MAX_STEPS) {
        problems.push(`no end after ${MAX_STEPS} steps`);
        break;
      }
      if (faults && steps >= knobs.chaosSteps) {
        faults = false;
        lnd.faults = false;
        sched.log('— faults stop —');
      }
      const choices: Array<{ weight: number; label: string; run: () => void }> = [];
      for (const step of sched.ready())
        choices.push({ weight: 1, label: step.label, run: () => sched.run(step) });
      const live = [...running].filter((a) => !a.dead);
      if (visible().length > 0 && live.filter((a) => a.name.startsWith('W')).length < 3) {
        choices.push({
          weight: 2,
          label: 'SQS delivers',
          run: () => {
            const batch = visible().filter(() => rng.chance(0.5));
            invokePayer(batch.length > 0 ? batch.slice(0, 3) : [rng.pick(visible())]);
          },
        });
      }
      for (const hash of lnd.inFlight()) {
        if (lnd.down) break;
        choices.push({
          weight: faults ? 0.3 : 1,
          label: `HTLC of ${alias(hash)} resolves`,
          run: () =>
            lnd.resolve(hash, faults && rng.chance(knobs.routeFailure) ? 'NO_ROUTE' : undefined),
        });
      }
      if (retries.length > 0)
        choices.push({ weight: 0.5, label: 'a client retries', run: () => retries.shift()?.() });
      if (faults) {
        const inFlightMessages = queue.filter(
          (m) => m.state === 'queued' && m.visibleAt > sched.now,
        );
        if (inFlightMessages.length > 0) {
          choices.push({
            weight: 0.1,
            label: 'SQS delivers a duplicate',
            run: () => invokePayer([rng.pick(inFlightMessages)]),
          });
        }
        choices.push({
          weight: 0.15,
          label: 'the reconciler is scheduled',
          run: () => reconcile(),
        });
        if (live.length > 0) {
          choices.push({
            weight: 0.12,
            label: 'a kill',
            run: () => sched.kill(rng.pick(live), 'at an await (chaos)'),
          });
        }
        if (lnd.openStreams() > 0)
          choices.push({ weight: 0.2, label: 'a stream drop', run: () => lnd.dropStream() });
        if (!lnd.down)
          choices.push({
            weight: 0.03,
            label: 'an LND restart',
            // Back up, the node may be up but not forwarding for a while (peers reconnecting).
            run: () =>
              lnd.restart(rng.pick([2_000, 10_000, 40_000]), rng.pick([0, 5_000, 60_000, 300_000])),
          });
        const room = sched.room();
        if (room > 0) {
          const jump = Math.min(
            room,
            rng.pick([500, 2_000, 5_000, 10_000, 30_000, 61_000, 200_000]),
          );
          choices.push({
            weight: 0.4,
            label: `the clock moves ${jump} ms`,
            run: () => (sched.now += jump),
          });
        }
      }
      if (choices.length === 0) {
        // Nothing can happen now: let time pass to the next timer, message or reconciler run.
        const next = [
          sched.nextTimed(),
          ...queue.filter((m) => m.state === 'queued').map((m) => m.visibleAt),
        ]
          .filter((t): t is number => t !== undefined && t > sched.now)
          .sort((a, b) => a - b)[0];
        if (next !== undefined) {
          sched.now = Math.min(next, sched.now + Math.max(0, sched.room()));
          continue;
        }
        if (faults) {
          faults = false;
          lnd.faults = false;
          sched.log('— faults stop —');
          continue;
        }
        const unfinished = db
          .items(TABLES.tips)
          .filter((t) => t.state === 'RECEIVED' || t.state === 'SENDING');
        const dead = queue.filter((m) => m.state === 'dead-letter');
        const missing = db
          .items(TABLES.requests)
          .filter((r) => !db.get(TABLES.tips, { tipId: r.tipId }));
        if (
          (unfinished.length === 0 && dead.length === 0 && missing.length === 0) ||
          finalRounds >= MAX_FINAL_ROUNDS
        )
          break;
        finalRounds += 1;
        // The operator redrives the dead-letter queue; the reconciler runs after time passes.
        for (const m of dead) {
          m.state = 'queued';
          m.receives = 0;
          sched.log(`operator redrives ${m.id}`);
        }
        sched.now += POLICY.stuckAfterMs + POLICY.leaseGraceMs + 60_000;
        reconcile();
        continue;
      }
      let total = 0;
      for (const choice of choices) total += choice.weight;
      let r = rng.next() * total;
      let chosen = choices.at(-1) as (typeof choices)[number];
      for (const choice of choices) {
        r -= choice.weight;
        if (r < 0) {
          chosen = choice;
          break;
        }
      }
      steps += 1;
      sched.log(`▸ ${chosen.label}`);
      chosen.run();
      // SQS: a message received too often goes to the dead-letter queue.
      for (const m of queue) {
        if (m.state === 'queued' && m.receives >= MAX_RECEIVES && m.visibleAt <= sched.now) {
          m.state = 'dead-letter';
          sched.log(`SQS: ${m.id} moved to the dead-letter queue`);
        }
      }
    }
  } finally {
    for (const undo of restore) undo();
  }
  problems.push(
    ...checkInvariants({
      db,
      lnd,
      alias,
      receiptPublicKey: RECEIPT_PUBLIC_KEY,
      globalHourlyLimitMsat: INTAKE_POLICY.globalHourlyLimitMsat,
      nodeRecoveryMs: POLICY.nodeRecoveryMs,
    }),
  );
  const tips = db.items(TABLES.tips).filter((t) => !String(t.tipId).startsWith('rejected:'));
  const count = (state: string) => tips.filter((t) => t.state === state).length;
  const settlements = [...lnd.settlements.values()].reduce((a, b) => a + b, 0);
  return {
    seed,
    problems,
    trace: sched.trace,
    steps,
    summary: `S${count('SUCCEEDED')} F${count('FAILED')} open${tips.length - count('SUCCEEDED') - count('FAILED')} settlements${settlements}`,
    knobs,
  };
};
