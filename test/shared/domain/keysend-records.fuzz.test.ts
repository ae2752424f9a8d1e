import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Preimage } from '../../../shared/domain/brands.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  bigSizeLength,
  buildKeysendRecords,
  encodedRecordsSize,
  KEYSEND_RECORD_TYPE,
  MAX_RECORD_TYPE,
  MIN_CUSTOM_RECORD_TYPE,
  type TlvRecord,
  toLightningMessages,
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

/** Decodes a TLV stream as a reader must (BOLT 1): canonical BigSize, strictly increasing types. */
const decodeTlvStream = (bytes: Uint8Array): TlvRecord[] => {
  let at = 0;
  const bigSize = (): bigint => {
    const first = bytes[at++];
    if (first === undefined) throw new Error('truncated BigSize');
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : first === 0xff ? 8 : 0;
    if (width === 0) return BigInt(first);
    let value = 0n;
    for (let index = 0; index < width; index++) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated BigSize');
      value = (value << 8n) | BigInt(byte);
    }
    if (value < (width === 2 ? 0xfdn : width === 4 ? 0x10000n : 0x100000000n)) {
      throw new Error('non-canonical BigSize');
    }
    return value;
  };
  const records: TlvRecord[] = [];
  while (at < bytes.length) {
    const type = bigSize();
    const length = Number(bigSize());
    if (at + length > bytes.length) throw new Error('truncated value');
    const last = records.at(-1);
    if (last && last.type >= type) throw new Error('types not strictly increasing');
    records.push({ type, value: bytes.slice(at, at + length) });
    at += length;
  }
  return records;
};

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

/** Records in a form `toEqual` compares quickly (64 KiB values element by element are slow). */
const comparable = (records: readonly TlvRecord[]) =>
  records.map(({ type, value }) => ({ type, value: Buffer.from(value).toString('hex') }));

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

describe('buildKeysendRecords, fuzzed', () => {
  const preimage = fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
  const records = fc.array(
    fc.record({
      type: fc.oneof({ weight: 3, arbitrary: customType }, { weight: 1, arbitrary: recordType }),
      value: recordValue,
    }),
    { maxLength: 5 },
  );
  // Duplicates, which a TLV stream cannot carry.
  const withDuplicate = records
    .filter((list) => list.length > 0)
    .chain((list) =>
      fc
        .tuple(fc.nat(list.length - 1), fc.uint8Array({ maxLength: 8 }))
        .map(([index, value]) => [...list, { type: list[index]?.type ?? 0n, value }]),
    );

  it('throws only ValidationError; what it returns is a valid, sorted TLV stream of the input', () => {
    checkProperty(
      fc.property(preimage, fc.oneof(records, withDuplicate), (secret, custom) => {
        const result = outcome(
          () => buildKeysendRecords({ preimage: secret as Preimage, records: custom }),
          [ValidationError],
        );
        const types = custom.map(({ type }) => type);
        const valid =
          secret.length === 32 &&
          types.every(isCustomType) &&
          new Set(types.map(String)).size === types.length;
        expect(result.ok).toBe(valid);
        if (!result.ok) {
          expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          return;
        }
        const built = result.value;
        expect(built).toHaveLength(custom.length + 1);
        expect(built.find(({ type }) => type === KEYSEND_RECORD_TYPE)?.value).toEqual(secret);
        // Encodes and decodes as one stream (strictly increasing types), to the same records.
        const stream = encodeTlvStream(built);
        expect(stream.length).toBe(encodedRecordsSize(built));
        expect(comparable(decodeTlvStream(stream))).toEqual(comparable(built));
        // The `lightning` form carries the same records: decimal type, hex value.
        expect(
          toLightningMessages(built).map(({ type, value }) => ({ type: BigInt(type), value })),
        ).toEqual(comparable(built));
      }),
      2_000,
    );
  });
});
