import {
  type HourlyActivity,
  hourlyOutcome,
  type SummaryTip,
  sumHourlyActivity,
} from '../../shared/domain/platform-summary.js';

/**
 * The hourly counters the payer keeps, as they would be for these (ended or pending) tips: each
 * ended tip's increment as the ledger computes it when it ends the tip, added up per hour.
 */
export const hourlyActivityOf = (tips: Iterable<SummaryTip>): HourlyActivity[] =>
  sumHourlyActivity(
    (function* () {
      for (const tip of tips) {
        if (tip.state === 'SUCCEEDED') {
          yield hourlyOutcome(tip.amountMsat, {
            succeeded: true,
            settledAt: tip.settledAt ?? tip.createdAt,
            feeMsat: tip.feeMsat ?? 0n,
          });
        } else if (tip.state === 'FAILED') {
          yield hourlyOutcome(tip.amountMsat, { failed: true, at: tip.updatedAt ?? tip.createdAt });
        }
      }
    })(),
  );
