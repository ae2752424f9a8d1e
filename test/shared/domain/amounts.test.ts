import { describe, expect, it } from 'vitest';
import { parseAmountMsat } from '../../../shared/domain/amounts.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { thrown } from './helpers.js';

const sats = { maxMsat: 1_000_000_000n, allowMsat: false };
const msat = { maxMsat: 1_000_000_000n, allowMsat: true };
const huge = { maxMsat: 10n ** 30n, allowMsat: true };

describe('parseAmountMsat', () => {
  it.each([
    {
      description: 'undefined',
      args: [undefined, sats],
      error: /must be a number or a decimal string of msat, got undefined/,
    },
    { description: 'null', args: [null, sats], error: /got null/ },
    { description: 'a boolean', args: [true, sats], error: /got boolean/ },
    { description: 'an object', args: [{ msat: 1 }, sats], error: /got object/ },
    {
      description: 'a fraction',
      args: [1000.5, msat],
      error: /1000.5 is not a whole number of msat/,
    },
    { description: 'NaN', args: [Number.NaN, msat], error: /NaN is not a whole number/ },
    {
      description: 'Infinity',
      args: [Number.POSITIVE_INFINITY, huge],
      error: /Infinity is not a whole number/,
    },
    {
      description: 'an unsafe integer',
      args: [2 ** 53, huge],
      error: /9007199254740992 is too large for an exact JSON number: send it as a decimal string/,
    },
    {
      description: 'zero (number)',
      args: [0, sats],
      error: /amountMsat is 0: send at least 1 sat \(1000 msat\)/,
    },
    {
      description: 'zero (string)',
      args: ['0', msat],
      error: /amountMsat is 0: send at least 1 msat/,
    },
    {
      description: 'negative number',
      args: [-1000, sats],
      error: /-1000 is negative: send a positive amount/,
    },
    { description: 'negative string', args: ['-1000', sats], error: /-1000 is negative/ },
    { description: 'empty string', args: ['', sats], error: /"" is not a decimal integer/ },
    {
      description: 'decimal point in string',
      args: ['1000.0', sats],
      error: /"1000.0" is not a decimal integer/,
    },
    {
      description: 'exponent in string',
      args: ['1e6', sats],
      error: /"1e6" is not a decimal integer/,
    },
    { description: 'hex string', args: ['0x3e8', sats], error: /"0x3e8" is not a decimal integer/ },
    { description: 'plus sign', args: ['+1000', sats], error: /not a decimal integer/ },
    { description: 'whitespace', args: [' 1000', sats], error: /not a decimal integer/ },
    {
      description: 'leading zeros',
      args: ['01000', sats],
      error: /"01000" has leading zeros: remove them/,
    },
    {
      description: 'above the maximum',
      args: [1_000_001_000, sats],
      error: /1000001000 is above the per-tip maximum of 1000000000 msat/,
    },
    {
      description: 'above the maximum (string beyond 2^64)',
      args: ['99999999999999999999999', sats],
      error: /above the per-tip maximum/,
    },
    {
      description: 'msat when only whole sats are allowed',
      args: [1500, sats],
      error: /amountMsat 1500 must be a whole number of sats \(a multiple of 1000 msat\)/,
    },
    {
      description: '1 msat when only whole sats are allowed',
      args: ['1', sats],
      error: /must be a whole number of sats/,
    },
  ] as { description: string; args: [unknown, typeof sats]; error: RegExp }[])(
    'rejects $description',
    ({ args, error }) => {
      const e = thrown(() => parseAmountMsat(...args));
      expect(e).toBeInstanceOf(ValidationError);
      expect(e).toMatchObject({ field: 'amountMsat' });
      expect(e.message).toMatch(error);
    },
  );

  it.each([
    { description: 'a whole-sat number', args: [21_000, sats], expected: 21_000n },
    { description: 'a whole-sat string', args: ['21000', sats], expected: 21_000n },
    { description: 'exactly the maximum', args: [1_000_000_000, sats], expected: 1_000_000_000n },
    { description: 'msat when allowed', args: [1, msat], expected: 1n },
    { description: 'msat string when allowed', args: ['1500', msat], expected: 1500n },
    {
      description: 'the largest safe integer',
      args: [Number.MAX_SAFE_INTEGER, huge],
      expected: 9007199254740991n,
    },
    {
      description: 'a string beyond 2^53, exactly',
      args: ['9007199254740993', huge],
      expected: 9007199254740993n,
    },
  ] as { description: string; args: [unknown, typeof sats]; expected: bigint }[])(
    'accepts $description',
    ({ args, expected }) => {
      expect(parseAmountMsat(...args)).toBe(expected);
    },
  );

  it('uses the field name it is given', () => {
    expect(thrown(() => parseAmountMsat(0, sats, 'splits.0.amountMsat'))).toMatchObject({
      field: 'splits.0.amountMsat',
    });
  });
});
