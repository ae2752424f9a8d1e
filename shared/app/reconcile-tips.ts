import { driveTip, type PayerDeps, type PayOutcome } from './pay-tip.js';

export interface ReconcileSummary {
  examined: number;
  outcomes: Partial<Record<PayOutcome['kind'] | 'error', number>>;
}

/**
 * Finishes tips left unfinished: SENDING (a worker died, or a payment was still in flight at its
 * deadline) asks LND about the hash and records its answer, a hash LND never saw is paid again;
 * RECEIVED (its message was lost before the intent was written) is paid.
 */
export const reconcileStuckTips = async (
  deps: PayerDeps,
  options: { stuckAfterMs: number; limit: number; maxPerRun?: number },
): Promise<ReconcileSummary> => {
  const cutoff = new Date(deps.now().getTime() - options.stuckAfterMs);
  const maxPerRun = options.maxPerRun ?? 1_000;
  const summary: ReconcileSummary = { examined: 0, outcomes: {} };
  let cursor: string | undefined;
  // Page through every stuck tip: ones that stay in flight for days must not hide newer ones.
  do {
    const page = await deps.ledger.listStuckSending(cutoff, { limit: options.limit, cursor });
    cursor = page.cursor;
    for (const tip of page.tips) {
      if (summary.examined >= maxPerRun || deps.remainingMs() < deps.policy.deadlineMarginMs) {
        return summary;
      }
      summary.examined += 1;
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
  } while (cursor);
  return summary;
};
