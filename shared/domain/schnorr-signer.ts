import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes } from './bytes.js';
import { secp } from './secp.js';

/**
 * BIP-340 signing with one key many times (the payer signs every receipt with the operator's
 * receipt key), byte for byte what `secp.schnorr.sign` returns for the same key, message and
 * auxiliary randomness.
 *
 * noble's `schnorr.sign` derives the key's point again and verifies the new signature with a
 * general `e⋅P` multiplication each call (BIP-340: "verify the signature before returning it"),
 * ~90% of its time. Here the key's point and a fixed-window table of its multiples are computed
 * once per key, so the same self-check costs table additions: a signature that does not verify is
 * still never returned. Variable-time only in public values (`e`, `P`), as verification is.
 */

const { Point } = secp;
const { n: N } = Point.CURVE();
const { bytesToNumberBE, numberToBytesBE, mod } = secp.etc;

const tagged = (tag: string) => {
  const tagHash = sha256(utf8ToBytes(`BIP0340/${tag}`));
  return (...parts: Uint8Array[]) => sha256(concatBytes(tagHash, tagHash, ...parts));
};
const auxHash = tagged('aux');
const nonceHash = tagged('nonce');
const challengeHash = tagged('challenge');

/** 4-bit windows: 64 rows of 16 multiples, `row[i][j] = j⋅16^i⋅P`. */
const WINDOW_BITS = 4;
const WINDOWS = 256 / WINDOW_BITS;

type CurvePoint = InstanceType<typeof Point>;

const windowTable = (point: CurvePoint): CurvePoint[][] => {
  const rows: CurvePoint[][] = [];
  let base = point;
  for (let i = 0; i < WINDOWS; i += 1) {
    const row = [Point.ZERO];
    for (let j = 1; j < 1 << WINDOW_BITS; j += 1) row.push((row[j - 1] as CurvePoint).add(base));
    rows.push(row);
    for (let b = 0; b < WINDOW_BITS; b += 1) base = base.double();
  }
  return rows;
};

/** `scalar⋅P` from P's table (scalar public). */
const multiplyByTable = (rows: CurvePoint[][], scalar: bigint): CurvePoint => {
  let sum = Point.ZERO;
  let rest = scalar;
  for (let i = 0; rest > 0n; i += 1, rest >>= BigInt(WINDOW_BITS)) {
    const digit = Number(rest & 15n);
    if (digit !== 0) sum = sum.add((rows[i] as CurvePoint[])[digit] as CurvePoint);
  }
  return sum;
};

/** A BIP-340 signer for one secret key: `sign(message, auxRand?)` as `secp.schnorr.sign`. */
export const schnorrSigner = (secretKey: Uint8Array) => {
  assertBytes(secretKey, 32, 'secretKey');
  const scalar = secp.etc.secretKeyToScalar(secretKey);
  const point = Point.BASE.multiply(scalar);
  // BIP-340 keys are x-only: sign with the scalar whose point has an even y.
  const d = point.toAffine().y % 2n === 0n ? scalar : N - scalar;
  const evenPoint = point.toAffine().y % 2n === 0n ? point : point.negate();
  const px = numberToBytesBE(evenPoint.toAffine().x);
  const rows = windowTable(evenPoint);
  return {
    publicKey: px,
    sign(message: Uint8Array, auxRand: Uint8Array = randomBytes(32)): Uint8Array {
      assertBytes(auxRand, 32, 'auxRand');
      const t = numberToBytesBE(d ^ bytesToNumberBE(auxHash(auxRand)));
      const k0 = mod(bytesToNumberBE(nonceHash(t, px, message)), N);
      if (k0 === 0n) throw new Error('BIP-340 sign failed: the nonce is zero');
      const r = Point.BASE.multiply(k0).toAffine();
      const k = r.y % 2n === 0n ? k0 : N - k0;
      const rx = numberToBytesBE(r.x);
      const e = mod(bytesToNumberBE(challengeHash(rx, px, message)), N);
      const s = mod(k + e * d, N);
      // The self-check: s⋅G − e⋅P is R (the x signed, even y), or nothing is returned.
      const check = s === 0n ? Point.ZERO : Point.BASE.multiply(s);
      const back = check.subtract(multiplyByTable(rows, e));
      if (back.equals(Point.ZERO) || back.toAffine().x !== r.x || back.toAffine().y % 2n !== 0n) {
        throw new Error('BIP-340 sign failed: the signature does not verify');
      }
      return concatBytes(rx, numberToBytesBE(s));
    },
  };
};
