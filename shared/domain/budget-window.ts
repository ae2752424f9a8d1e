import { ValidationError } from './errors.js';

/** A budget period: the key its spend is recorded under, and when the next one starts. */
type BudgetWindow = { key: string; resetsAt: Date };

/** The budget windows `now` falls in: the platform's UTC day and the global UTC hour. */
export type BudgetWindows = { platformDay: BudgetWindow; globalHour: BudgetWindow };

/** Which budget a tip would break. */
export type BudgetLimit = 'per-tip' | 'platform-daily' | 'global-hourly';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** UTC windows containing `now`: platform day `YYYY-MM-DD` and global hour `YYYY-MM-DDTHH`. */
export const budgetWindows = (now: Date): BudgetWindows => {
  const ms = now instanceof Date ? now.getTime() : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError('now', 'now must be a valid Date');
  }
  const iso = new Date(ms).toISOString();
  // UTC days and hours have fixed lengths (no leap seconds in JS time), so flooring is exact.
  return {
    platformDay: {
      key: iso.slice(0, 10),
      resetsAt: new Date(Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS),
    },
    globalHour: {
      key: iso.slice(0, 13),
      resetsAt: new Date(Math.floor(ms / HOUR_MS) * HOUR_MS + HOUR_MS),
    },
  };
};

const LIMIT_NAMES: Record<BudgetLimit, string> = {
  'per-tip': 'per-tip',
  'platform-daily': 'platform daily',
  'global-hourly': 'global hourly',
};

/**
 * Says which budget a tip would exceed, by how much, and when it resets, e.g. "platform daily
 * limit of 1,000,000 sats would be exceeded (900,000 used, 200,000 requested); it resets at …".
 */
export const describeBudgetExceeded = ({
  limit,
  limitMsat,
  usedMsat,
  requestedMsat,
  resetsAt,
}: {
  limit: BudgetLimit;
  limitMsat: bigint;
  usedMsat: bigint;
  requestedMsat: bigint;
  resetsAt?: Date;
}): string => {
  const name = LIMIT_NAMES[limit];
  if (name === undefined) {
    throw new ValidationError(
      'limit',
      `limit ${JSON.stringify(limit)} must be per-tip, platform-daily or global-hourly`,
    );
  }
  const head = `${name} limit of ${formatSats(limitMsat)} sats would be exceeded`;
  if (limit === 'per-tip') {
    return `${head} (${formatSats(requestedMsat)} requested): send a smaller amount or split it`;
  }
  const counts = `(${formatSats(usedMsat)} used, ${formatSats(requestedMsat)} requested)`;
  return resetsAt === undefined
    ? `${head} ${counts}`
    : `${head} ${counts}; it resets at ${formatInstant(resetsAt)}`;
};

/** Formats msat as sats with thousands separators; sub-sat msat shown as up to 3 decimals. */
export const formatSats = (amountMsat: bigint): string => {
  const negative = amountMsat < 0n;
  const magnitude = negative ? -amountMsat : amountMsat;
  const whole = (magnitude / 1000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (magnitude % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
};

const formatInstant = (date: Date): string => date.toISOString().replace(/\.000Z$/, 'Z');
