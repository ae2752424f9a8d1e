import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  bigSizeLength,
  DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES,
  encodedRecordsSize,
  KEYSEND_RECORD_TYPE,
  MIN_CUSTOM_RECORD_TYPE,
  PODCAST_DEFAULT_CUSTOM_KEY,
  SENDER_PUBKEY_RECORD_TYPE,
  SIGNATURE_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
  type TlvRecord,
  validateCustomRecordType,
} from '../../../shared/domain/keysend-records.js';
import { thrown } from './helpers.js';

const bytes = (length: number) => new Uint8Array(length).fill(0xab);

describe('record types', () => {
  it('are the numbers the ecosystem uses', () => {
    expect({
      KEYSEND_RECORD_TYPE,
      TEXT_MESSAGE_RECORD_TYPE,
      BOOSTAGRAM_RECORD_TYPE,
      SENDER_PUBKEY_RECORD_TYPE,
      SIGNATURE_RECORD_TYPE,
      PODCAST_DEFAULT_CUSTOM_KEY,
      MIN_CUSTOM_RECORD_TYPE,
      DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES,
    }).toEqual({
      KEYSEND_RECORD_TYPE: 5482373484n,
      TEXT_MESSAGE_RECORD_TYPE: 34349334n,
      BOOSTAGRAM_RECORD_TYPE: 7629169n,
      SENDER_PUBKEY_RECORD_TYPE: 34349339n,
      SIGNATURE_RECORD_TYPE: 34349337n,
      PODCAST_DEFAULT_CUSTOM_KEY: 696969n,
      MIN_CUSTOM_RECORD_TYPE: 65536n,
      DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES: 600,
    });
  });
});

describe('bigSizeLength (BOLT 1 BigSize)', () => {
  it.each([
    { args: 0n, expected: 1 },
    { args: 0xfcn, expected: 1 },
    { args: 0xfdn, expected: 3 },
    { args: 0xffffn, expected: 3 },
    { args: 0x10000n, expected: 5 },
    { args: 0xffffffffn, expected: 5 },
    { args: 0x100000000n, expected: 9 },
    { args: KEYSEND_RECORD_TYPE, expected: 9 },
    { args: 2n ** 64n - 1n, expected: 9 },
  ])('$args takes $expected bytes', ({ args, expected }) => {
    expect(bigSizeLength(args)).toBe(expected);
  });

  it.each([
    { description: 'negative', args: -1n },
    { description: 'beyond u64', args: 2n ** 64n },
  ])('rejects $description', ({ args }) => {
    expect(() => bigSizeLength(args)).toThrow(/BigSize encodes 0 to 2\^64-1/);
  });
});

describe('encodedRecordsSize', () => {
  it.each([
    { description: 'no records', args: [], expected: 0 },
    { description: 'empty value, small type', args: [{ type: 1n, value: bytes(0) }], expected: 2 },
    {
      description: 'keysend record: 9 + 1 + 32',
      args: [{ type: KEYSEND_RECORD_TYPE, value: bytes(32) }],
      expected: 42,
    },
    {
      description: 'boostagram of 252 bytes: 5 + 1 + 252',
      args: [{ type: BOOSTAGRAM_RECORD_TYPE, value: bytes(252) }],
      expected: 258,
    },
    {
      description: 'length 253 needs a 3-byte BigSize: 5 + 3 + 253',
      args: [{ type: TEXT_MESSAGE_RECORD_TYPE, value: bytes(253) }],
      expected: 261,
    },
    {
      description: 'several records add up',
      args: [
        { type: PODCAST_DEFAULT_CUSTOM_KEY, value: bytes(10) },
        { type: TEXT_MESSAGE_RECORD_TYPE, value: bytes(5) },
      ],
      expected: 5 + 1 + 10 + (5 + 1 + 5),
    },
  ] as { description: string; args: TlvRecord[]; expected: number }[])(
    '$description',
    ({ args, expected }) => {
      expect(encodedRecordsSize(args)).toBe(expected);
    },
  );
});

describe('validateCustomRecordType', () => {
  it.each([
    { description: 'type 0', args: 0n, error: /0 is below 65536: LND only sends custom records/ },
    { description: 'just below the custom range', args: 65535n, error: /65535 is below 65536/ },
    {
      description: 'the keysend preimage record',
      args: KEYSEND_RECORD_TYPE,
      error: /5482373484 is the keysend preimage record: Tipstream sets it/,
    },
    { description: 'beyond u64', args: 2n ** 64n, error: /above 2\^64-1/ },
  ])('rejects $description', ({ args, error }) => {
    const e = thrown(() => validateCustomRecordType(args));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e).toMatchObject({ field: 'customRecord.type' });
    expect(e.message).toMatch(error);
  });

  it.each([
    MIN_CUSTOM_RECORD_TYPE,
    PODCAST_DEFAULT_CUSTOM_KEY,
    BOOSTAGRAM_RECORD_TYPE,
    TEXT_MESSAGE_RECORD_TYPE,
    2n ** 64n - 1n,
  ])('accepts %s', (type) => {
    expect(() => validateCustomRecordType(type)).not.toThrow();
  });
});
