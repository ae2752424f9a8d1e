import {
  type HourlyActivity,
  hourOf,
  type SummaryTip,
} from '../../shared/domain/platform-summary.js';

/** The hourly counters the payer keeps, as they would be for these (ended or pending) tips. */
export const hourlyActivityOf = (tips: Iterable<SummaryTip>): HourlyActivity[] => {
  const counters = new Map<string, HourlyActivity>();
  for (const tip of tips) {
    if (tip.state !== 'SUCCEEDED' && tip.state !== 'FAILED') continue;
    const at = tip.state === 'SUCCEEDED' ? tip.settledAt : tip.updatedAt;
    const hour = hourOf(at ?? tip.createdAt);
    const counter = counters.get(hour) ?? {
      hour,
      succeededCount: 0,
      succeededMsat: 0n,
      feeMsat: 0n,
      failedCount: 0,
      failedMsat: 0n,
    };
    if (tip.state === 'SUCCEEDED') {
      counter.succeededCount += 1;
      counter.succeededMsat += tip.amountMsat;
      counter.feeMsat += tip.feeMsat ?? 0n;
    } else {
      counter.failedCount += 1;
      counter.failedMsat += tip.amountMsat;
    }
    counters.set(hour, counter);
  }
  return [...counters.values()];
};
