/**
 * When a webhook delivery is tried again, and when it is given up (dead letter).
 *
 * The schedule is Standard Webhooks' own recommendation: at once, then 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h and 10 h after the previous attempt (8 attempts over about 27.6 hours), each delay
 * spread by up to ±20 % jitter so the retries of many deliveries that failed together (an
 * endpoint back from an outage) do not arrive together. `scale` shrinks the schedule for tests
 * (0.001 → 5 ms, 300 ms, 1.8 s …) without changing its shape.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;

/** Attempts in all: the first, then one per delay. */
export const MAX_DELIVERY_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** A jitter draw in [0, 1): `Math.random` in production, fixed in tests. */
export type Jitter = () => number;

/**
 * When attempt `attempt + 1` is due after attempt `attempt` (1-based) failed at `failedAt`, or
 * `undefined` when `attempt` was the last: the delivery goes to the dead letter.
 */
export const nextAttemptAt = (
  attempt: number,
  failedAt: Date,
  { scale = 1, jitter = Math.random }: { scale?: number; jitter?: Jitter } = {},
): Date | undefined => {
  const delay = RETRY_DELAYS_MS[attempt - 1];
  if (delay === undefined) return undefined;
  const spread = 1 + (jitter() * 2 - 1) * 0.2;
  return new Date(failedAt.getTime() + Math.round(delay * scale * spread));
};

/** What became of one attempt, as the delivery's history shows it. */
export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status?: number; error: string };

/** Standard Webhooks: any 2xx is a delivery; anything else (3xx too: no redirect is followed) is retried. */
export const isDelivered = (status: number) => status >= 200 && status < 300;

/**
 * When a delivery that must wait for an earlier event of its subject (`blocker`, still pending at
 * the same endpoint) is due again: just after the blocker's next attempt (or its running
 * attempt's lease), never before `now`. It then sorts after its blocker in its endpoint's queue,
 * so the sweep reads the blocker first and the two go out in order in one sweep; and waiting
 * deliveries never crowd the head of the queue ahead of deliveries that can go.
 */
export const dueAfterBlocker = (
  blocker: { nextAttemptAt?: string; leaseUntil?: string },
  now: Date,
): Date => {
  const times = [blocker.nextAttemptAt, blocker.leaseUntil]
    .map((at) => (at ? Date.parse(at) : Number.NaN))
    .filter((ms) => Number.isFinite(ms));
  return new Date(Math.max(now.getTime(), ...times) + 1);
};
