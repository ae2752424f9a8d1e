import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  hourlyOutcome,
  hourOf,
  parseSummaryWindow,
  type SummaryTip,
  sumHourlyActivity,
  summarizeActivity,
  summaryWindow,
  windowHours,
} from '../../../shared/domain/platform-summary.js';
import { hourlyActivityOf } from '../../support/hourly-activity.js';
import { pubkeyHex, thrown } from './helpers.js';

const carol = pubkeyHex(3);
const dave = pubkeyHex(4);
const erin = pubkeyHex(5);

describe('parseSummaryWindow', () => {
  it.each([
    { raw: null, window: '24h' },
    { raw: '', window: '24h' },
    { raw: '24h', window: '24h' },
    { raw: '7d', window: '7d' },
    { raw: '30d', window: '30d' },
  ])('reads $raw as $window', ({ raw, window }) => {
    expect(parseSummaryWindow(raw)).toBe(window);
  });

  it.each([
    { raw: '1y', description: 'an unbounded window' },
    { raw: '24H', description: 'another spelling' },
    { raw: 'toString', description: 'an inherited property name' },
  ])('refuses $description with the windows it takes', ({ raw }) => {
    const error = thrown(() => parseSummaryWindow(raw));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(`window "${raw}" is not one of 24h, 7d, 30d`);
  });
});

describe('summaryWindow', () => {
  it('24h: 24 hour buckets ending with the current hour (UTC)', () => {
    const window = summaryWindow('24h', new Date('2026-11-24T13:45:12.345Z'));
    expect(window.bucket).toBe('hour');
    expect(window.bucketStarts).toHaveLength(24);
    expect(window.from.toISOString()).toBe('2026-11-23T14:00:00.000Z');
    expect(window.bucketStarts.at(-1)?.toISOString()).toBe('2026-11-24T13:00:00.000Z');
    expect(window.to.toISOString()).toBe('2026-11-24T13:45:12.345Z');
  });

  it('7d and 30d: day buckets ending with today, across a month end', () => {
    const week = summaryWindow('7d', new Date('2026-12-02T00:00:00.000Z'));
    expect(week.bucket).toBe('day');
    expect(week.bucketStarts.map((start) => start.toISOString().slice(0, 10))).toEqual([
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    const month = summaryWindow('30d', new Date('2026-03-01T10:00:00.000Z'));
    expect(month.bucketStarts).toHaveLength(30);
    expect(month.from.toISOString()).toBe('2026-01-31T00:00:00.000Z');
  });
});

/** The summary of these tips, their counters kept as the payer keeps them. */
const summarizeTips = (
  tips: SummaryTip[],
  window: Parameters<typeof summarizeActivity>[2],
  limits?: Parameters<typeof summarizeActivity>[3],
) => summarizeActivity(hourlyActivityOf(tips), tips, window, limits);

describe('summarizeActivity', () => {
  const now = new Date('2026-11-24T13:45:00.000Z');
  const window = summaryWindow('24h', now);
  let sequence = 0;
  const tip = (fields: Partial<SummaryTip> & Pick<SummaryTip, 'state'>): SummaryTip => {
    sequence += 1;
    return {
      tipId: `p:${String(sequence).padStart(4, '0')}`,
      recipient: carol,
      amountMsat: 1_000_000n,
      createdAt: '2026-11-24T12:00:00.000Z',
      ...fields,
    };
  };

  it('is all zeros for no tips, with every bucket present', () => {
    const summary = summarizeTips([], window);
    expect(summary.totals).toEqual({
      tips: 0,
      succeeded: { count: 0, msat: 0n, feeMsat: 0n },
      failed: { count: 0, msat: 0n },
      pending: { count: 0, msat: 0n },
    });
    expect(summary.recipients).toEqual([]);
    expect(summary.recipientCount).toBe(0);
    expect(summary.series).toHaveLength(24);
    expect(summary.series.every((point) => point.paidMsat === 0n && point.tips === 0)).toBe(true);
    expect(summary.failures).toEqual([]);
  });

  it('adds up totals by outcome and per recipient, most paid first, exact in msat', () => {
    const summary = summarizeTips(
      [
        tip({
          state: 'SUCCEEDED',
          amountMsat: 1_000_001n,
          feeMsat: 10n,
          settledAt: '2026-11-24T12:00:01.000Z',
        }),
        tip({
          state: 'SUCCEEDED',
          amountMsat: 2_000_000n,
          feeMsat: 0n,
          settledAt: '2026-11-24T13:40:00.000Z',
        }),
        tip({
          state: 'SUCCEEDED',
          recipient: dave,
          amountMsat: 5_000_000n,
          feeMsat: 1n,
          settledAt: '2026-11-24T01:00:00.000Z',
        }),
        tip({
          state: 'FAILED',
          recipient: erin,
          amountMsat: 100_000n,
          updatedAt: '2026-11-24T12:00:05.000Z',
          failureCode: 'REJECTED_BY_DESTINATION',
          failureReason: 'erin does not accept keysend',
        }),
        tip({ state: 'SENDING', recipient: dave, amountMsat: 7_000n }),
        tip({ state: 'RECEIVED', recipient: dave, amountMsat: 3_000n }),
      ],
      window,
    );
    expect(summary.totals).toEqual({
      tips: 6,
      succeeded: { count: 3, msat: 8_000_001n, feeMsat: 11n },
      failed: { count: 1, msat: 100_000n },
      pending: { count: 2, msat: 10_000n },
    });
    expect(summary.recipientCount).toBe(3);
    expect(summary.recipients).toEqual([
      {
        recipient: dave,
        paidMsat: 5_000_000n,
        feeMsat: 1n,
        succeeded: 1,
        failed: 0,
        pending: 2,
        lastPaidAt: '2026-11-24T01:00:00.000Z',
      },
      {
        recipient: carol,
        paidMsat: 3_000_001n,
        feeMsat: 10n,
        succeeded: 2,
        failed: 0,
        pending: 0,
        lastPaidAt: '2026-11-24T13:40:00.000Z',
      },
      { recipient: erin, paidMsat: 0n, feeMsat: 0n, succeeded: 0, failed: 1, pending: 0 },
    ]);
    expect(summary.failures).toEqual([
      {
        tipId: expect.any(String),
        recipient: erin,
        amountMsat: 100_000n,
        failedAt: '2026-11-24T12:00:05.000Z',
        code: 'REJECTED_BY_DESTINATION',
        reason: 'erin does not accept keysend',
      },
    ]);
  });

  it('puts sats paid into the bucket of the settle hour; bucket edges belong to the later bucket', () => {
    const summary = summarizeTips(
      [
        tip({ state: 'SUCCEEDED', amountMsat: 1_000n, settledAt: '2026-11-23T14:00:00.000Z' }),
        tip({ state: 'SUCCEEDED', amountMsat: 2_000n, settledAt: '2026-11-23T14:59:59.999Z' }),
        tip({ state: 'SUCCEEDED', amountMsat: 4_000n, settledAt: '2026-11-23T15:00:00.000Z' }),
        tip({ state: 'SUCCEEDED', amountMsat: 8_000n, settledAt: '2026-11-24T13:44:59.000Z' }),
        // Clock skew between the payer and the API: in the current hour, not lost.
        tip({ state: 'SUCCEEDED', amountMsat: 16_000n, settledAt: '2026-11-24T13:50:00.000Z' }),
        // The hour before the window is the previous window's.
        tip({ state: 'SUCCEEDED', amountMsat: 32_000n, settledAt: '2026-11-23T13:59:00.000Z' }),
        tip({ state: 'FAILED', amountMsat: 64_000n }),
      ],
      window,
    );
    const paid = summary.series.map((point) => point.paidMsat);
    expect(paid[0]).toBe(3_000n);
    expect(paid[1]).toBe(4_000n);
    expect(paid[23]).toBe(24_000n);
    expect(paid.slice(2, 23).every((value) => value === 0n)).toBe(true);
    expect(summary.series.map((point) => point.tips).reduce((a, b) => a + b)).toBe(5);
    expect(summary.series[1]?.start).toBe('2026-11-23T15:00:00.000Z');
    expect(paid.reduce((a, b) => a + b)).toBe(summary.totals.succeeded.msat);
  });

  it('keeps the latest failures, newest first, and the most paid recipients, up to the limits', () => {
    const tips: SummaryTip[] = [];
    for (let i = 0; i < 30; i++) {
      tips.push(
        tip({
          state: 'FAILED',
          recipient: pubkeyHex(10 + i),
          updatedAt: `2026-11-24T12:${String(i).padStart(2, '0')}:00.000Z`,
          failureReason: `reason ${i}`,
        }),
      );
    }
    tips.push(
      tip({ state: 'SUCCEEDED', recipient: pubkeyHex(99), settledAt: '2026-11-24T12:00:00.000Z' }),
    );
    const summary = summarizeTips(tips, window, { recipients: 5, failures: 3 });
    expect(summary.failures.map((failure) => failure.reason)).toEqual([
      'reason 29',
      'reason 28',
      'reason 27',
    ]);
    expect(summary.recipientCount).toBe(31);
    expect(summary.recipients).toHaveLength(5);
    expect(summary.recipients[0]?.recipient).toBe(pubkeyHex(99));
  });

  it('sums 10,000 tips exactly', () => {
    const keys = Array.from({ length: 40 }, (_, i) => pubkeyHex(1 + i));
    const tips = Array.from({ length: 10_000 }, (_, i) =>
      tip({
        state: i % 10 === 0 ? 'FAILED' : 'SUCCEEDED',
        recipient: keys[i % 40],
        amountMsat: BigInt(1_000 * (1 + (i % 7))),
        feeMsat: 1n,
        settledAt: new Date(window.from.getTime() + ((i * 8_000) % 86_400_000)).toISOString(),
      }),
    );
    const summary = summarizeTips(tips, window);
    const paid = tips
      .filter((t) => t.state === 'SUCCEEDED')
      .reduce((sum, t) => sum + t.amountMsat, 0n);
    expect(summary.totals.succeeded.msat).toBe(paid);
    expect(summary.recipients.reduce((sum, r) => sum + r.paidMsat, 0n)).toBe(paid);
    expect(summary.totals.failed.count).toBe(1_000);
  });
});

describe('hourly counters', () => {
  it('an outcome counts in its UTC hour; a window reads each of its hours once', () => {
    expect(hourOf('2026-11-24T13:59:59.999Z')).toBe('2026-11-24T13:00:00.000Z');
    expect(hourOf('2026-11-24T14:00:00.000Z')).toBe('2026-11-24T14:00:00.000Z');
    const day = windowHours(summaryWindow('24h', new Date('2026-11-24T13:45:00.000Z')));
    expect(day).toHaveLength(24);
    expect(day[0]).toBe('2026-11-23T14:00:00.000Z');
    expect(day.at(-1)).toBe('2026-11-24T13:00:00.000Z');
    expect(windowHours(summaryWindow('30d', new Date('2026-11-24T13:45:00.000Z')))).toHaveLength(
      29 * 24 + 14,
    );
  });

  it('totals come from the counters whole, the lists from the newest tips only', () => {
    const window = summaryWindow('7d', new Date('2026-11-24T13:45:00.000Z'));
    const counter = (hour: string, succeededCount: number, failedCount: number) => ({
      hour,
      succeededCount,
      succeededMsat: BigInt(succeededCount) * 1_000n,
      feeMsat: BigInt(succeededCount),
      failedCount,
      failedMsat: BigInt(failedCount) * 500n,
    });
    const summary = summarizeActivity(
      [
        counter('2026-11-24T13:00:00.000Z', 60_000, 10),
        counter('2026-11-18T00:00:00.000Z', 40_000, 0),
        // Before the window: not counted.
        counter('2026-11-17T23:00:00.000Z', 99, 99),
      ],
      [
        {
          tipId: 'p:1',
          state: 'SENDING',
          recipient: carol,
          amountMsat: 2_000n,
          createdAt: '2026-11-24T13:44:00.000Z',
        },
      ],
      window,
    );
    expect(summary.totals).toEqual({
      tips: 100_011,
      succeeded: { count: 100_000, msat: 100_000_000n, feeMsat: 100_000n },
      failed: { count: 10, msat: 5_000n },
      pending: { count: 1, msat: 2_000n },
    });
    expect(summary.series.map((point) => point.tips)).toEqual([40_000, 0, 0, 0, 0, 0, 60_000]);
    expect(summary.recipients).toEqual([
      { recipient: carol, paidMsat: 0n, feeMsat: 0n, succeeded: 0, failed: 0, pending: 1 },
    ]);
  });
});

describe('hourlyOutcome and sumHourlyActivity', () => {
  it('counts a paid tip in the hour it settled and a failed one in the hour it failed', () => {
    expect(
      hourlyOutcome(5_000n, {
        succeeded: true,
        settledAt: '2026-11-24T13:59:59.999Z',
        feeMsat: 7n,
      }),
    ).toEqual({
      hour: '2026-11-24T13:00:00.000Z',
      succeededCount: 1,
      succeededMsat: 5_000n,
      feeMsat: 7n,
      failedCount: 0,
      failedMsat: 0n,
    });
    expect(hourlyOutcome(3_000n, { failed: true, at: '2026-11-24T14:00:00.000Z' })).toEqual({
      hour: '2026-11-24T14:00:00.000Z',
      succeededCount: 0,
      succeededMsat: 0n,
      feeMsat: 0n,
      failedCount: 1,
      failedMsat: 3_000n,
    });
  });

  it('adds increments up to one counter per hour, the same as applying them one by one', () => {
    const outcome = fc.record({
      amountMsat: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      feeMsat: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      paid: fc.boolean(),
      at: fc.integer({ min: 0, max: 72 * 3_600_000 }),
    });
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 60 }), (outcomes) => {
        const increments = outcomes.map(({ amountMsat, feeMsat, paid, at }) => {
          const when = new Date(Date.UTC(2026, 10, 24) + at).toISOString();
          return hourlyOutcome(
            amountMsat,
            paid ? { succeeded: true, settledAt: when, feeMsat } : { failed: true, at: when },
          );
        });
        const counters = sumHourlyActivity(increments);
        // One counter per hour, each the sum of that hour's increments (as DynamoDB's ADD leaves it).
        expect(new Set(counters.map((counter) => counter.hour)).size).toBe(counters.length);
        for (const counter of counters) {
          const inHour = increments.filter((added) => added.hour === counter.hour);
          expect(counter).toEqual({
            hour: counter.hour,
            succeededCount: inHour.reduce((sum, added) => sum + added.succeededCount, 0),
            succeededMsat: inHour.reduce((sum, added) => sum + added.succeededMsat, 0n),
            feeMsat: inHour.reduce((sum, added) => sum + added.feeMsat, 0n),
            failedCount: inHour.reduce((sum, added) => sum + added.failedCount, 0),
            failedMsat: inHour.reduce((sum, added) => sum + added.failedMsat, 0n),
          });
        }
        expect(
          counters.reduce((sum, counter) => sum + counter.succeededCount + counter.failedCount, 0),
        ).toBe(outcomes.length);
        // The increments are not changed by adding them up.
        expect(increments.every((added) => added.succeededCount + added.failedCount === 1)).toBe(
          true,
        );
      }),
    );
  });
});
