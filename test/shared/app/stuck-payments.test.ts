import { describe, expect, it } from 'vitest';
import { reconcileStuckTips } from '../../../shared/app/reconcile-tips.js';
import { checkStuckTip, listStuckTips } from '../../../shared/app/stuck-payments.js';
import type { LndPaymentView } from '../../../shared/domain/stuck-payment.js';
import type { PaymentInspector } from '../../../shared/ports/lightning-node.js';
import type {
  StuckFlag,
  StuckFlagStore,
  TipLedger,
  TipRecord,
} from '../../../shared/ports/tip-ledger.js';
import { G, makePayer, POLICY, recordIntent, specHash, tipBody } from './fakes.js';

const MINUTE = 60_000;
const CHANNEL = '103x1x0';

/** LND's view of every hash: in flight, one attempt via CHANNEL timing out at 1500, no HTLC. */
class FakeInspector implements PaymentInspector {
  calls: string[] = [];
  view: Omit<LndPaymentView, 'checkedAt'> = {
    status: 'IN_FLIGHT',
    attempts: [
      { attemptId: '7', status: 'IN_FLIGHT', timeoutHeight: 1_500, firstHopChannel: CHANNEL },
    ],
    htlcs: [],
    openChannels: [CHANNEL],
    height: 600,
  };
  async inspectPayment(paymentHash: Uint8Array) {
    this.calls.push(Buffer.from(paymentHash).toString('hex'));
    return { ...this.view, checkedAt: '2026-11-30T06:00:00.000Z' };
  }
}

class FakeFlags implements StuckFlagStore {
  flags = new Map<string, StuckFlag>();
  async flagStuck(tip: TipRecord, flag: StuckFlag) {
    this.flags.set(tip.tipId, flag);
  }
}

/** A tip whose worker recorded the intent and whose payment LND keeps in flight. */
const inFlightTip = async () => {
  const h = makePayer();
  const tip = await recordIntent(h, tipBody({ tipId: 'stuck-1' }));
  h.lightning.scriptLookupFor(specHash('stuck-1'), { status: 'in_flight' });
  return { h, tip };
};

describe('checkStuckTip', () => {
  it("flags a tip LND keeps in flight with no HTLC, with the reason and LND's view, and decides nothing", async () => {
    const { h, tip } = await inFlightTip();
    const inspector = new FakeInspector();
    const flags = new FakeFlags();
    const check = await checkStuckTip(tip, { ledger: h.ledger, inspector, flags, now: h.deps.now });
    expect(check).toMatchObject({
      kind: 'flagged',
      verdict: { code: 'NO_HTLC', provableAt: 1_500 },
    });
    const flag = flags.flags.get('stuck-1');
    expect(flag).toMatchObject({ verdict: 'NO_HTLC', attempt: 1 });
    expect(JSON.parse(flag?.view ?? '{}')).toMatchObject({
      attempts: [{ attemptId: '7' }],
      height: 600,
    });
    expect(h.ledger.peek('stuck-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(inspector.calls).toEqual([specHash('stuck-1')]);
  });

  it("records FAILED (STUCK_EXPIRED) only once the chain is past every attempt's timeout with no HTLC", async () => {
    const { h, tip } = await inFlightTip();
    const inspector = new FakeInspector();
    inspector.view.height = 1_501;
    const flags = new FakeFlags();
    const check = await checkStuckTip(tip, { ledger: h.ledger, inspector, flags, now: h.deps.now });
    expect(check.kind).toBe('failed');
    expect(h.ledger.peek('stuck-1')).toMatchObject({
      state: 'FAILED',
      failureCode: 'STUCK_EXPIRED',
    });
    expect(h.ledger.failedWrites).toBe(1);
    expect(flags.flags.size).toBe(0);
  });

  it('leaves a tip whose HTLC is in a channel to LND, and one someone else decided alone', async () => {
    const { h, tip } = await inFlightTip();
    const inspector = new FakeInspector();
    inspector.view.height = 5_000;
    inspector.view.htlcs = [
      { channel: CHANNEL, peer: G, isOutgoing: true, timeoutHeight: 1_500, amountMsat: '21000' },
    ];
    const flags = new FakeFlags();
    expect(
      await checkStuckTip(tip, { ledger: h.ledger, inspector, flags, now: h.deps.now }),
    ).toMatchObject({
      kind: 'flagged',
      verdict: { code: 'HTLC_PENDING' },
    });
    expect(h.ledger.peek('stuck-1')?.state).toBe('SENDING');

    // Expired, but the tip moved on (a newer attempt): the conditional write refuses, nothing changes.
    inspector.view.htlcs = [];
    await h.ledger.markSending(
      'stuck-1',
      'SENDING',
      1,
      tip.paymentHash,
      h.deps.now(),
      h.deps.now(),
    );
    expect(
      await checkStuckTip(tip, { ledger: h.ledger, inspector, flags, now: h.deps.now }),
    ).toEqual({
      kind: 'not-stuck',
    });
    expect(h.ledger.peek('stuck-1')).toMatchObject({ state: 'SENDING', attempt: 2 });
  });
});

describe('the reconciler with the stuck check', () => {
  it('checks only tips in flight longer than flagAfterMs, and counts what it found', async () => {
    const { h } = await inFlightTip();
    const inspector = new FakeInspector();
    const flags = new FakeFlags();
    const options = {
      stuckAfterMs: POLICY.stuckAfterMs,
      limit: 100,
      stuckCheck: { deps: { inspector, flags }, flagAfterMs: 10 * MINUTE },
    };
    h.clock.advance(5 * MINUTE);
    h.lightning.scriptLookupFor(specHash('stuck-1'), { status: 'in_flight' });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { 'in-flight': 1 },
      stuck: {},
      stuckExpired: 0,
    });
    expect(inspector.calls).toEqual([]);

    h.clock.advance(6 * MINUTE);
    h.lightning.scriptLookupFor(specHash('stuck-1'), { status: 'in_flight' });
    expect(await reconcileStuckTips(h.deps, options)).toEqual({
      examined: 1,
      outcomes: { 'in-flight': 1 },
      stuck: { NO_HTLC: 1 },
      stuckExpired: 0,
    });
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        message: 'tip stuck in flight in LND',
        fields: expect.objectContaining({ verdict: 'NO_HTLC' }),
      }),
    );

    inspector.view.height = 1_501;
    h.lightning.scriptLookupFor(specHash('stuck-1'), { status: 'in_flight' });
    expect(await reconcileStuckTips(h.deps, options)).toMatchObject({ stuck: {}, stuckExpired: 1 });
    expect(h.ledger.peek('stuck-1')).toMatchObject({
      state: 'FAILED',
      failureCode: 'STUCK_EXPIRED',
    });
  });
});

describe('listStuckTips', () => {
  const flagged = (tipId: string, attempt: number, flagAttempt: number): TipRecord =>
    ({
      tipId,
      state: 'SENDING',
      attempt,
      paymentHash: specHash(tipId),
      stuck: {
        since: '2026-11-30T05:00:00.000Z',
        checkedAt: '2026-11-30T06:00:00.000Z',
        verdict: 'NO_HTLC',
        reason: 'r',
        attempt: flagAttempt,
        view: JSON.stringify({
          ...new FakeInspector().view,
          checkedAt: '2026-11-30T06:00:00.000Z',
        }),
      },
    }) as TipRecord;
  const ledger = {
    listStuckSending: async () => ({
      tips: [flagged('a', 1, 1), flagged('b', 2, 1), { ...flagged('c', 1, 1), stuck: undefined }],
    }),
  } as unknown as TipLedger;

  it("lists the tips flagged on their current attempt with the recorded view, or LND's view now", async () => {
    const recorded = await listStuckTips({ ledger, now: () => new Date() });
    expect(recorded.map((report) => [report.tip.tipId, report.live, report.verdict.code])).toEqual([
      ['a', false, 'NO_HTLC'],
    ]);
    const inspector = new FakeInspector();
    inspector.view.height = 2_000;
    const live = await listStuckTips({ ledger, now: () => new Date(), inspector });
    expect(live.map((report) => [report.tip.tipId, report.live, report.verdict.code])).toEqual([
      ['a', true, 'NO_HTLC_EXPIRED'],
    ]);
  });
});
