import {
  parseSummaryWindow,
  summarizeActivity,
  summaryWindow,
  windowHours,
} from '../domain/platform-summary.js';
import type { PlatformActivity } from '../ports/activity.js';
import type { IntakeStore, PlatformRecord } from '../ports/intake.js';
import { budgetReservations, type IntakePolicy } from './accept-tip.js';
import { batchProgress } from './batch-status.js';
import { tipStatusUrl } from './tip-status.js';

/**
 * How many of the window's newest tips the recipients, failures and pending figures are made of:
 * one query's worth, so a summary costs the same however many tips the window holds.
 */
const RECENT_TIPS = 1_000;

/**
 * A platform's dashboard summary for a window (24h by default): tips by outcome (from the hourly
 * counters), recipients, failures and pending tips (from the newest tips), the batches still
 * running, and today's budget use.
 */
export const summarizePlatform = async (
  input: { platform: PlatformRecord; window?: string | null },
  deps: {
    activity: Pick<PlatformActivity, 'hourlyActivity' | 'recentTips' | 'batchesSince'>;
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
  const [hours, recent, batches, budgetUsed] = await Promise.all([
    deps.activity.hourlyActivity(platformId, windowHours(window)),
    deps.activity.recentTips(platformId, window.from, RECENT_TIPS),
    deps.activity.batchesSince(platformId, window.from),
    deps.intake.getBudgetUsed(today.key),
  ]);
  const summary = summarizeActivity(hours, recent.tips, window);
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
    // The lists (recipients, failures, pending) cover only the newest tips; the totals are whole.
    truncated: recent.more,
  };
};
