import { parseSummaryWindow, summarizeTips, summaryWindow } from '../domain/platform-summary.js';
import type { PlatformActivity } from '../ports/activity.js';
import type { IntakeStore, PlatformRecord } from '../ports/intake.js';
import { budgetReservations, type IntakePolicy } from './accept-tip.js';
import { batchProgress } from './batch-status.js';
import { tipStatusUrl } from './tip-status.js';

/**
 * A platform's dashboard summary for a window (24h by default): tips by outcome, recipients,
 * failures, the batches still running, and today's budget use.
 */
export const summarizePlatform = async (
  input: { platform: PlatformRecord; window?: string | null },
  deps: {
    activity: Pick<PlatformActivity, 'tipsSince' | 'batchesSince'>;
    intake: Pick<IntakeStore, 'getBudgetUsed'>;
    policy: IntakePolicy;
    now: () => Date;
  },
) => {
  const name = parseSummaryWindow(input.window);
  const platformId = input.platform.platformId;
  const window = summaryWindow(name, deps.now());
  const [today] = budgetReservations(input.platform, deps.policy, deps.now());
  if (!today) throw new Error('no platform budget window');
  const [{ tips, truncated }, batches, budgetUsed] = await Promise.all([
    deps.activity.tipsSince(platformId, window.from, window.to),
    deps.activity.batchesSince(platformId, window.from),
    deps.intake.getBudgetUsed(today.key),
  ]);
  const summary = summarizeTips(tips, window);
  return {
    platformId,
    window: {
      name: window.name,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      bucket: window.bucket,
    },
    ...summary,
    failures: summary.failures.map((failure) => ({
      ...failure,
      statusUrl: tipStatusUrl(failure.tipId),
    })),
    runningBatches: batches
      .map(batchProgress)
      .filter((batch) => batch.status !== 'DONE')
      .slice(0, 20),
    budget: {
      limitMsat: today.limitMsat.toString(),
      usedMsat: budgetUsed.toString(),
      resetsAt: today.resetsAt.toISOString(),
    },
    truncated,
  };
};
