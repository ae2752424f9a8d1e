import { getPublicKey } from '@noble/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { parseNodePubkey } from '../../../shared/domain/pubkey.js';
import {
  checkProperty,
  hostileString,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  outcome,
} from '../../support/fast-check.js';

// secp256k1: y² = x³ + 7 over F_p.
const P = 2n ** 256n - 2n ** 32n - 977n;

/** Jacobi symbol (a/n) for odd n: for a prime n, 1 when a is a non-zero square mod n. */
const jacobi = (value: bigint, modulus: bigint): number => {
  let a = value % modulus;
  let n = modulus;
  let result = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) result = -result;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) result = -result;
    a %= n;
  }
  return n === 1n ? result : 0;
};

/**
 * The oracle, independent of noble: a compressed key is valid when its prefix is 02/03, x < p and
 * x³ + 7 is a square mod p (its Jacobi symbol; a root then exists for each parity).
 */
const isCompressedPoint = (hex: string): boolean => {
  if (!/^0[23][0-9a-f]{64}$/.test(hex)) return false;
  const x = BigInt(`0x${hex.slice(2)}`);
  if (x >= P) return false;
  const rhs = (x ** 3n + 7n) % P;
  return rhs === 0n || jacobi(rhs, P) === 1;
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A few keys made by noble from secret keys, so valid keys do not rest on the oracle alone. */
const KNOWN_KEYS = Array.from({ length: 8 }, (_, index) =>
  hex(getPublicKey(new Uint8Array(32).fill(index + 1))),
);

/**
 * Valid node ids, uniformly spread: the first x at or after a random one that has a point (half of
 * them do), with a random parity. (getPublicKey is ~20x slower: it would take the run's budget.)
 */
const validPubkey = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
  {
    weight: 9,
    arbitrary: fc
      .tuple(fc.constantFrom('02', '03'), fc.bigInt({ min: 0n, max: P - 1n }))
      .map(([prefix, start]) => {
        for (let x = start; ; x = (x + 1n) % P) {
          const key = `${prefix}${x.toString(16).padStart(64, '0')}`;
          if (isCompressedPoint(key)) return key;
        }
      }),
  },
);

/** 66 hex chars that are mostly not points: random x, random prefix, x near p. */
const hex66 = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('02', '03', '04', '00', '06', '07', '12'),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
    )
    .map(([prefix, x]) => `${prefix}${hex(x)}`),
  fc
    .tuple(fc.constantFrom('02', '03'), fc.bigInt({ min: P - 1000n, max: 2n ** 256n - 1n }))
    .map(([prefix, x]) => `${prefix}${x.toString(16).padStart(64, '0')}`),
);

/** A string with its letters' case changed at random (hex is case-insensitive on input). */
const anyCase = (arb: fc.Arbitrary<string>) => fc.mixedCase(arb);

const parse = (raw: unknown) => outcome(() => parseNodePubkey(raw), [ValidationError]);

describe('parseNodePubkey, fuzzed', () => {
  it('accepts exactly the compressed points (checked by its own oracle), as lowercase hex', () => {
    checkProperty(
      fc.property(fc.oneof(anyCase(hex66), anyCase(validPubkey)), (raw) => {
        const result = parse(raw);
        expect(result.ok).toBe(isCompressedPoint(raw.toLowerCase()));
        if (result.ok) {
          expect(result.value).toBe(raw.toLowerCase());
          expect(result.value).toMatch(/^0[23][0-9a-f]{64}$/);
        }
      }),
      3_000,
    );
  });

  it('round-trips every valid key: parse → parse is the same key, whatever the hex case', () => {
    checkProperty(
      fc.property(validPubkey, (key) => {
        const parsed = parseNodePubkey(key);
        expect(parsed).toBe(key);
        expect(parseNodePubkey(parsed)).toBe(parsed);
        expect(parseNodePubkey(key.toUpperCase())).toBe(parsed);
      }),
      1_000,
    );
  });

  it('throws only ValidationError, naming the field, with a bounded message, on any input', () => {
    checkProperty(
      fc.property(
        fc.oneof(
          hostileUnknown(),
          hostileString({ maxLength: 70 }),
          // Valid keys with one char changed, added or removed, or padded with white space.
          fc
            .tuple(
              fc.constantFrom(...KNOWN_KEYS),
              fc.nat(66),
              hostileString({ maxLength: 2 }),
              fc.nat(2),
            )
            .map(([key, at, text, cut]) => `${key.slice(0, at)}${text}${key.slice(at + cut)}`),
          fc.string({ unit: 'binary', minLength: 66, maxLength: 66 }),
          fc.nat(20_000).map((length) => 'a'.repeat(length)),
        ),
        (raw) => {
          const result = outcome(() => parseNodePubkey(raw, 'recipientPubkey'), [ValidationError]);
          if (result.ok) {
            expect(isCompressedPoint(result.value)).toBe(true);
            expect(typeof raw === 'string' && raw.toLowerCase()).toBe(result.value);
            return;
          }
          expect((result.error as ValidationError).field).toBe('recipientPubkey');
          expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
        },
      ),
      2_000,
    );
  });
});
