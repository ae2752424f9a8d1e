import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AmountPolicy, parseAmountMsat } from '../../../shared/domain/amounts.js';
import { AmountAboveMaximumError, ValidationError } from '../../../shared/domain/errors.js';
import {
  checkProperty,
  hostileNumber,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  numericLooking,
  outcome,
} from '../../support/fast-check.js';

const policyArb: fc.Arbitrary<AmountPolicy> = fc.record({
  maxMsat: fc.oneof(
    fc.constantFrom(1_000n, 1_000_000_000n, 2n ** 53n, 10n ** 30n),
    fc.bigInt({ min: 1n, max: 10n ** 20n }),
  ),
  allowMsat: fc.boolean(),
});

/** What a caller may send as an amount: hostile values of every type, and numeric-looking text. */
const rawAmount = fc.oneof(
  hostileUnknown(),
  numericLooking(),
  hostileNumber(),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String),
  // Very long digit strings: an API body may hold 16 KiB of them, a queue message 256 KiB.
  fc
    .tuple(fc.constantFrom('', '-', '0'), fc.integer({ min: 1_000, max: 20_000 }), fc.nat(9))
    .map(([sign, length, digit]) => `${sign}${String(digit + 1).repeat(length)}`),
);

const parse = (raw: unknown, policy: AmountPolicy) =>
  outcome(() => parseAmountMsat(raw, policy), [ValidationError]);

describe('parseAmountMsat, fuzzed', () => {
  it('throws only ValidationError, with a bounded message, and accepts only amounts within policy', () => {
    checkProperty(
      fc.property(rawAmount, policyArb, (raw, policy) => {
        const result = parse(raw, policy);
        if (!result.ok) {
          expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          expect((result.error as ValidationError).field).toBe('amountMsat');
          return;
        }
        const amount = result.value;
        expect(typeof amount).toBe('bigint');
        expect(amount).toBeGreaterThan(0n);
        expect(amount).toBeLessThanOrEqual(policy.maxMsat);
        if (!policy.allowMsat) expect(amount % 1000n).toBe(0n);
        // Accepted input is already canonical: a safe integer or its decimal digits.
        if (typeof raw === 'number') expect(Number.isSafeInteger(raw) && BigInt(raw)).toBe(amount);
        if (typeof raw === 'string') expect(raw).toBe(amount.toString());
      }),
      4_000,
    );
  });

  it('round-trips every valid amount through its decimal string and (when safe) its number', () => {
    const validAmount = fc
      .tuple(policyArb, fc.bigInt({ min: 1n, max: 10n ** 20n }))
      .filter(([policy]) => policy.allowMsat || policy.maxMsat >= 1000n)
      .map(([policy, n]) => {
        const max = policy.maxMsat;
        const amount = policy.allowMsat
          ? ((n - 1n) % max) + 1n
          : ((n - 1n) % (max / 1000n)) * 1000n + 1000n;
        return { policy, amount };
      })
      .filter(({ policy, amount }) => amount <= policy.maxMsat);
    checkProperty(
      fc.property(validAmount, ({ policy, amount }) => {
        expect(parseAmountMsat(amount.toString(), policy)).toBe(amount);
        expect(parseAmountMsat(amount, policy)).toBe(amount);
        if (amount <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(parseAmountMsat(Number(amount), policy)).toBe(amount);
        }
      }),
    );
  });

  it('refuses what is over the maximum with AmountAboveMaximumError, whatever the form', () => {
    checkProperty(
      fc.property(policyArb, fc.bigInt({ min: 1n, max: 10n ** 40n }), (policy, excess) => {
        const amount = policy.maxMsat + excess;
        const error = outcome(() => parseAmountMsat(amount.toString(), policy), [ValidationError]);
        expect(error.ok).toBe(false);
        if (!error.ok) expect(error.error).toBeInstanceOf(AmountAboveMaximumError);
      }),
    );
  });
});

describe('regressions found by fuzzing', () => {
  it('quotes a huge amount by its first digits and length, not whole', () => {
    const digits = '1'.repeat(20_000);
    const policy = { maxMsat: 1000n, allowMsat: false };
    expect(thrownMessage(() => parseAmountMsat(digits, policy))).toBe(
      `amountMsat ${'1'.repeat(40)}… (20000 chars) is above the per-tip maximum of 1000 msat: send a smaller amount or split it`,
    );
    expect(thrownMessage(() => parseAmountMsat(`-${digits}`, policy))).toBe(
      `amountMsat -${'1'.repeat(39)}… (20001 chars) is negative: send a positive amount`,
    );
  });
});

const thrownMessage = (parse: () => unknown): string => {
  const result = outcome(parse, [ValidationError]);
  return result.ok ? 'no error' : result.error.message;
};
