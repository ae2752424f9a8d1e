/**
 * A seeded randomized interleaving explorer over the fakes (written by a hostile review of the
 * attempt leases; the start of the simulator of issue 12). One tip; several
 * deliveries of its message (concurrent duplicates and redeliveries) and reconciler runs as async
 * tasks; random ledger/LND delays; a chaos task that moves the clock, fails or settles in-flight
 * payments, scripts LND answers; random crashes at every checkpoint; a Lambda is killed once past
 * its deadline (except a send already on the wire, which lands within leaseGraceMs: the clock
 * never moves past a pending send's lease + grace). Then faults stop, LND resolves what is in
 * flight, time passes and the reconciler runs until done. Invariants: at most one settlement;
 * SUCCEEDED ⇒ exactly one settlement and one success write; FAILED ⇒ no settlement ever; the tip
 * ends terminal.
 *
 * SIM_SEEDS=n (default 2,000 per mode; seed 1180 of the late mode found the late-send defect) runs more; SIM_STALE=1 (stale lookups), SIM_NO_GUARD=1 (no
 * duplicate guard in LND), SIM_SHORT=1 (deadlines near the margin), SIM_ROTATE=1 (workers on
 * either preimage key) add faults; SIM_STATS=1 prints how the runs ended. A failure prints its
 * seed and trace.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { PayerStep } from '../../../shared/app/pay-tip.js';
import { payTipMessage } from '../../../shared/app/pay-tip.js';
import { reconcileStuckTips } from '../../../shared/app/reconcile-tips.js';
import { AmbiguousPaymentError, type PermanentFailureCode } from '../../../shared/ports/errors.js';
import type { KeysendPayment, SettledPayment } from '../../../shared/ports/lightning-node.js';
import {
  CrashError,
  FakeClock,
  FakeLightningNode,
  FakeTipLedger,
  makePayer,
  POLICY,
  PREIMAGE_KEY_V1,
  PREIMAGE_KEY_V2,
  specHash,
  tipMessage,
} from './fakes.js';

const HASH_V1 = specHash('tip-1');

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface Worker {
  name: string;
  deadline: number;
  crashP: number;
  sendLease?: number;
}
const als = new AsyncLocalStorage<Worker>();
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

class ExplorerNode extends FakeLightningNode {
  constructor(
    readonly ledger: FakeTipLedger,
    readonly late: () => boolean,
  ) {
    super();
  }
  background: Array<Promise<unknown>> = [];
  staleLookups = false;
  rand: () => number = Math.random;
  override async lookupPayment(paymentHash: Uint8Array) {
    // A stale answer: what LND knew when asked, delivered after the lookup's delay.
    if (!this.staleLookups || this.rand() < 0.5) return super.lookupPayment(paymentHash);
    const then = this.known(Buffer.from(paymentHash).toString('hex'));
    this.lookupCalls.push(Buffer.from(paymentHash).toString('hex'));
    await this.lookupDelay();
    return then;
  }
  override async payKeysend(
    payment: KeysendPayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    const worker = als.getStore();
    const lease = this.ledger.peek('tip-1')?.leaseUntil;
    if (worker) worker.sendLease = lease ? Date.parse(lease) : 0;
    if (this.late()) {
      // The adapter's timer fires before LND takes the request; LND takes it later.
      this.background.push(super.payKeysend(payment).catch((error: unknown) => error));
      throw new AmbiguousPaymentError('no outcome from LND within waitMs (late send)');
    }
    return super.payKeysend(payment, hooks);
  }
}

const CODES: PermanentFailureCode[] = [
  'NO_ROUTE',
  'NO_ROUTE',
  'REJECTED_BY_DESTINATION',
  'LND_ERROR',
];

const explore = async (seed: number, options: { late: boolean }) => {
  const rand = mulberry32(seed);
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)] as T;
  const clock = new FakeClock();
  const ledger = new FakeTipLedger();
  const pending = new Set<number>();
  let HASH = HASH_V1;
  const refreshHash = () => {
    HASH = ledger.peek('tip-1')?.paymentHash ?? HASH_V1;
  };
  const trace: string[] = [];
  const log = (line: string) => trace.push(`${clock.now().toISOString().slice(11, 23)} ${line}`);
  let chaos = true;
  // The fake settles a live send after inFlightDelay whatever happened meanwhile: the chaos task
  // fails or settles only payments whose caller is gone.
  let liveInFlight = 0;
  const killIfPastDeadline = (what: string) => {
    const worker = als.getStore();
    if (worker && clock.now().getTime() >= worker.deadline) {
      throw new CrashError(`${worker.name} killed at its deadline (${what})`);
    }
  };
  ledger.io = async () => {
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i += 1) await yieldOnce();
    killIfPastDeadline('ledger');
  };
  const lightning = new ExplorerNode(ledger, () => options.late && chaos && rand() < 0.15);
  lightning.duplicateGuard = process.env.SIM_NO_GUARD !== '1';
  lightning.staleLookups = process.env.SIM_STALE === '1';
  lightning.rand = rand;
  lightning.payDelay = async () => {
    const worker = als.getStore();
    const bound = (worker?.sendLease ?? clock.now().getTime()) + POLICY.leaseGraceMs;
    pending.add(bound);
    const n = Math.floor(rand() * 6);
    for (let i = 0; i < n; i += 1) await yieldOnce();
    pending.delete(bound);
    log(`${worker?.name} send reaches LND (${lightning.known(HASH).status})`);
  };
  lightning.lookupDelay = async () => {
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i += 1) await yieldOnce();
    killIfPastDeadline('lookup');
  };
  lightning.inFlightDelay = async () => {
    liveInFlight += 1;
    try {
      const n = Math.floor(rand() * 6);
      for (let i = 0; i < n; i += 1) await yieldOnce();
      killIfPastDeadline('in flight');
    } finally {
      liveInFlight -= 1;
    }
  };

  const depsFor = (worker: Worker) =>
    makePayer({
      ledger,
      lightning,
      clock,
      // Key rotation: workers of either version, both keys kept.
      keyVersion: process.env.SIM_ROTATE === '1' ? pick([1, 2]) : 1,
      preimageKeys: { 1: PREIMAGE_KEY_V1, 2: PREIMAGE_KEY_V2 },
      deps: {
        remainingMs: () => worker.deadline - clock.now().getTime(),
        checkpoint: (step: PayerStep) => {
          if (chaos && rand() < worker.crashP)
            throw new CrashError(`${worker.name} died at ${step}`);
        },
        log: (message) => log(`${worker.name}: ${message}`),
      },
    }).deps;

  const run = (name: string, what: 'deliver' | 'reconcile', crashP: number) => {
    const budget = process.env.SIM_SHORT === '1' ? pick([5_001, 6_000, 15_000, 60_000]) : 60_000;
    const worker: Worker = { name, deadline: clock.now().getTime() + budget, crashP };
    return als.run(worker, async () => {
      const deps = depsFor(worker);
      try {
        const outcome =
          what === 'deliver'
            ? (await payTipMessage(tipMessage(), deps)).kind
            : JSON.stringify(
                (await reconcileStuckTips(deps, { stuckAfterMs: 0, limit: 10 })).outcomes,
              );
        log(
          `${name} → ${outcome} [tip ${ledger.peek('tip-1')?.state}/${ledger.peek('tip-1')?.attempt}]`,
        );
      } catch (error) {
        log(`${name} threw ${(error as Error).name}: ${(error as Error).message}`);
      }
    });
  };

  const tasks: Array<Promise<void>> = [];
  const workers = 2 + Math.floor(rand() * 3);
  for (let i = 0; i < workers; i += 1) {
    const delay = Math.floor(rand() * 40);
    tasks.push(
      (async () => {
        for (let t = 0; t < delay; t += 1) await yieldOnce();
        await run(`W${i}`, rand() < 0.3 ? 'reconcile' : 'deliver', 0.15);
      })(),
    );
  }
  // Chaos: time, LND failing or settling what is in flight, scripted answers.
  const chaosTask = (async () => {
    for (let step = 0; step < 120; step += 1) {
      await yieldOnce();
      refreshHash();
      const r = rand();
      if (r < 0.15) {
        const want = pick([1_000, 5_000, 20_000, 45_000, 61_000, 95_000]);
        const room = Math.min(...[...pending].map((bound) => bound - clock.now().getTime()));
        const delta = Math.min(want, Number.isFinite(room) ? room : want);
        if (delta > 0) clock.advance(delta);
      } else if (r < 0.22 && liveInFlight === 0 && lightning.known(HASH).status === 'in_flight') {
        if (rand() < 0.5) {
          lightning.failInFlight(HASH, pick(CODES));
          log('chaos: LND failed the in-flight payment');
        } else {
          lightning.settleInFlight(HASH);
          log('chaos: LND settled the in-flight payment');
        }
      } else if (r < 0.27) {
        lightning.scriptPay(
          pick([
            { kind: 'transient' as const },
            { kind: 'permanent' as const, code: pick(CODES) },
            {
              kind: 'ambiguous' as const,
              leaves: pick(['nothing', 'in_flight', 'succeeded'] as const),
            },
          ]),
        );
      } else if (r < 0.3) {
        tasks.push(run(`M${step}`, rand() < 0.5 ? 'deliver' : 'reconcile', 0.15));
      }
    }
  })();
  await chaosTask;
  await Promise.all(tasks);

  // Faults stop: LND resolves what is in flight, sends on the wire land, time passes.
  chaos = false;
  await Promise.all(lightning.background);
  for (let round = 0; round < 12; round += 1) {
    refreshHash();
    const known = lightning.known(HASH).status;
    if (known === 'in_flight' && liveInFlight === 0) {
      if (rand() < 0.5) lightning.failInFlight(HASH, pick(CODES));
      else lightning.settleInFlight(HASH);
    }
    clock.advance(200_000);
    const state = ledger.peek('tip-1')?.state;
    if (
      state === 'SUCCEEDED' ||
      (state === 'FAILED' && lightning.known(HASH).status !== 'in_flight')
    ) {
      if (round > 2) break;
    }
    await run(`R${round}`, 'reconcile', 0);
  }
  await Promise.all(lightning.background);

  refreshHash();
  const tip = ledger.peek('tip-1');
  const settlements = lightning.settlements.length;
  const problems: string[] = [];
  if (settlements > 1) problems.push(`${settlements} settlements`);
  if (tip?.state === 'SUCCEEDED' && (settlements !== 1 || ledger.succeededWrites !== 1)) {
    problems.push(`SUCCEEDED with ${settlements} settlements, ${ledger.succeededWrites} writes`);
  }
  if (tip?.state === 'FAILED' && settlements > 0) problems.push('FAILED but the hash settled');
  if (tip && tip.state !== 'SUCCEEDED' && tip.state !== 'FAILED') {
    problems.push(
      `not terminal: ${tip.state} attempt ${tip.attempt}, LND ${lightning.known(HASH).status}`,
    );
  }
  if (ledger.succeededWrites + ledger.failedWrites > 1) problems.push('two terminal writes');
  return {
    problems,
    trace,
    stat: `${tip?.state}/${tip?.attempt}/s${settlements}/${tip?.failureCode ?? ''}`,
  };
};

const SEEDS = Number(process.env.SIM_SEEDS ?? 2_000);

describe('randomized interleavings of deliveries, the reconciler and LND faults', () => {
  it.each([
    { late: false, name: 'sends reach LND before the adapter gives up' },
    {
      late: true,
      name: 'some sends reach LND after the adapter gave up on them (late-send.test.ts)',
    },
  ])(
    'keeps every invariant ($name)',
    async ({ late }) => {
      const failures: string[] = [];
      const stats = new Map<string, number>();
      for (let seed = 1; seed <= SEEDS; seed += 1) {
        const { problems, trace, stat } = await explore(seed, { late });
        stats.set(stat, (stats.get(stat) ?? 0) + 1);
        if (problems.length > 0) {
          failures.push(`seed ${seed}: ${problems.join('; ')}\n  ${trace.join('\n  ')}`);
          if (failures.length >= 3) break;
        }
      }
      if (process.env.SIM_STATS) console.log([...stats].sort().join('\n'));
      expect(failures.join('\n\n')).toBe('');
    },
    120_000,
  );
});
