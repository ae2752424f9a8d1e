import { drain } from '../domain/drain.js';
import type { StuckVerdictCode } from '../domain/stuck-payment.js';
import type { TipRecord } from '../ports/tip-ledger.js';
import { driveTip, type PayerDeps, type PayOutcome } from './pay-tip.js';
import { checkStuckTip, type StuckCheckDeps } from './stuck-payments.js';

export interface ReconcileSummary {
  examined: number;
  outcomes: Partial<Record<PayOutcome['kind'] | 'error', number>>;
  /**
   * With `stuckCheck`: tips LND keeps in flight for long, flagged this run, by verdict (the
   * StuckInLnd alarm's metric), and those recorded FAILED because LND proved they cannot settle.
   */
  stuck?: Partial<Record<StuckVerdictCode, number>>;
  stuckExpired?: number;
}

export interface StuckCheckOptions {
  deps: Omit<StuckCheckDeps, 'ledger' | 'now'>;
  /** A tip SENDING this long that LND still calls in flight is checked (and flagged). */
  flagAfterMs: number;
}

/**
 * Finishes tips left unfinished: SENDING (a worker died, or a payment was still in flight at its
 * deadline) asks LND about the hash and records its answer, a hash LND never saw is paid again;
 * RECEIVED (its message was lost before the intent was written) is paid. The tips of a page are
 * driven `policy.concurrency` at a time, as the payer pays a batch: held tips are all sent again
 * when the node is whole, not one after another. Each tip is driven by one worker of this run;
 * against another reconciler or a payer, the conditional write that starts an attempt and its
 * lease decide who sends (`pay-tip.ts`).
 */
export const reconcileStuckTips = async (
  deps: PayerDeps,
  options: {
    stuckAfterMs: number;
    limit: number;
    maxPerRun?: number;
    stuckCheck?: StuckCheckOptions;
  },
): Promise<ReconcileSummary> => {
  const cutoff = new Date(deps.now().getTime() - options.stuckAfterMs);
  const maxPerRun = options.maxPerRun ?? 1_000;
  const summary: ReconcileSummary = {
    examined: 0,
    outcomes: {},
    ...(options.stuckCheck ? { stuck: {}, stuckExpired: 0 } : {}),
  };
  let cursor: string | undefined;
  let stopped = false;
  const reconcile = async (tip: TipRecord) => {
    let kind: PayOutcome['kind'] | 'error';
    try {
      kind = (await driveTip(tip, deps)).kind;
    } catch (error) {
      kind = 'error';
      deps.log?.('reconcile failed, will try again next run', {
        tipId: tip.tipId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    summary.outcomes[kind] = (summary.outcomes[kind] ?? 0) + 1;
    if (options.stuckCheck && (kind === 'in-flight' || kind === 'error')) {
      await checkIfStuck(tip, deps, options.stuckCheck, summary);
    }
  };
  // Page through every stuck tip: ones that stay in flight for days must not hide newer ones.
  do {
    const page = await deps.ledger.listStuckSending(cutoff, { limit: options.limit, cursor });
    cursor = page.cursor;
    await drain(page.tips, deps.policy.concurrency, async (tip) => {
      // Judged as each tip is taken: a tip is started only with the time to see it through.
      if (summary.examined >= maxPerRun || deps.remainingMs() < deps.policy.deadlineMarginMs) {
        stopped = true;
        return 'stop';
      }
      summary.examined += 1;
      await reconcile(tip);
    });
  } while (cursor && !stopped);
  return summary;
};

/** A tip still in flight in LND (or LND not answering about it) long after it was sent. */
const checkIfStuck = async (
  tip: TipRecord,
  deps: PayerDeps,
  options: StuckCheckOptions,
  summary: ReconcileSummary,
) => {
  const since = Date.parse(tip.sendingSince ?? tip.updatedAt);
  if (deps.now().getTime() - since < options.flagAfterMs) return;
  try {
    const check = await checkStuckTip(tip, { ...options.deps, ledger: deps.ledger, now: deps.now });
    if (check.kind === 'flagged') {
      const stuck = summary.stuck ?? {};
      stuck[check.verdict.code] = (stuck[check.verdict.code] ?? 0) + 1;
      summary.stuck = stuck;
      deps.log?.('tip stuck in flight in LND', {
        tipId: tip.tipId,
        verdict: check.verdict.code,
        reason: check.verdict.reason,
      });
    } else if (check.kind === 'failed') {
      summary.stuckExpired = (summary.stuckExpired ?? 0) + 1;
      deps.log?.('stuck tip failed: LND proves it cannot settle', {
        tipId: tip.tipId,
        reason: check.reason,
      });
    }
  } catch (error) {
    deps.log?.('stuck check failed, will try again next run', {
      tipId: tip.tipId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
};
