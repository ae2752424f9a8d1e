import { describe, expect, it } from 'vitest';
import type { NodePubkey, PlatformId, TipId } from '../../../shared/domain/brands.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  encodedRecordsSize,
  MIN_CUSTOM_RECORD_TYPE,
  TIPSTREAM_RECORD_TYPE,
  validateCustomRecordType,
} from '../../../shared/domain/keysend-records.js';
import {
  encodeTipstreamRecord,
  parseTipstreamRecord,
  TIPSTREAM_RECORD_VERSION,
  tipstreamRecordValueBytes,
} from '../../../shared/domain/tipstream-record.js';
import { G, thrown } from './helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fields = {
  operator: G as NodePubkey,
  platformId: 'streamco' as PlatformId,
  tipId: 'streamco:tip-9' as TipId,
};
const recordBytes = (parts: Array<number[] | string>) =>
  Uint8Array.from(
    parts.flatMap((part) =>
      typeof part === 'string'
        ? [...Buffer.from(part, part.length === 66 ? 'hex' : 'latin1')]
        : part,
    ),
  );

describe('TIPSTREAM_RECORD_TYPE', () => {
  it('is odd, a custom record type LND sends, and "TIPS" in ASCII', () => {
    expect(TIPSTREAM_RECORD_TYPE % 2n).toBe(1n);
    expect(TIPSTREAM_RECORD_TYPE >= MIN_CUSTOM_RECORD_TYPE).toBe(true);
    expect(Buffer.from(TIPSTREAM_RECORD_TYPE.toString(16), 'hex').toString('latin1')).toBe('TIPS');
  });

  it('cannot be sent as a platform customRecord: the payer writes it', () => {
    const error = thrown(() => validateCustomRecordType(TIPSTREAM_RECORD_TYPE));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/is the Tipstream record/);
  });
});

describe('encodeTipstreamRecord', () => {
  it('lays out version, operator, platform id length, platform id, tip id', () => {
    const record = encodeTipstreamRecord(fields);
    expect(record.type).toBe(TIPSTREAM_RECORD_TYPE);
    expect(hex(record.value)).toBe(
      `01${G}08${Buffer.from('streamco').toString('hex')}${Buffer.from('streamco:tip-9').toString('hex')}`,
    );
    expect(record.value.length).toBe(tipstreamRecordValueBytes('streamco', 'streamco:tip-9'));
  });

  it('round-trips through parseTipstreamRecord', () => {
    expect(parseTipstreamRecord(encodeTipstreamRecord(fields).value)).toEqual({
      version: TIPSTREAM_RECORD_VERSION,
      ...fields,
    });
  });

  it('takes at most 354 bytes of value (390 of onion with its type and length) for the longest ids', () => {
    const record = encodeTipstreamRecord({
      operator: G as NodePubkey,
      platformId: 'p'.repeat(64) as PlatformId,
      tipId: 't'.repeat(255) as TipId,
    });
    expect(record.value.length).toBe(354);
    expect(encodedRecordsSize([record])).toBe(5 + 3 + 354);
  });

  it.each([
    {
      description: 'an operator that is not a node pubkey',
      args: { operator: 'ab' },
      field: 'operator',
    },
    { description: 'a platform id with a space', args: { platformId: 'a b' }, field: 'platformId' },
    { description: 'an empty tip id', args: { tipId: '' }, field: 'tipId' },
  ])('refuses $description', ({ args, field }) => {
    const error = thrown(() => encodeTipstreamRecord({ ...fields, ...args } as typeof fields));
    expect(error).toMatchObject({ field });
  });
});

describe('parseTipstreamRecord', () => {
  it.each([
    { description: 'an empty value', args: new Uint8Array(), error: /is empty/ },
    {
      description: 'version 2',
      args: recordBytes([[2], G, [1], 'p', 't']),
      error: /version 2; this code understands version 1/,
    },
    { description: 'version 0', args: recordBytes([[0], G, [1], 'p', 't']), error: /version 0/ },
    {
      description: 'a cut-off operator key',
      args: recordBytes([[1], [...Buffer.from(G.slice(0, 40), 'hex')]]),
      error: /shorter than the 37/,
    },
    {
      description: 'an operator that is not on the curve',
      args: recordBytes([[1], `02${'00'.repeat(32)}`, [1], 'p', 't']),
      error: /invalid operator/,
    },
    {
      description: 'an uncompressed-prefix operator',
      args: recordBytes([[1], `04${G.slice(2)}`, [1], 'p', 't']),
      error: /invalid operator/,
    },
    {
      description: 'a zero platform id length',
      args: recordBytes([[1], G, [0], 'pt']),
      error: /platform id is 0 bytes/,
    },
    {
      description: 'a platform id length past the end',
      args: recordBytes([[1], G, [9], 'pt']),
      error: /leaving no room for a tip id/,
    },
    {
      description: 'a platform id taking every byte',
      args: recordBytes([[1], G, [2], 'pt']),
      error: /leaving no room for a tip id/,
    },
    {
      description: 'a platform id with a colon',
      args: recordBytes([[1], G, [3], 'a:b', 't']),
      error: /invalid platform id/,
    },
    {
      description: 'a tip id with a space',
      args: recordBytes([[1], G, [1], 'p', 't t']),
      error: /not printable ASCII/,
    },
    {
      description: 'a tip id with UTF-8',
      args: recordBytes([[1], G, [1], 'p', [0xc3, 0xa9]]),
      error: /not printable ASCII/,
    },
    {
      description: 'a tip id of 256 chars',
      args: recordBytes([[1], G, [1], 'p', 't'.repeat(256)]),
      error: /invalid tip id/,
    },
  ])('rejects $description', ({ args, error }) => {
    const e = thrown(() => parseTipstreamRecord(args));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e).toMatchObject({ field: 'tipstreamRecord' });
    expect(e.message).toMatch(/^Tipstream record /);
    expect(e.message).toMatch(error);
  });
});
