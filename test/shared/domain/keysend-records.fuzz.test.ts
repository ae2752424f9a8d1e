import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  bigSizeLength,
  encodedRecordsSize,
  KEYSEND_RECORD_TYPE,
  MAX_RECORD_TYPE,
  MIN_CUSTOM_RECORD_TYPE,
  type TlvRecord,
  validateCustomRecordType,
} from '../../../shared/domain/keysend-records.js';
import { checkProperty, MAX_ERROR_MESSAGE_CHARS, outcome } from '../../support/fast-check.js';

// A BOLT 1 TLV stream codec written from the spec, to check the domain's size accounting against.

/** BigSize: 1 byte below 0xfd, else a 0xfd/0xfe/0xff marker and a big-endian u16/u32/u64. */
const encodeBigSize = (n: bigint): number[] => {
  const be = (value: bigint, bytes: number) =>
    Array.from({ length: bytes }, (_, index) =>
      Number((value >> BigInt(8 * (bytes - 1 - index))) & 0xffn),
    );
  if (n < 0xfdn) return [Number(n)];
  if (n <= 0xffffn) return [0xfd, ...be(n, 2)];
  if (n <= 0xffffffffn) return [0xfe, ...be(n, 4)];
  return [0xff, ...be(n, 8)];
};

const encodeTlvStream = (records: readonly TlvRecord[]): Uint8Array =>
  Buffer.concat(
    records.flatMap(({ type, value }) => [
      Uint8Array.from(encodeBigSize(type)),
      Uint8Array.from(encodeBigSize(BigInt(value.length))),
      value,
    ]),
  );

/** Types around every boundary: BigSize widths, the custom range, keysend's own, u64's end. */
const recordType = fc.oneof(
  fc.constantFrom(
    -1n,
    0n,
    0xfcn,
    0xfdn,
    0xffffn,
    0x10000n,
    MIN_CUSTOM_RECORD_TYPE - 1n,
    MIN_CUSTOM_RECORD_TYPE,
    0xffffffffn,
    0x100000000n,
    KEYSEND_RECORD_TYPE,
    MAX_RECORD_TYPE,
    MAX_RECORD_TYPE + 1n,
    2n ** 128n,
  ),
  fc.bigInt({ min: MIN_CUSTOM_RECORD_TYPE, max: MAX_RECORD_TYPE }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);

const customType = fc.bigInt({ min: MIN_CUSTOM_RECORD_TYPE, max: MAX_RECORD_TYPE });

/** Values, with lengths around the BigSize boundaries (0xfd, 0x10000) now and then. */
const recordValue = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0xfb, max: 0x101 }).map((n) => new Uint8Array(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xfffe, max: 0x10001 }).map((n) => new Uint8Array(n)) },
);

const isCustomType = (type: bigint) =>
  type >= MIN_CUSTOM_RECORD_TYPE && type <= MAX_RECORD_TYPE && type !== KEYSEND_RECORD_TYPE;

describe('BigSize and record sizes, fuzzed', () => {
  it('bigSizeLength is the length of the BOLT 1 encoding, and refuses what is not a u64', () => {
    checkProperty(
      fc.property(recordType, (n) => {
        const result = outcome(() => bigSizeLength(n), [RangeError]);
        expect(result.ok).toBe(n >= 0n && n <= MAX_RECORD_TYPE);
        if (result.ok) expect(result.value).toBe(encodeBigSize(n).length);
      }),
      4_000,
    );
  });

  it('encodedRecordsSize is the byte length of the encoded TLV stream', () => {
    checkProperty(
      fc.property(
        fc.array(fc.record({ type: customType, value: recordValue }), { maxLength: 4 }),
        (records) => {
          expect(encodedRecordsSize(records)).toBe(encodeTlvStream(records).length);
        },
      ),
      1_000,
    );
  });
});

describe('validateCustomRecordType, fuzzed', () => {
  it('accepts exactly the u64 types from 65536 up, except the keysend record', () => {
    checkProperty(
      fc.property(recordType, (type) => {
        const result = outcome(() => validateCustomRecordType(type), [ValidationError]);
        expect(result.ok).toBe(isCustomType(type));
        if (!result.ok) {
          expect((result.error as ValidationError).field).toBe('customRecord.type');
          expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
        }
      }),
      4_000,
    );
  });
});
