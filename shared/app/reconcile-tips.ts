import { driveTip, type PayerDeps, type PayOutcome } from './pay-tip.js';

export interface ReconcileSummary {
  examined: number;
  outcomes: Partial<Record<PayOutcome['kind'] | 'error', number>>;
}

/**
 * Finishes tips left SENDING (a worker died, or a payment was still in flight at its deadline):
 * asks LND about each hash and records its answer; a hash LND never saw is paid again.
 */
export const reconcileStuckTips = async (
  deps: PayerDeps,
  options: { stuckAfterMs: number; limit: number },
): Promise<ReconcileSummary> => {
  const stuck = await deps.ledger.listStuckSending(
    new Date(deps.now().getTime() - options.stuckAfterMs),
    options.limit,
  );
  const summary: ReconcileSummary = { examined: stuck.length, outcomes: {} };
  for (const tip of stuck) {
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
  }
  return summary;
};
