import { describe, expect, it } from 'vitest';
import { driveTip, type PayerDeps, payTipMessage } from '../../../shared/app/pay-tip.js';
import { reconcileStuckTips } from '../../../shared/app/reconcile-tips.js';
import { verifyReceipt } from '../../../shared/domain/receipt.js';
import {
  crashAt,
  FakeTipLedger,
  G,
  makePayer,
  type PayerHarness,
  POLICY,
  RECEIPT_PUBLIC_KEY,
  receivedTip,
  recordIntent,
  specHash,
  specPreimage,
  ticks,
  tipBody,
  tipMessage,
} from './fakes.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const MINUTE = 60_000;
const options = { stuckAfterMs: POLICY.stuckAfterMs, limit: 100 };

/** A tip whose worker recorded the intent at the clock's current time and died. */
const stuck = (h: PayerHarness, tipId: string) => recordIntent(h, tipBody({ tipId }));

describe('reconcileStuckTips', () => {
  it('finishes every stuck tip as LND says, leaves newer ones, and goes on after an error', async () => {
    const h = makePayer();
    await stuck(h, 'err');
    h.clock.advance(1_000);
    await stuck(h, 'done');
    h.clock.advance(1_000);
    await stuck(h, 'lost');
    h.clock.advance(1_000);
    await stuck(h, 'never');
    h.clock.advance(1_000);
    await stuck(h, 'slow');
    await receivedTip(h, tipMessage(tipBody({ tipId: 'received' })));
    h.clock.advance(9 * MINUTE);
    const fresh = await stuck(h, 'fresh');
    h.clock.advance(1 * MINUTE);

    h.lightning
      .scriptLookupFor(specHash('err'), { status: 'throw', error: new Error('LND timed out') })
      .scriptLookupFor(specHash('done'), {
        status: 'succeeded',
        preimage: Buffer.from(specPreimage('done'), 'hex'),
      })
      .scriptLookupFor(specHash('lost'), {
        status: 'failed',
        code: 'REJECTED_BY_DESTINATION',
        message: 'no keysend',
      })
      .scriptLookupFor(specHash('slow'), { status: 'in_flight' });
    const summary = await reconcileStuckTips(h.deps, options);

    // 'received' died before its intent: its message is gone, so the reconciler pays it too.
    expect(summary).toEqual({
      examined: 6,
      outcomes: { error: 1, paid: 3, failed: 1, 'in-flight': 1 },
    });
    expect(h.ledger.peek('err')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.ledger.peek('done')).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expect(h.ledger.peek('lost')).toMatchObject({
      state: 'FAILED',
      failureCode: 'REJECTED_BY_DESTINATION',
      failureReason: 'no keysend',
    });
    expect(h.ledger.peek('never')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.ledger.peek('slow')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.ledger.peek('fresh')).toEqual(fresh);
    expect(h.ledger.peek('received')).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    for (const tipId of ['done', 'never']) {
      const receipt = JSON.parse(h.ledger.peek(tipId)?.receipt ?? 'null');
      expect(verifyReceipt(receipt, RECEIPT_PUBLIC_KEY)).toEqual({ ok: true });
    }
    expect(await h.ledger.getRecipientTotals(G)).toMatchObject({ paidMsat: 63_000n, tipCount: 3 });

    // Oldest first; the fresh tip is never looked up; only hashes LND never saw are paid (a
    // RECEIVED tip has no payment to look up).
    expect(h.lightning.lookupCalls).toEqual(
      ['err', 'done', 'lost', 'never', 'slow'].map((tipId) => specHash(tipId)),
    );
    expect(h.lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([
      specHash('never'),
      specHash('received'),
    ]);
    expect(h.logs).toContainEqual({
      message: 'reconcile failed, will try again next run',
      fields: { tipId: 'err', error: 'LND timed out' },
    });
  });

  it('picks up a tip that errored on the next run', async () => {
    const h = makePayer();
    await stuck(h, 'err');
    h.clock.advance(5 * MINUTE);
    h.lightning.scriptLookupFor(specHash('err'), {
      status: 'throw',
      error: new Error('LND timed out'),
    });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { error: 1 },
    });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { paid: 1 },
    });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({ examined: 0, outcomes: {} });
    expect(h.ledger.peek('err')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.lightning.settlements).toHaveLength(1);
  });

  it('counts a payment that fails again while reconciling as an error and keeps the tip SENDING', async () => {
    const h = makePayer();
    await stuck(h, 'tip-1');
    h.clock.advance(5 * MINUTE);
    h.lightning.scriptPay({ kind: 'transient' });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { error: 1 },
    });
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 2 });
    expect(h.lightning.settlements).toEqual([]);
  });

  it('treats the threshold as strict: a tip SENDING for exactly stuckAfterMs is left', async () => {
    const h = makePayer();
    await stuck(h, 'older');
    h.clock.advance(1);
    const atThreshold = await stuck(h, 'at-threshold');
    h.clock.advance(POLICY.stuckAfterMs);

    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { paid: 1 },
    });
    expect(h.ledger.peek('older')?.state).toBe('SUCCEEDED');
    expect(h.ledger.peek('at-threshold')).toEqual(atThreshold);
    expect(h.lightning.lookupCalls).toEqual([specHash('older')]);
  });

  it('examines at most `limit` tips, oldest first', async () => {
    const h = makePayer();
    for (const tipId of ['a', 'b', 'c']) {
      await stuck(h, tipId);
      h.clock.advance(1_000);
    }
    h.clock.advance(5 * MINUTE);
    expect(await reconcileStuckTips(h.deps, { ...options, limit: 2 })).toEqual({
      examined: 2,
      outcomes: { paid: 2 },
    });
    expect(['a', 'b', 'c'].map((tipId) => h.ledger.peek(tipId)?.state)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SENDING',
    ]);
    expect(h.lightning.lookupCalls).toEqual([specHash('a'), specHash('b')]);
  });

  it('does nothing when no tip is stuck', async () => {
    const h = makePayer();
    await receivedTip(h, tipMessage());
    // Not yet stuck: younger than stuckAfterMs.
    expect(await reconcileStuckTips(h.deps, options)).toEqual({ examined: 0, outcomes: {} });
    expect(h.lightning.lookupCalls).toEqual([]);
    expect(h.lightning.payCalls).toEqual([]);
  });

  it('pays a tip left RECEIVED whose message was lost (DLQ, killed invocation)', async () => {
    const h = makePayer();
    await receivedTip(h, tipMessage());
    h.clock.advance(10 * MINUTE);
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { paid: 1 },
    });
    expect(h.lightning.lookupCalls).toEqual([]);
    expect(h.lightning.payCalls).toHaveLength(1);
  });

  it('records a payment LND finished after its worker died, without paying again', async () => {
    const h = makePayer();
    await crashAt(h, 'lnd-in-flight', tipMessage());
    h.clock.advance(5 * MINUTE);

    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { 'in-flight': 1 },
    });
    h.lightning.settleInFlight(specHash('tip-1'));
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { paid: 1 },
    });
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.settlements).toHaveLength(1);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });

  it('answers already-paid for a tip the payer finished after it was listed', async () => {
    // The payer's redelivery completes the tip between the reconciler's query and its lookup.
    class RacedLedger extends FakeTipLedger {
      racer?: PayerDeps;
      override async listStuckSending(olderThan: Date, page: { limit: number; cursor?: string }) {
        const listed = await super.listStuckSending(olderThan, page);
        for (const tip of listed.tips) if (this.racer) await driveTip(tip, this.racer);
        return listed;
      }
    }
    const ledger = new RacedLedger();
    const h = makePayer({ ledger });
    await recordIntent(h);
    ledger.racer = makePayer({ ledger, lightning: h.lightning, clock: h.clock }).deps;
    h.clock.advance(5 * MINUTE);

    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { 'already-paid': 1 },
    });
    expect(ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(ledger.succeededWrites).toBe(1);
    expect(h.lightning.settlements).toHaveLength(1);
    expect((await ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });
});

describe('reconcileStuckTips: liveness', () => {
  // A tip left in flight (a recipient may hold the HTLC for up to maxTimeoutBlocks, ~a week) keeps
  // its old sendingSince. Reading only the `limit` oldest stuck tips each run would hide every
  // newer one behind them for good; the reconciler pages through all of them instead.
  it('reaches a newer stuck tip although older ones stay in flight', async () => {
    const h = makePayer();
    await stuck(h, 'held');
    h.clock.advance(1_000);
    await stuck(h, 'crashed');
    h.clock.advance(5 * MINUTE);
    h.lightning.scriptLookupFor(
      specHash('held'),
      ...Array(5).fill({ status: 'in_flight' as const }),
    );

    for (let run = 0; run < 5; run += 1) {
      await reconcileStuckTips(h.deps, { ...options, limit: 1 });
      h.clock.advance(POLICY.stuckAfterMs);
    }

    expect(h.ledger.peek('held')?.state).toBe('SENDING');
    expect(h.lightning.lookupCalls).toContain(specHash('crashed'));
    expect(h.ledger.peek('crashed')?.state).toBe('SUCCEEDED');
  });
});

describe("reconcileStuckTips: held tips sent again at the payer's concurrency", () => {
  /** The operator node back up, none of its channels re-established yet. */
  const NO_LINK = {
    syncedToGraph: true,
    channels: [{ active: false, localBalanceMsat: 16_000_000_000n, offlineMs: 20_000 }],
  };
  const TIPS = ['held-0', 'held-1', 'held-2', 'held-3', 'held-4', 'held-5'];

  /** Each tip's first send failed while the node could not forward: all held, acknowledged. */
  const holdAll = async (h: PayerHarness) => {
    const whole = h.lightning.nodeState;
    h.lightning.nodeState = NO_LINK;
    for (const tipId of TIPS) {
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect((await payTipMessage(tipMessage(tipBody({ tipId })), h.deps)).kind).toBe('held');
    }
    // The node is whole again; the reconciler's next run is past every attempt's lease.
    h.lightning.nodeState = whole;
    h.clock.advance(4 * MINUTE);
  };

  it('sends the held tips again policy.concurrency at a time, each once', async () => {
    const h = makePayer();
    await holdAll(h);
    let sending = 0;
    let most = 0;
    h.lightning.payDelay = async () => {
      sending += 1;
      most = Math.max(most, sending);
      await ticks(20);
      sending -= 1;
    };

    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: TIPS.length,
      outcomes: { paid: TIPS.length },
    });
    expect(most).toBe(POLICY.concurrency);
    for (const tipId of TIPS) {
      expect(h.ledger.peek(tipId)).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    }
    expect(h.lightning.settlements.map((s) => s.paymentHash).sort()).toEqual(
      TIPS.map((tipId) => specHash(tipId)).sort(),
    );
  });

  it('two reconcilers and a redelivery at once send each held tip again once (the attempt write and its lease decide)', async () => {
    const h = makePayer();
    await holdAll(h);
    h.lightning.duplicateGuard = true;
    h.lightning.payDelay = () => ticks(5);
    h.lightning.lookupDelay = () => ticks(3);
    const other = makePayer({ ledger: h.ledger, lightning: h.lightning, clock: h.clock });
    const redelivery = makePayer({ ledger: h.ledger, lightning: h.lightning, clock: h.clock });

    const [first, second] = await Promise.all([
      reconcileStuckTips(h.deps, options),
      reconcileStuckTips(other.deps, options),
      ...TIPS.map((tipId) =>
        payTipMessage(tipMessage(tipBody({ tipId })), redelivery.deps).catch((error) => error),
      ),
    ]);

    expect(first.examined + second.examined).toBe(2 * TIPS.length);
    for (const tipId of TIPS) {
      expect(h.ledger.peek(tipId)).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
      const sends = h.lightning.payCalls.filter(
        (call) => hex(call.paymentHash) === specHash(tipId),
      );
      // The held send, and one more.
      expect(sends).toHaveLength(2);
    }
    expect(h.lightning.settlements).toHaveLength(TIPS.length);
    expect(h.ledger.succeededWrites).toBe(TIPS.length);
  });

  it('with its workers at once, starts no tip past the per-run limit or the deadline, and finishes every tip it started', async () => {
    for (const stop of ['limit', 'deadline'] as const) {
      const h = makePayer();
      await holdAll(h);
      // The invocation's time: after the first send ends, less than the margin is left.
      let remainingMs = 60_000;
      h.lightning.payDelay = async () => {
        await ticks(5);
        if (stop === 'deadline') remainingMs = POLICY.deadlineMarginMs - 1;
      };
      const summary = await reconcileStuckTips(
        { ...h.deps, remainingMs: () => remainingMs },
        { ...options, ...(stop === 'limit' ? { maxPerRun: 3 } : {}) },
      );
      const started = TIPS.filter((tipId) => h.ledger.peek(tipId)?.attempt === 2);
      // The limit, or the tips its workers had taken when the time ran short (no more after).
      expect(summary.examined).toBe(stop === 'limit' ? 3 : POLICY.concurrency);
      expect(started).toHaveLength(summary.examined);
      expect(summary.outcomes).toEqual({ paid: summary.examined });
      for (const tipId of TIPS) {
        expect(h.ledger.peek(tipId)?.state).toBe(started.includes(tipId) ? 'SUCCEEDED' : 'SENDING');
      }
      expect(h.lightning.settlements).toHaveLength(summary.examined);
    }
  });
});
