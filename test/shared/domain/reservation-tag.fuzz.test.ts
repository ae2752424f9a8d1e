import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatReservationTag,
  parseReservationTag,
  type ReservationTag,
} from '../../../shared/domain/reservation-tag.js';

const tag = fc.record({
  feeLimitMsat: fc.bigInt({ min: 0n, max: 10n ** 24n }),
  budgetKeys: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 8 }),
});

describe('reservation tags', () => {
  it('read back exactly what was written', () => {
    fc.assert(
      fc.property(tag, (written: ReservationTag) => {
        expect(parseReservationTag(formatReservationTag(written))).toEqual(written);
      }),
    );
  });

  it("the API's tag for a request: fee limit and the counters in order", () => {
    const written = formatReservationTag({
      feeLimitMsat: 10_000n,
      budgetKeys: ['platform#streamco#day#2026-12-07', 'global#hour#2026-12-07T17'],
    });
    expect(written).toBe(
      '{"feeLimitMsat":"10000","budgetKeys":["platform#streamco#day#2026-12-07","global#hour#2026-12-07T17"]}',
    );
  });

  it.each([
    ['not JSON', 'feeLimitMsat=1'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a fee limit as a number', '{"feeLimitMsat":1,"budgetKeys":[]}'],
    ['a negative fee limit', '{"feeLimitMsat":"-1","budgetKeys":[]}'],
    ['a fee limit with a leading zero', '{"feeLimitMsat":"01","budgetKeys":[]}'],
    ['an empty budget key', '{"feeLimitMsat":"1","budgetKeys":[""]}'],
    ['a budget key that is not a string', '{"feeLimitMsat":"1","budgetKeys":[1]}'],
    ['no budget keys field', '{"feeLimitMsat":"1"}'],
    ['an unknown field', '{"feeLimitMsat":"1","budgetKeys":[],"amountMsat":"5"}'],
    ['too long', `{"feeLimitMsat":"1","budgetKeys":["${'k'.repeat(5_000)}"]}`],
  ])('says nothing of %s', (_what, raw) => {
    expect(parseReservationTag(raw)).toBeUndefined();
  });

  it('never throws, whatever a producer puts in the attribute', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          tag.map((written) => formatReservationTag(written).replace(/"/, '')),
        ),
        (raw) => {
          const parsed = parseReservationTag(raw);
          if (parsed) expect(JSON.parse(formatReservationTag(parsed))).toEqual(JSON.parse(raw));
        },
      ),
    );
  });
});
