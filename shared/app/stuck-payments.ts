import {
  judgeStuckPayment,
  type LndPaymentView,
  type StuckVerdict,
} from '../domain/stuck-payment.js';
import { LedgerConflictError } from '../ports/errors.js';
import type { PaymentInspector } from '../ports/lightning-node.js';
import type { StuckFlagStore, TipLedger, TipRecord } from '../ports/tip-ledger.js';

export interface StuckCheckDeps {
  ledger: TipLedger;
  inspector: PaymentInspector;
  flags: StuckFlagStore;
  now: () => Date;
}

export type StuckCheck =
  | { kind: 'not-stuck' }
  | { kind: 'flagged'; verdict: Exclude<StuckVerdict, { code: 'NOT_STUCK' | 'NO_HTLC_EXPIRED' }> }
  | { kind: 'failed'; reason: string };

/**
 * A tip LND has kept in flight for long: asks LND for its own view (attempts, channels carrying
 * the hash, chain height) and acts only on what that proves (`judgeStuckPayment`). Past every
 * attempt's timeout with no HTLC anywhere the tip is FAILED (STUCK_EXPIRED, its budget released);
 * otherwise it stays SENDING, flagged with the verdict, the reason and LND's view, for the alarm
 * and `tipstream stuck`. Never retried: LND refuses the hash while it says in flight.
 */
export const checkStuckTip = async (tip: TipRecord, deps: StuckCheckDeps): Promise<StuckCheck> => {
  const view = await deps.inspector.inspectPayment(Buffer.from(tip.paymentHash, 'hex'));
  const verdict = judgeStuckPayment(view);
  if (verdict.code === 'NOT_STUCK') return { kind: 'not-stuck' };
  if (verdict.code === 'NO_HTLC_EXPIRED') {
    try {
      await deps.ledger.markFailed(
        tip,
        { code: 'STUCK_EXPIRED', reason: verdict.reason },
        deps.now(),
      );
    } catch (error) {
      // Someone recorded LND's answer first: theirs stands.
      if (error instanceof LedgerConflictError) return { kind: 'not-stuck' };
      throw error;
    }
    return { kind: 'failed', reason: verdict.reason };
  }
  const now = deps.now().toISOString();
  await deps.flags.flagStuck(tip, {
    since: tip.stuck?.attempt === tip.attempt ? tip.stuck.since : now,
    checkedAt: now,
    verdict: verdict.code,
    reason: verdict.reason,
    view: JSON.stringify(view),
    attempt: tip.attempt,
  });
  return { kind: 'flagged', verdict };
};

/** A tip the reconciler flagged, with LND's view as recorded then or as LND shows it now. */
export interface StuckTipReport {
  tip: TipRecord;
  verdict: StuckVerdict;
  view: LndPaymentView;
  /** True when `view` was asked of LND just now, false when it is the reconciler's record. */
  live: boolean;
}

/**
 * Every tip SENDING that the reconciler flagged as stuck in LND (on its current attempt), oldest
 * first; with `inspector`, LND's view is asked anew for each (and judged again).
 */
export const listStuckTips = async (
  deps: { ledger: TipLedger; now: () => Date; inspector?: PaymentInspector },
  { limit = 100 }: { limit?: number } = {},
): Promise<StuckTipReport[]> => {
  const reports: StuckTipReport[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.ledger.listStuckSending(deps.now(), { limit: 100, cursor });
    cursor = page.cursor;
    for (const tip of page.tips) {
      if (tip.state !== 'SENDING' || tip.stuck?.attempt !== tip.attempt) continue;
      if (reports.length >= limit) return reports;
      if (deps.inspector) {
        const view = await deps.inspector.inspectPayment(Buffer.from(tip.paymentHash, 'hex'));
        reports.push({ tip, view, verdict: judgeStuckPayment(view), live: true });
      } else {
        const view = JSON.parse(tip.stuck.view) as LndPaymentView;
        reports.push({ tip, view, verdict: judgeStuckPayment(view), live: false });
      }
    }
  } while (cursor);
  return reports;
};
