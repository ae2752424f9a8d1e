import { ValidationError } from './errors.js';

/**
 * A platform's activity over a bounded window (the payouts dashboard): totals by outcome, per
 * recipient, sats paid per hour or day, and the latest failures. Pure. Totals and the series
 * come from hourly counters the payer keeps in the transaction that ends each tip (`HourlyActivity`),
 * so they cost the same for ten tips or a million; the per-recipient figures, the failures and
 * what is still pending come from the window's newest tips (a bounded read).
 */

/** The windows a summary can cover; bounded so a summary never reads a platform's whole history. */
export const SUMMARY_WINDOWS = {
  '24h': { buckets: 24, bucket: 'hour' },
  '7d': { buckets: 7, bucket: 'day' },
  '30d': { buckets: 30, bucket: 'day' },
} as const;
export type SummaryWindowName = keyof typeof SUMMARY_WINDOWS;
type SummaryBucket = 'hour' | 'day';

export interface SummaryWindow {
  name: SummaryWindowName;
  /** Start of the first bucket (inclusive). */
  from: Date;
  /** The time the summary was made for (exclusive end). */
  to: Date;
  bucket: SummaryBucket;
  /** Start of every bucket, oldest first: the series has one point for each. */
  bucketStarts: Date[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const bucketMs = (bucket: SummaryBucket) => (bucket === 'hour' ? HOUR_MS : DAY_MS);

/** Parses the `window` query parameter; absent means `24h`. */
export const parseSummaryWindow = (raw: string | null | undefined): SummaryWindowName => {
  if (raw === null || raw === undefined || raw === '') return '24h';
  if (Object.hasOwn(SUMMARY_WINDOWS, raw)) return raw as SummaryWindowName;
  throw new ValidationError(
    'window',
    `window "${raw.slice(0, 20)}" is not one of ${Object.keys(SUMMARY_WINDOWS).join(', ')}`,
  );
};

/** The UTC-aligned buckets of `name` ending with the one that holds `now`. */
export const summaryWindow = (name: SummaryWindowName, now: Date): SummaryWindow => {
  const { buckets, bucket } = SUMMARY_WINDOWS[name];
  const size = bucketMs(bucket);
  const current = Math.floor(now.getTime() / size) * size;
  const bucketStarts = Array.from(
    { length: buckets },
    (_, index) => new Date(current - (buckets - 1 - index) * size),
  );
  return { name, from: bucketStarts[0] ?? new Date(current), to: now, bucket, bucketStarts };
};

/** The start of the UTC hour that holds `at`: the hourly counter a tip's outcome goes to. */
export const hourOf = (at: string | Date): string =>
  new Date(Math.floor(new Date(at).getTime() / HOUR_MS) * HOUR_MS).toISOString();

/** Every hour of the window, oldest first: the hourly counters a summary reads. */
export const windowHours = (window: SummaryWindow): string[] => {
  const hours: string[] = [];
  for (let at = window.from.getTime(); at <= window.to.getTime(); at += HOUR_MS) {
    hours.push(new Date(at).toISOString());
  }
  return hours;
};

/**
 * A platform's outcomes in one UTC hour: tips that succeeded (by settle time) and failed (by the
 * time they were recorded failed) in it. Counted once per tip, in the transaction that ends it.
 */
export interface HourlyActivity {
  /** Start of the hour (`hourOf`). */
  hour: string;
  succeededCount: number;
  succeededMsat: bigint;
  feeMsat: bigint;
  failedCount: number;
  failedMsat: bigint;
}

/** An ended tip's outcome: paid (when it settled, its fee) or failed (when it was recorded so). */
export type TipOutcome =
  | { succeeded: true; settledAt: string; feeMsat: bigint }
  | { failed: true; at: string };

/** One ended tip as an hourly counter increment: its outcome in the hour it happened. */
export const hourlyOutcome = (amountMsat: bigint, outcome: TipOutcome): HourlyActivity =>
  'succeeded' in outcome
    ? {
        hour: hourOf(outcome.settledAt),
        succeededCount: 1,
        succeededMsat: amountMsat,
        feeMsat: outcome.feeMsat,
        failedCount: 0,
        failedMsat: 0n,
      }
    : {
        hour: hourOf(outcome.at),
        succeededCount: 0,
        succeededMsat: 0n,
        feeMsat: 0n,
        failedCount: 1,
        failedMsat: amountMsat,
      };

/** Increments added up per hour: the counters they leave behind, one per hour. */
export const sumHourlyActivity = (increments: Iterable<HourlyActivity>): HourlyActivity[] => {
  const counters = new Map<string, HourlyActivity>();
  for (const added of increments) {
    const counter = counters.get(added.hour);
    if (!counter) {
      counters.set(added.hour, { ...added });
      continue;
    }
    counter.succeededCount += added.succeededCount;
    counter.succeededMsat += added.succeededMsat;
    counter.feeMsat += added.feeMsat;
    counter.failedCount += added.failedCount;
    counter.failedMsat += added.failedMsat;
  }
  return [...counters.values()];
};

/** What a summary needs of a tip (the attributes the platform index carries). */
export interface SummaryTip {
  tipId: string;
  state: 'RECEIVED' | 'SENDING' | 'SUCCEEDED' | 'FAILED';
  recipient: string;
  amountMsat: bigint;
  feeMsat?: bigint;
  createdAt: string;
  updatedAt?: string;
  settledAt?: string;
  failureCode?: string;
  failureReason?: string;
  batchId?: string;
}

interface RecipientSummary {
  recipient: string;
  paidMsat: bigint;
  feeMsat: bigint;
  succeeded: number;
  failed: number;
  pending: number;
  lastPaidAt?: string;
}

interface FailureSummary {
  tipId: string;
  recipient: string;
  amountMsat: bigint;
  failedAt: string;
  code?: string;
  reason?: string;
  batchId?: string;
}

export interface PlatformSummary {
  totals: {
    tips: number;
    succeeded: { count: number; msat: bigint; feeMsat: bigint };
    failed: { count: number; msat: bigint };
    pending: { count: number; msat: bigint };
  };
  /** Recipients of the newest tips by sats paid, most first (at most `limits.recipients`). */
  recipients: RecipientSummary[];
  /** How many recipients the newest tips have (the list may be cut). */
  recipientCount: number;
  /** Sats paid (by settle time) and tips settled per bucket, oldest first, empty buckets included. */
  series: Array<{ start: string; paidMsat: bigint; tips: number }>;
  /** The latest failures, newest first (at most `limits.failures`). */
  failures: FailureSummary[];
}

export interface SummaryLimits {
  recipients: number;
  failures: number;
}

/**
 * The dashboard's figures: totals and the series from the window's hourly counters (`hours`, any
 * order, missing hours are zero), recipients, failures and pending tips from `recentTips` (the
 * window's newest tips; the caller says whether there were more).
 */
export const summarizeActivity = (
  hours: Iterable<HourlyActivity>,
  recentTips: Iterable<SummaryTip>,
  window: SummaryWindow,
  limits: SummaryLimits = { recipients: 50, failures: 20 },
): PlatformSummary => {
  const totals: PlatformSummary['totals'] = {
    tips: 0,
    succeeded: { count: 0, msat: 0n, feeMsat: 0n },
    failed: { count: 0, msat: 0n },
    pending: { count: 0, msat: 0n },
  };
  const size = bucketMs(window.bucket);
  const from = window.from.getTime();
  const series = window.bucketStarts.map((start) => ({
    start: start.toISOString(),
    paidMsat: 0n,
    tips: 0,
  }));
  for (const hour of hours) {
    const at = Date.parse(hour.hour);
    if (at < from || at > window.to.getTime()) continue;
    totals.succeeded.count += hour.succeededCount;
    totals.succeeded.msat += hour.succeededMsat;
    totals.succeeded.feeMsat += hour.feeMsat;
    totals.failed.count += hour.failedCount;
    totals.failed.msat += hour.failedMsat;
    const point = series[Math.min(series.length - 1, Math.floor((at - from) / size))];
    if (point) {
      point.paidMsat += hour.succeededMsat;
      point.tips += hour.succeededCount;
    }
  }

  const recipients = new Map<string, RecipientSummary>();
  const failures: FailureSummary[] = [];
  for (const tip of recentTips) {
    let entry = recipients.get(tip.recipient);
    if (!entry) {
      entry = {
        recipient: tip.recipient,
        paidMsat: 0n,
        feeMsat: 0n,
        succeeded: 0,
        failed: 0,
        pending: 0,
      };
      recipients.set(tip.recipient, entry);
    }
    if (tip.state === 'SUCCEEDED') {
      entry.succeeded += 1;
      entry.paidMsat += tip.amountMsat;
      entry.feeMsat += tip.feeMsat ?? 0n;
      const settledAt = tip.settledAt ?? tip.updatedAt ?? tip.createdAt;
      if (!entry.lastPaidAt || settledAt > entry.lastPaidAt) entry.lastPaidAt = settledAt;
    } else if (tip.state === 'FAILED') {
      entry.failed += 1;
      failures.push({
        tipId: tip.tipId,
        recipient: tip.recipient,
        amountMsat: tip.amountMsat,
        failedAt: tip.updatedAt ?? tip.createdAt,
        ...(tip.failureCode ? { code: tip.failureCode } : {}),
        ...(tip.failureReason ? { reason: tip.failureReason } : {}),
        ...(tip.batchId ? { batchId: tip.batchId } : {}),
      });
    } else {
      totals.pending.count += 1;
      totals.pending.msat += tip.amountMsat;
      entry.pending += 1;
    }
  }
  totals.tips = totals.succeeded.count + totals.failed.count + totals.pending.count;

  const byPaid = [...recipients.values()].sort(
    (a, b) =>
      (a.paidMsat === b.paidMsat ? 0 : a.paidMsat > b.paidMsat ? -1 : 1) ||
      b.succeeded - a.succeeded ||
      b.failed + b.pending - (a.failed + a.pending) ||
      (a.recipient < b.recipient ? -1 : 1),
  );
  failures.sort((a, b) => (a.failedAt === b.failedAt ? 0 : a.failedAt > b.failedAt ? -1 : 1));
  return {
    totals,
    recipients: byPaid.slice(0, limits.recipients),
    recipientCount: recipients.size,
    series,
    failures: failures.slice(0, limits.failures),
  };
};
