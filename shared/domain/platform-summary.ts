import { ValidationError } from './errors.js';

/**
 * A platform's activity over a bounded window (the payouts dashboard): totals by outcome, per
 * recipient, sats paid per hour or day, and the latest failures. Pure: the API reads the tips of
 * the window from the ledger's platform index and hands them here.
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
  /** Recipients by sats paid, most first (at most `limits.recipients`). */
  recipients: RecipientSummary[];
  /** How many recipients the window has (the list may be cut). */
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

/** Aggregates the tips of a window into the dashboard's figures, in one pass. */
export const summarizeTips = (
  tips: Iterable<SummaryTip>,
  window: SummaryWindow,
  limits: SummaryLimits = { recipients: 50, failures: 20 },
): PlatformSummary => {
  const totals: PlatformSummary['totals'] = {
    tips: 0,
    succeeded: { count: 0, msat: 0n, feeMsat: 0n },
    failed: { count: 0, msat: 0n },
    pending: { count: 0, msat: 0n },
  };
  const recipients = new Map<string, RecipientSummary>();
  const size = bucketMs(window.bucket);
  const from = window.from.getTime();
  const series = window.bucketStarts.map((start) => ({
    start: start.toISOString(),
    paidMsat: 0n,
    tips: 0,
  }));
  const failures: FailureSummary[] = [];

  for (const tip of tips) {
    totals.tips += 1;
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
      const fee = tip.feeMsat ?? 0n;
      totals.succeeded.count += 1;
      totals.succeeded.msat += tip.amountMsat;
      totals.succeeded.feeMsat += fee;
      entry.succeeded += 1;
      entry.paidMsat += tip.amountMsat;
      entry.feeMsat += fee;
      const settledAt = tip.settledAt ?? tip.updatedAt ?? tip.createdAt;
      if (!entry.lastPaidAt || settledAt > entry.lastPaidAt) entry.lastPaidAt = settledAt;
      // A tip created in the window settles in it too; clamp the odd clock skew into the ends.
      const index = Math.min(
        series.length - 1,
        Math.max(0, Math.floor((Date.parse(settledAt) - from) / size)),
      );
      const point = series[index];
      if (point) {
        point.paidMsat += tip.amountMsat;
        point.tips += 1;
      }
    } else if (tip.state === 'FAILED') {
      totals.failed.count += 1;
      totals.failed.msat += tip.amountMsat;
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
