import { describe, expect, it } from 'vitest';
import {
  budgetWindows,
  describeBudgetExceeded,
  formatSats,
} from '../../../shared/domain/budget-window.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { thrown } from './helpers.js';

describe('budgetWindows', () => {
  it.each([
    {
      description: 'the middle of a day',
      now: '2026-11-24T13:45:12.345Z',
      day: ['2026-11-24', '2026-11-25T00:00:00.000Z'],
      hour: ['2026-11-24T13', '2026-11-24T14:00:00.000Z'],
    },
    {
      description: 'exactly midnight (a new window starts)',
      now: '2026-11-25T00:00:00.000Z',
      day: ['2026-11-25', '2026-11-26T00:00:00.000Z'],
      hour: ['2026-11-25T00', '2026-11-25T01:00:00.000Z'],
    },
    {
      description: 'the last millisecond of a day',
      now: '2026-11-24T23:59:59.999Z',
      day: ['2026-11-24', '2026-11-25T00:00:00.000Z'],
      hour: ['2026-11-24T23', '2026-11-25T00:00:00.000Z'],
    },
    {
      description: 'the end of a year',
      now: '2026-12-31T23:30:00.000Z',
      day: ['2026-12-31', '2027-01-01T00:00:00.000Z'],
      hour: ['2026-12-31T23', '2027-01-01T00:00:00.000Z'],
    },
    {
      description: 'a leap day',
      now: '2028-02-29T05:00:00.000Z',
      day: ['2028-02-29', '2028-03-01T00:00:00.000Z'],
      hour: ['2028-02-29T05', '2028-02-29T06:00:00.000Z'],
    },
    {
      description: 'a time given with an offset (windows are UTC, not local)',
      now: '2026-11-24T23:30:00-05:00',
      day: ['2026-11-25', '2026-11-26T00:00:00.000Z'],
      hour: ['2026-11-25T04', '2026-11-25T05:00:00.000Z'],
    },
  ])('$description', ({ now, day, hour }) => {
    const { platformDay, globalHour } = budgetWindows(new Date(now));
    expect([platformDay.key, platformDay.resetsAt.toISOString()]).toEqual(day);
    expect([globalHour.key, globalHour.resetsAt.toISOString()]).toEqual(hour);
  });

  it.each([
    { description: 'an invalid Date', args: new Date('tomorrow') },
    { description: 'a string', args: '2026-11-24' as unknown as Date },
  ])('rejects $description', ({ args }) => {
    const err = thrown(() => budgetWindows(args));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('now must be a valid Date');
  });
});

describe('describeBudgetExceeded', () => {
  it.each([
    {
      description: 'the platform daily limit',
      args: {
        limit: 'platform-daily' as const,
        limitMsat: 1_000_000_000n,
        usedMsat: 900_000_000n,
        requestedMsat: 200_000_000n,
        resetsAt: new Date('2026-11-25T00:00:00Z'),
      },
      message:
        'platform daily limit of 1,000,000 sats would be exceeded (900,000 used, 200,000 requested); it resets at 2026-11-25T00:00:00Z',
    },
    {
      description: 'the global hourly limit',
      args: {
        limit: 'global-hourly' as const,
        limitMsat: 50_000_000n,
        usedMsat: 49_999_500n,
        requestedMsat: 1_000n,
        resetsAt: new Date('2026-11-24T14:00:00Z'),
      },
      message:
        'global hourly limit of 50,000 sats would be exceeded (49,999.5 used, 1 requested); it resets at 2026-11-24T14:00:00Z',
    },
    {
      description: 'a window limit without a reset time',
      args: {
        limit: 'global-hourly' as const,
        limitMsat: 1_000n,
        usedMsat: 0n,
        requestedMsat: 2_000n,
      },
      message: 'global hourly limit of 1 sats would be exceeded (0 used, 2 requested)',
    },
    {
      description: 'the per-tip limit',
      args: {
        limit: 'per-tip' as const,
        limitMsat: 100_000_000n,
        usedMsat: 0n,
        requestedMsat: 123_456_789n,
      },
      message:
        'per-tip limit of 100,000 sats would be exceeded (123,456.789 requested): send a smaller amount or split it',
    },
  ])('$description', ({ args, message }) => {
    expect(describeBudgetExceeded(args)).toBe(message);
  });

  it('rejects an unknown limit', () => {
    const err = thrown(() =>
      describeBudgetExceeded({
        limit: 'monthly' as 'per-tip',
        limitMsat: 1n,
        usedMsat: 0n,
        requestedMsat: 2n,
      }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('limit "monthly" must be per-tip, platform-daily or global-hourly');
  });
});

describe('formatSats', () => {
  it.each([
    { msat: 0n, text: '0' },
    { msat: 999n, text: '0.999' },
    { msat: 1_000n, text: '1' },
    { msat: 1_500n, text: '1.5' },
    { msat: 1_001n, text: '1.001' },
    { msat: 999_999_000n, text: '999,999' },
    { msat: 1_000_000_000n, text: '1,000,000' },
    { msat: 2_100_000_000_000_000_000n, text: '2,100,000,000,000,000' },
    { msat: -1_234_000n, text: '-1,234' },
  ])('$msat msat → $text sats', ({ msat, text }) => {
    expect(formatSats(msat)).toBe(text);
  });
});
