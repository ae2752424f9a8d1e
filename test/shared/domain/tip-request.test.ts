import { describe, expect, it } from 'vitest';
import { TipValidationError } from '../../../shared/domain/errors.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  KEYSEND_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
} from '../../../shared/domain/keysend-records.js';
import { signBoost, verifyBoostSignature } from '../../../shared/domain/nostr-boost.js';
import {
  parseTipRequest,
  type Tip,
  type TipPolicy,
  tipFingerprint,
} from '../../../shared/domain/tip-request.js';
import { G, pubkeyHex } from './helpers.js';

const policy: TipPolicy = {
  maxMsat: 1_000_000_000n,
  allowMsat: false,
  customRecordsBudgetBytes: 600,
};
const base = {
  version: 1,
  tipId: 'stream.example:tip-1',
  platformId: 'stream.example',
  recipientPubkey: G,
  amountMsat: 21_000,
};
const without = (key: keyof typeof base) => {
  const { [key]: _dropped, ...rest } = base;
  return rest;
};
const utf8 = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Parses and returns the tip, failing the test with the validation message otherwise. */
const parseOk = (raw: unknown, withPolicy = policy): Tip => {
  const result = parseTipRequest(raw, withPolicy);
  if (!result.ok) throw result.error;
  return result.tip;
};

describe('parseTipRequest rejects', () => {
  it.each([
    // The message as a whole.
    {
      description: 'text that is not JSON',
      args: '{"version":1,',
      field: 'body',
      error: /^tip request is not valid JSON \(.+\): send one JSON object per message$/,
    },
    { description: 'an empty body', args: '', field: 'body', error: /is not valid JSON/ },
    {
      description: 'a JSON array',
      args: '[]',
      field: 'body',
      error: /must be a JSON object, got an array/,
    },
    {
      description: 'JSON null',
      args: 'null',
      field: 'body',
      error: /must be a JSON object, got null/,
    },
    {
      description: 'a JSON number',
      args: '42',
      field: 'body',
      error: /must be a JSON object, got number 42/,
    },
    {
      description: 'undefined',
      args: undefined,
      field: 'body',
      error: /must be a JSON object, got undefined$/,
    },
    // version
    {
      description: 'a missing version',
      args: without('version'),
      field: 'version',
      error: /^version is required: this payer understands version 1$/,
    },
    {
      description: 'version 2',
      args: { ...base, version: 2 },
      field: 'version',
      error: /^schema version 2 is not supported; this payer understands version 1$/,
    },
    {
      description: 'version "1" as a string',
      args: { ...base, version: '1' },
      field: 'version',
      error: /schema version "1" is not supported/,
    },
    // unknown fields
    {
      description: 'an unknown field',
      args: { ...base, amount: 21 },
      field: 'amount',
      error:
        /^unknown field "amount": remove it \(version 1 accepts version, tipId, platformId, recipientPubkey, recipientAddress, amountMsat, message, boostagram, customRecord, batchId, splitOf, senderName, authentication, method\)$/,
    },
    {
      description: 'a misspelled field',
      args: { ...base, tipID: 'x' },
      field: 'tipID',
      error: /unknown field "tipID"/,
    },
    // tipId
    {
      description: 'a missing tipId',
      args: without('tipId'),
      field: 'tipId',
      error: /^tipId is required$/,
    },
    {
      description: 'an empty tipId',
      args: { ...base, tipId: '' },
      field: 'tipId',
      error:
        /^tipId must be 1 to 255 characters of A-Z a-z 0-9 \. _ : @ - \(it is the idempotency key\)$/,
    },
    {
      description: 'a tipId of 256 chars',
      args: { ...base, tipId: 'x'.repeat(256) },
      field: 'tipId',
      error: /tipId must be 1 to 255 characters/,
    },
    {
      description: 'a tipId with a space',
      args: { ...base, tipId: 'tip 1' },
      field: 'tipId',
      error: /tipId must be 1 to 255/,
    },
    {
      description: 'a tipId with a slash',
      args: { ...base, tipId: 'tip/1' },
      field: 'tipId',
      error: /tipId must be 1 to 255/,
    },
    {
      description: 'a tipId with non-ASCII letters',
      args: { ...base, tipId: 'tïp' },
      field: 'tipId',
      error: /tipId must be 1 to 255/,
    },
    {
      description: 'a numeric tipId',
      args: { ...base, tipId: 5 },
      field: 'tipId',
      error: /tipId must be a string of .+, got number 5$/,
    },
    // platformId
    {
      description: 'a missing platformId',
      args: without('platformId'),
      field: 'platformId',
      error: /^platformId is required$/,
    },
    {
      description: 'a platformId with a colon',
      args: { ...base, platformId: 'a:b' },
      field: 'platformId',
      error: /^platformId must be 1 to 64 characters of A-Z a-z 0-9 \. _ -$/,
    },
    {
      description: 'a platformId of 65 chars',
      args: { ...base, platformId: 'p'.repeat(65) },
      field: 'platformId',
      error: /platformId must be 1 to 64/,
    },
    // recipientPubkey
    {
      description: 'a missing recipientPubkey',
      args: without('recipientPubkey'),
      field: 'recipientPubkey',
      error: /^recipientPubkey is required \(or recipientAddress, a Lightning Address\)$/,
    },
    {
      description: 'both recipientPubkey and recipientAddress',
      args: { ...base, recipientAddress: 'carol@wallet.example' },
      field: 'recipientAddress',
      error: /^recipientAddress and recipientPubkey are both set: send one of them$/,
    },
    {
      description: 'a recipientAddress without a domain',
      args: { ...without('recipientPubkey'), recipientAddress: 'carol@' },
      field: 'recipientAddress',
      error: /^recipientAddress "carol@" has no valid domain after "@"/,
    },
    {
      description: 'a recipientAddress with a space in its name',
      args: { ...without('recipientPubkey'), recipientAddress: 'car ol@wallet.example' },
      field: 'recipientAddress',
      error: /has a name part that LUD-16 does not allow/,
    },
    {
      description: 'a numeric recipientAddress',
      args: { ...without('recipientPubkey'), recipientAddress: 42 },
      field: 'recipientAddress',
      error:
        /^recipientAddress must be a Lightning Address \(name@domain\) as a string, got number 42$/,
    },
    {
      description: 'a recipientAddress with method amp',
      args: {
        ...without('recipientPubkey'),
        recipientAddress: 'carol@wallet.example',
        method: 'amp',
      },
      field: 'method',
      error:
        /^method amp needs recipientPubkey: a Lightning Address is paid by keysend details or an LNURL-pay invoice/,
    },
    {
      description: 'a recipientAddress with a shared-secret tip',
      args: {
        ...without('recipientPubkey'),
        recipientAddress: 'carol@wallet.example',
        authentication: 'shared-secret',
      },
      field: 'authentication',
      error: /^authentication "shared-secret" needs recipientPubkey/,
    },
    {
      description: 'a numeric recipientPubkey',
      args: { ...base, recipientPubkey: 2 },
      field: 'recipientPubkey',
      error: /recipientPubkey must be the node's public key as 66 hex chars, got number 2/,
    },
    {
      description: 'an off-curve recipientPubkey',
      args: { ...base, recipientPubkey: `02${'5'.padStart(64, '0')}` },
      field: 'recipientPubkey',
      error:
        /^recipientPubkey 020+5 is not a point on secp256k1: check it is the node's 33-byte compressed public key/,
    },
    {
      description: 'an uncompressed-prefix recipientPubkey',
      args: { ...base, recipientPubkey: `04${G.slice(2)}` },
      field: 'recipientPubkey',
      error: /starts with 04, not 02 or 03/,
    },
    {
      description: 'a short recipientPubkey',
      args: { ...base, recipientPubkey: G.slice(0, 64) },
      field: 'recipientPubkey',
      error: /is 64 chars, not 66/,
    },
    // amountMsat
    {
      description: 'a missing amountMsat',
      args: without('amountMsat'),
      field: 'amountMsat',
      error: /^amountMsat is required$/,
    },
    {
      description: 'a boolean amountMsat',
      args: { ...base, amountMsat: true },
      field: 'amountMsat',
      error:
        /^amountMsat must be a number or a decimal string of msat, e\.g\. 21000 or "21000", got boolean true$/,
    },
    {
      description: 'a zero amountMsat',
      args: { ...base, amountMsat: 0 },
      field: 'amountMsat',
      error: /amountMsat is 0/,
    },
    {
      description: 'a negative amountMsat',
      args: { ...base, amountMsat: '-21000' },
      field: 'amountMsat',
      error: /is negative/,
    },
    {
      description: 'an amountMsat above the maximum',
      args: { ...base, amountMsat: '1000001000' },
      field: 'amountMsat',
      error: /above the per-tip maximum of 1000000000 msat/,
    },
    {
      description: 'an amountMsat that is not whole sats',
      args: { ...base, amountMsat: 21_500 },
      field: 'amountMsat',
      error: /must be a whole number of sats \(a multiple of 1000 msat\)/,
    },
    {
      description: 'a decimal-point amountMsat',
      args: { ...base, amountMsat: '21000.5' },
      field: 'amountMsat',
      error: /is not a decimal integer/,
    },
    {
      description: 'an unsafe-integer amountMsat',
      args: { ...base, amountMsat: 2 ** 60 },
      field: 'amountMsat',
      error: /send it as a decimal string/,
    },
    // message
    {
      description: 'a null message',
      args: { ...base, message: null },
      field: 'message',
      error: /^message must be a string, got null$/,
    },
    {
      description: 'a message over 500 UTF-8 bytes',
      args: { ...base, message: '⚡'.repeat(167) },
      field: 'message',
      error: /^message is 501 bytes of UTF-8, over the 500-byte limit: shorten it by 1 bytes$/,
    },
    // boostagram
    {
      description: 'a boostagram that is a string',
      args: { ...base, boostagram: '{"action":"boost"}' },
      field: 'boostagram',
      error: /^boostagram must be an object, got the string "\{\\"action/,
    },
    {
      description: 'a boostagram without action',
      args: { ...base, boostagram: { message: 'hi' } },
      field: 'boostagram.action',
      error: /^boostagram\.action is required$/,
    },
    {
      description: 'a boostagram with an unknown action',
      args: { ...base, boostagram: { action: 'tip' } },
      field: 'boostagram.action',
      error: /^boostagram\.action must be "boost", "stream" or "auto"$/,
    },
    {
      description: 'a boostagram with an unknown field',
      args: { ...base, boostagram: { action: 'boost', remote_feed_guid: 'x' } },
      field: 'boostagram.remote_feed_guid',
      error:
        /^unknown field "boostagram\.remote_feed_guid": remove it \(version 1 accepts action, app_name/,
    },
    {
      description: 'a boostagram with a negative ts',
      args: { ...base, boostagram: { action: 'stream', ts: -1 } },
      field: 'boostagram.ts',
      error: /^boostagram\.ts must not be negative$/,
    },
    {
      description: 'a boostagram with a fractional ts',
      args: { ...base, boostagram: { action: 'stream', ts: 1.5 } },
      field: 'boostagram.ts',
      error: /^boostagram\.ts must be a whole number, got number 1\.5$/,
    },
    {
      description: 'a boostagram with a string value_msat_total',
      args: { ...base, boostagram: { action: 'boost', value_msat_total: '1000' } },
      field: 'boostagram.value_msat_total',
      error: /boostagram\.value_msat_total must be a number, got the string "1000"/,
    },
    {
      description: 'a boostagram with a numeric app_name',
      args: { ...base, boostagram: { action: 'boost', app_name: 1 } },
      field: 'boostagram.app_name',
      error: /boostagram\.app_name must be a string, got number 1/,
    },
    // customRecord
    {
      description: 'a customRecord without value',
      args: { ...base, customRecord: { type: '696969' } },
      field: 'customRecord.value',
      error: /^customRecord\.value is required$/,
    },
    {
      description: 'a customRecord with a numeric type',
      args: { ...base, customRecord: { type: 696969, value: 'x' } },
      field: 'customRecord.type',
      error: /customRecord\.type must be a string of digits, e\.g\. "696969", got number 696969/,
    },
    {
      description: 'a customRecord with a non-digit type',
      args: { ...base, customRecord: { type: '0x1', value: 'x' } },
      field: 'customRecord.type',
      error: /customRecord\.type must be a string of digits/,
    },
    {
      description: 'a customRecord type below 65536',
      args: { ...base, customRecord: { type: '1000', value: 'x' } },
      field: 'customRecord.type',
      error:
        /customRecord\.type 1000 is below 65536: LND only sends custom records of type 65536 or above/,
    },
    {
      description: 'a customRecord of the keysend type',
      args: { ...base, customRecord: { type: KEYSEND_RECORD_TYPE.toString(), value: 'x' } },
      field: 'customRecord.type',
      error: /is the keysend preimage record: Tipstream sets it/,
    },
    {
      description: 'a customRecord type beyond u64',
      args: { ...base, customRecord: { type: (2n ** 64n).toString(), value: 'x' } },
      field: 'customRecord.type',
      error: /above 2\^64-1/,
    },
    {
      description: 'a customRecord on the boostagram type',
      args: {
        ...base,
        boostagram: { action: 'boost' },
        customRecord: { type: '7629169', value: 'x' },
      },
      field: 'customRecord.type',
      error:
        /^customRecord\.type 7629169 is the record boostagram is sent in: use another type or drop boostagram$/,
    },
    {
      description: 'a customRecord on the message type',
      args: { ...base, message: 'hi', customRecord: { type: '34349334', value: 'x' } },
      field: 'customRecord.type',
      error: /is the record message is sent in/,
    },
    {
      description: 'a customRecord with an unknown field',
      args: { ...base, customRecord: { type: '696969', value: 'x', key: 'y' } },
      field: 'customRecord.key',
      error: /^unknown field "customRecord\.key": remove it \(version 1 accepts type, value\)$/,
    },
    // batchId and splitOf
    {
      description: 'a batchId with a space',
      args: { ...base, batchId: 'batch 1' },
      field: 'batchId',
      error: /^batchId must be 1 to 255 characters/,
    },
    {
      description: 'a splitOf index equal to count',
      args: { ...base, splitOf: { splitId: 's', index: 3, count: 3 } },
      field: 'splitOf.index',
      error: /^splitOf\.index 3 is out of range for splitOf\.count 3: index counts from 0$/,
    },
    {
      description: 'a negative splitOf index',
      args: { ...base, splitOf: { splitId: 's', index: -1, count: 3 } },
      field: 'splitOf.index',
      error: /^splitOf\.index must not be negative$/,
    },
    {
      description: 'a splitOf count of 0',
      args: { ...base, splitOf: { splitId: 's', index: 0, count: 0 } },
      field: 'splitOf.count',
      error: /^splitOf\.count must be at least 1$/,
    },
    {
      description: 'a splitOf without splitId',
      args: { ...base, splitOf: { index: 0, count: 1 } },
      field: 'splitOf.splitId',
      error: /^splitOf\.splitId is required$/,
    },
    {
      description: 'a splitOf with an unknown field',
      args: { ...base, splitOf: { splitId: 's', index: 0, count: 1, total: 2 } },
      field: 'splitOf.total',
      error: /unknown field "splitOf\.total"/,
    },
    // senderName
    {
      description: 'an empty senderName',
      args: { ...base, senderName: '' },
      field: 'senderName',
      error: /^senderName must not be empty: omit it instead$/,
    },
    {
      description: 'a senderName of 65 chars',
      args: { ...base, senderName: 'n'.repeat(65) },
      field: 'senderName',
      error: /^senderName must be at most 64 characters$/,
    },
    {
      description: 'a senderName contradicting the boostagram',
      args: { ...base, senderName: 'alice', boostagram: { action: 'boost', sender_name: 'bob' } },
      field: 'senderName',
      error: /^senderName "alice" differs from boostagram\.sender_name "bob": send one of them$/,
    },
    // record budget
    {
      description: 'records over the budget',
      args: {
        ...base,
        message: 'y'.repeat(300),
        boostagram: { action: 'boost', message: 'x'.repeat(400) },
      },
      field: 'boostagram',
      error:
        /^custom records take 747 bytes of the onion, 147 over the 600-byte budget: shorten boostagram \(439 bytes\), message \(308 bytes\)$/,
    },
    {
      description: 'a customRecord one byte over the budget',
      args: { ...base, customRecord: { type: '696969', value: 'a'.repeat(593) } },
      field: 'customRecord',
      error:
        /^custom records take 601 bytes of the onion, 1 over the 600-byte budget: shorten customRecord \(601 bytes\)$/,
    },
  ])('$description', ({ args, field, error }) => {
    const result = parseTipRequest(args, policy);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(TipValidationError);
    expect(result.error.name).toBe('TipValidationError');
    expect(result.error.field).toBe(field);
    expect(result.error.message).toMatch(error);
  });

  it('uses the policy budget', () => {
    const result = parseTipRequest(
      { ...base, message: 'hello' },
      { ...policy, customRecordsBudgetBytes: 10 },
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        field: 'message',
        message:
          'custom records take 11 bytes of the onion, 1 over the 10-byte budget: shorten message (11 bytes)',
      },
    });
  });

  it.each([
    { description: 'a function', args: () => 1 },
    { description: 'a symbol', args: Symbol('x') },
    { description: 'a bigint', args: 1n },
    { description: 'an object with a throwing getter-free prototype', args: Object.create(null) },
    {
      description: 'a deeply wrong object',
      args: { version: 1, boostagram: [1, 2], splitOf: 'x' },
    },
  ])('never throws, even for $description', ({ args }) => {
    expect(parseTipRequest(args, policy).ok).toBe(false);
  });
});

describe('parseTipRequest accepts', () => {
  it('a minimal request, with no records', () => {
    expect(parseOk(base)).toEqual({
      tipId: 'stream.example:tip-1',
      platformId: 'stream.example',
      recipient: G,
      amountMsat: 21_000n,
      records: [],
    });
  });

  it('the same request as JSON text', () => {
    expect(parseOk(JSON.stringify(base))).toEqual(parseOk(base));
  });

  it.each([
    {
      description: 'a decimal string amount',
      args: { ...base, amountMsat: '21000' },
      expected: 21_000n,
    },
    {
      description: 'a string amount beyond 2^53',
      args: { ...base, amountMsat: '9007199254740993000' },
      expected: 9007199254740993000n,
      withPolicy: { ...policy, maxMsat: 10n ** 20n },
    },
    {
      description: 'msat when the policy allows them',
      args: { ...base, amountMsat: 1 },
      expected: 1n,
      withPolicy: { ...policy, allowMsat: true },
    },
  ])('$description', ({ args, expected, withPolicy }) => {
    expect(parseOk(args, withPolicy).amountMsat).toBe(expected);
  });

  it('a mixed-case pubkey, lowercased', () => {
    expect(parseOk({ ...base, recipientPubkey: G.toUpperCase() }).recipient).toBe(G);
  });

  it('a message of exactly 500 UTF-8 bytes', () => {
    expect(
      decode(
        parseOk({ ...base, message: `${'⚡'.repeat(166)}ab` }).records[0]?.value ??
          new Uint8Array(),
      ),
    ).toHaveLength(168);
  });

  it('custom records exactly at the budget', () => {
    expect(
      parseOk({ ...base, customRecord: { type: '696969', value: 'a'.repeat(592) } }).records,
    ).toHaveLength(1);
  });

  it('every optional field, turned into records ordered by type', () => {
    const request = {
      ...base,
      message: 'great stream ⚡',
      boostagram: {
        value_msat_total: 100_000,
        action: 'boost',
        app_name: 'Fountain',
        feedID: 920666,
        ts: 33,
      },
      customRecord: { type: '696969', value: 'wallet-7' },
      batchId: 'batch-2026-01',
      splitOf: { splitId: 'split-1', index: 0, count: 2 },
      senderName: 'satoshi',
    } as const;
    const tip = parseOk(request);
    expect(tip).toMatchObject({
      message: request.message,
      boostagram: request.boostagram,
      customRecord: request.customRecord,
      batchId: request.batchId,
      splitOf: request.splitOf,
      senderName: request.senderName,
    });
    expect(tip.records.map(({ type, value }) => [type, decode(value)])).toEqual([
      [696969n, 'wallet-7'],
      // Canonical JSON: sorted keys, sender_name filled in from senderName.
      [
        BOOSTAGRAM_RECORD_TYPE,
        '{"action":"boost","app_name":"Fountain","feedID":920666,"sender_name":"satoshi","ts":33,"value_msat_total":100000}',
      ],
      [TEXT_MESSAGE_RECORD_TYPE, 'great stream ⚡'],
    ]);
  });

  it('a senderName equal to boostagram.sender_name', () => {
    const tip = parseOk({
      ...base,
      senderName: 'bob',
      boostagram: { action: 'boost', sender_name: 'bob' },
    });
    expect(JSON.parse(decode(tip.records[0]?.value ?? utf8('{}')))).toEqual({
      action: 'boost',
      sender_name: 'bob',
    });
  });

  it('a senderName without a boostagram, which adds no record', () => {
    const tip = parseOk({ ...base, senderName: 'bob' });
    expect(tip.records).toEqual([]);
    expect(tip.senderName).toBe('bob');
  });

  it('no empty record values: LND cannot carry an empty TLV value', () => {
    for (const body of [
      { ...base, customRecord: { type: '65536', value: '' } },
      { ...base, message: '' },
    ]) {
      const result = parseTipRequest(body, policy);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.error.message).toMatch(/must not be empty: omit it instead/);
    }
  });
});

describe('tipFingerprint', () => {
  const full = {
    ...base,
    message: 'hi',
    boostagram: { action: 'boost', app_name: 'Fountain', message: 'yo' },
    customRecord: { type: '696969', value: 'wallet-7' },
    batchId: 'b-1',
    splitOf: { splitId: 's-1', index: 1, count: 2 },
  };
  const fingerprint = (raw: unknown) => tipFingerprint(parseOk(raw));

  it('is 64 hex chars', () => {
    expect(fingerprint(full)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order, amount encoding or JSON formatting', () => {
    const reordered = {
      splitOf: { count: 2, index: 1, splitId: 's-1' },
      batchId: 'b-1',
      customRecord: { value: 'wallet-7', type: '696969' },
      boostagram: { message: 'yo', app_name: 'Fountain', action: 'boost' },
      message: 'hi',
      amountMsat: '21000',
      recipientPubkey: G.toUpperCase(),
      platformId: base.platformId,
      tipId: base.tipId,
      version: 1,
    };
    expect(fingerprint(reordered)).toBe(fingerprint(full));
    expect(fingerprint(JSON.stringify(reordered, null, 2))).toBe(fingerprint(full));
  });

  it('ignores the tipId, which is the key it is compared under', () => {
    expect(fingerprint({ ...full, tipId: 'other' })).toBe(fingerprint(full));
  });

  it.each([
    { description: 'recipient', args: { ...full, recipientPubkey: pubkeyHex(2) } },
    { description: 'amount', args: { ...full, amountMsat: 22_000 } },
    { description: 'platform', args: { ...full, platformId: 'other' } },
    { description: 'message', args: { ...full, message: 'hi!' } },
    {
      description: 'boostagram',
      args: { ...full, boostagram: { ...full.boostagram, message: 'yo!' } },
    },
    {
      description: 'customRecord value',
      args: { ...full, customRecord: { type: '696969', value: 'wallet-8' } },
    },
    {
      description: 'customRecord type',
      args: { ...full, customRecord: { type: '696970', value: 'wallet-7' } },
    },
    { description: 'batch', args: { ...full, batchId: 'b-2' } },
    { description: 'no batch', args: { ...full, batchId: undefined } },
    { description: 'split index', args: { ...full, splitOf: { ...full.splitOf, index: 0 } } },
    { description: 'sender name (through the boostagram)', args: { ...full, senderName: 'alice' } },
  ])('changes with the $description', ({ args }) => {
    expect(fingerprint(args)).not.toBe(fingerprint(full));
  });
});

describe('parseTipRequest: authentication and signed boostagrams', () => {
  const base = {
    version: 1,
    tipId: 'streamco:t-1',
    platformId: 'streamco',
    recipientPubkey: '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
    amountMsat: 21_000,
  };
  const policy = { maxMsat: 10n ** 9n, allowMsat: false, customRecordsBudgetBytes: 600 };
  const signed = signBoost({ action: 'boost', message: 'gm' }, new Uint8Array(32).fill(0x44));

  it('marks a shared-secret tip and fingerprints it apart from the same tip without', () => {
    const plain = parseTipRequest(base, policy);
    const ecdh = parseTipRequest({ ...base, authentication: 'shared-secret' }, policy);
    const none = parseTipRequest({ ...base, authentication: 'none' }, policy);
    if (!plain.ok || !ecdh.ok || !none.ok) throw new Error('expected tips');
    expect(ecdh.tip.authentication).toBe('shared-secret');
    expect(none.tip).not.toHaveProperty('authentication');
    expect(tipFingerprint(ecdh.tip)).not.toBe(tipFingerprint(plain.tip));
    expect(tipFingerprint(none.tip)).toBe(tipFingerprint(plain.tip));
  });

  it("reserves the Tipstream record's bytes in the budget", () => {
    const message = 'm'.repeat(500);
    const tight = { ...policy, customRecordsBudgetBytes: 560 };
    // 500 bytes of message take 508 of the onion; the record for these ids 35 + 8 + 12 + 6.
    expect(parseTipRequest({ ...base, message }, tight).ok).toBe(true);
    const refused = parseTipRequest({ ...base, message, authentication: 'shared-secret' }, tight);
    expect(refused).toMatchObject({ ok: false });
    expect(!refused.ok && refused.error.message).toMatch(
      /9 over the 560-byte budget: shorten message \(508 bytes\), authentication \(61 bytes\)/,
    );
  });

  it.each([
    {
      description: 'an unknown authentication',
      args: { authentication: 'ecdh' },
      field: 'authentication',
      error: /must be "shared-secret" or "none"/,
    },
    {
      description: 'a bad signature',
      args: { boostagram: { ...signed, message: 'x' } },
      field: 'boostagram.signature',
      error: /does not verify/,
    },
    {
      description: 'a senderName added to a signed boostagram',
      args: { boostagram: signed, senderName: 'sat' },
      field: 'senderName',
      error: /cannot be added to a signed boostagram/,
    },
  ])('refuses $description', ({ args, field, error }) => {
    const result = parseTipRequest({ ...base, ...args }, policy);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.field).toBe(field);
      expect(result.error.message).toMatch(error);
    }
  });

  it('sends a signed boostagram byte for byte as its canonical JSON and names its Nostr sender', () => {
    const result = parseTipRequest({ ...base, boostagram: signed }, policy);
    if (!result.ok) throw result.error;
    expect(result.tip.nostrSender).toBe(signed.sender_id);
    expect(
      verifyBoostSignature(JSON.parse(new TextDecoder().decode(result.tip.records[0]?.value))),
    ).toBe(signed.sender_id);
  });
});
