import { describe, expect, it } from 'vitest';
import {
  isDelivered,
  MAX_DELIVERY_ATTEMPTS,
  nextAttemptAt,
  RETRY_DELAYS_MS,
} from '../../../shared/domain/webhook-delivery.js';

const H = 3_600_000;
const FAILED_AT = new Date('2026-01-01T00:00:00.000Z');

/** When each attempt happens, the first at 0, each retry after the previous one failed at once. */
const schedule = (jitter: number, scale = 1) => {
  const times = [0];
  for (let attempt = 1; ; attempt += 1) {
    const at = new Date(FAILED_AT.getTime() + (times.at(-1) ?? 0));
    const next = nextAttemptAt(attempt, at, { scale, jitter: () => jitter });
    if (!next) return times;
    times.push(next.getTime() - FAILED_AT.getTime());
  }
};

describe('the webhook retry schedule', () => {
  it.each([
    { attempt: 1, delay: 5_000 },
    { attempt: 2, delay: 5 * 60_000 },
    { attempt: 3, delay: 30 * 60_000 },
    { attempt: 4, delay: 2 * H },
    { attempt: 5, delay: 5 * H },
    { attempt: 6, delay: 10 * H },
    { attempt: 7, delay: 10 * H },
  ])(
    'after attempt $attempt fails, the next comes $delay ms later (±20 %)',
    ({ attempt, delay }) => {
      const delayAfter = (jitter: number) =>
        (nextAttemptAt(attempt, FAILED_AT, { jitter: () => jitter })?.getTime() ?? 0) -
        FAILED_AT.getTime();
      expect(delayAfter(0.5)).toBe(delay);
      expect(delayAfter(0)).toBe(Math.round(delay * 0.8));
      expect(delayAfter(0.999_999)).toBeCloseTo(delay * 1.2, -3);
    },
  );

  it('dead-letters after the 8th attempt: no 9th is scheduled', () => {
    expect(MAX_DELIVERY_ATTEMPTS).toBe(8);
    expect(nextAttemptAt(8, FAILED_AT)).toBeUndefined();
    expect(nextAttemptAt(9, FAILED_AT)).toBeUndefined();
  });

  it.each([
    { jitter: 0, hours: 22.1 },
    { jitter: 0.5, hours: 27.6 },
    { jitter: 0.999_999, hours: 33.1 },
  ])(
    'reaches the dead letter about a day after the event (jitter $jitter: $hours h)',
    ({ jitter, hours }) => {
      const times = schedule(jitter);
      expect(times).toHaveLength(MAX_DELIVERY_ATTEMPTS);
      expect((times.at(-1) ?? 0) / H).toBeCloseTo(hours, 1);
      // Backoff: every gap at least as long as the one before it.
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
      for (let i = 1; i < gaps.length; i += 1)
        expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] ?? 0);
    },
  );

  it('jitter spreads retries of deliveries that failed together', () => {
    const draws = [0.1, 0.3, 0.5, 0.7, 0.9];
    const retries = new Set(
      draws.map((j) => nextAttemptAt(3, FAILED_AT, { jitter: () => j })?.getTime()),
    );
    expect(retries.size).toBe(draws.length);
  });

  it('scale shrinks the schedule without changing its shape (tests)', () => {
    const full = schedule(0.5);
    const small = schedule(0.5, 0.0001);
    expect(small).toHaveLength(full.length);
    small.forEach((t, i) => {
      expect(t).toBeCloseTo((full[i] ?? 0) * 0.0001, -1);
    });
    expect(RETRY_DELAYS_MS).toHaveLength(MAX_DELIVERY_ATTEMPTS - 1);
  });

  it.each([
    [199, false],
    [200, true],
    [204, true],
    [299, true],
    [301, false],
    [410, false],
    [500, false],
  ])('HTTP %i counts as delivered: %s (redirects are not followed)', (status, delivered) => {
    expect(isDelivered(status)).toBe(delivered);
  });
});
