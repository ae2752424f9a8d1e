import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/domain/canonical-json.js';
import { TipValidationError } from '../../../shared/domain/errors.js';
import { PLATFORM_ID_PATTERN, TIP_ID_PATTERN } from '../../../shared/domain/ids.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  encodedRecordsSize,
  KEYSEND_RECORD_TYPE,
  MAX_RECORD_TYPE,
  MIN_CUSTOM_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
} from '../../../shared/domain/keysend-records.js';
import {
  MAX_MESSAGE_BYTES,
  parseTipRequest,
  type Tip,
  type TipPolicy,
  type TipRequestResult,
  tipFingerprint,
} from '../../../shared/domain/tip-request.js';
import {
  checkProperty,
  deeplyNestedJson,
  hostileJsonValue,
  hostileString,
  hostileUnknown,
  loneSurrogate,
  MAX_ERROR_MESSAGE_CHARS,
  mutatedObject,
  numericLooking,
  PROTOTYPE_KEYS,
} from '../../support/fast-check.js';
import { G, pubkeyHex } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// The valid domain
// ---------------------------------------------------------------------------------------------

const KEYS = [G, ...Array.from({ length: 7 }, (_, index) => pubkeyHex(index + 1))];

/** Text a sender may write: any code points (never half a surrogate pair), emoji, ASCII. */
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength }),
  );

const shortText = fc.string({ unit: 'grapheme-ascii', maxLength: 12 });

const boostagramArb = fc.record(
  {
    action: fc.constantFrom('boost', 'stream', 'auto'),
    app_name: shortText,
    app_version: shortText,
    podcast: anyText(12),
    episode: anyText(12),
    feedID: fc.oneof(fc.maxSafeInteger().map(Math.abs), shortText),
    guid: shortText,
    episode_guid: shortText,
    ts: fc.integer({ min: 0, max: 2 ** 40 }),
    message: anyText(20),
    sender_name: anyText(10),
    name: shortText,
    value_msat_total: fc.maxSafeInteger().map(Math.abs),
    url: shortText,
  },
  { requiredKeys: ['action'] },
);

/** Custom record types, sometimes written with leading zeros (up to the 20 digits allowed). */
const customTypeText = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: MIN_CUSTOM_RECORD_TYPE, max: MAX_RECORD_TYPE }),
      fc.constantFrom(696969n, MIN_CUSTOM_RECORD_TYPE, MAX_RECORD_TYPE, 7629169n, 34349334n),
    ),
    fc.nat(3),
  )
  .map(([type, zeros]) => `${'0'.repeat(zeros)}${type}`.slice(-Math.max(20, String(type).length)));

/** The policy the valid requests are generated for: room for every optional record. */
const roomyPolicy = (allowMsat: boolean): TipPolicy => ({
  maxMsat: 10n ** 15n,
  allowMsat,
  customRecordsBudgetBytes: 1_300,
});

/** Requests (queue message objects) that the payer must accept under `roomyPolicy`. */
const validRequest = fc
  .record(
    {
      tipId: fc.stringMatching(TIP_ID_PATTERN),
      platformId: fc.stringMatching(PLATFORM_ID_PATTERN),
      recipientPubkey: fc.mixedCase(fc.constantFrom(...KEYS)),
      sats: fc.integer({ min: 1, max: 10 ** 12 - 1 }),
      msat: fc.integer({ min: 0, max: 999 }),
      amountAsText: fc.boolean(),
      allowMsat: fc.boolean(),
      message: anyText(60),
      boostagram: boostagramArb,
      customRecord: fc.record({ type: customTypeText, value: anyText(30) }),
      batchId: fc.stringMatching(TIP_ID_PATTERN),
      splitOf: fc
        .tuple(fc.stringMatching(TIP_ID_PATTERN), fc.integer({ min: 1, max: 1000 }), fc.nat())
        .map(([splitId, count, index]) => ({ splitId, index: index % count, count })),
      senderName: anyText(32),
    },
    {
      requiredKeys: [
        'tipId',
        'platformId',
        'recipientPubkey',
        'sats',
        'msat',
        'amountAsText',
        'allowMsat',
      ],
    },
  )
  .filter(({ customRecord, message, boostagram }) => {
    // A custom record may not take the type of a record the request also sends.
    const type = customRecord && BigInt(customRecord.type);
    return !(
      (type === TEXT_MESSAGE_RECORD_TYPE && message !== undefined) ||
      (type === BOOSTAGRAM_RECORD_TYPE && boostagram !== undefined)
    );
  })
  .map(({ sats, msat, amountAsText, allowMsat, boostagram, senderName, ...fields }) => {
    const amount = BigInt(sats) * 1000n + (allowMsat ? BigInt(msat) : 0n);
    // senderName must agree with the boostagram's sender_name when both are sent.
    const agreed =
      boostagram?.sender_name !== undefined && senderName !== undefined
        ? { ...boostagram, sender_name: senderName }
        : boostagram;
    return {
      policy: roomyPolicy(allowMsat),
      request: {
        version: 1,
        ...fields,
        amountMsat: amountAsText ? amount.toString() : Number(amount),
        ...(agreed ? { boostagram: agreed } : {}),
        ...(senderName !== undefined ? { senderName } : {}),
      } as Record<string, unknown>,
    };
  });

/** Policies from the tightest to the default. */
const policyArb: fc.Arbitrary<TipPolicy> = fc.record({
  maxMsat: fc.constantFrom(1n, 1_000n, 21_000n, 1_000_000_000n, 10n ** 15n, 10n ** 30n),
  allowMsat: fc.boolean(),
  customRecordsBudgetBytes: fc.constantFrom(0, 10, 100, 600, 1_300),
});

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

const FIELDS = [
  'version',
  'tipId',
  'platformId',
  'recipientPubkey',
  'amountMsat',
  'message',
  'boostagram',
  'customRecord',
  'batchId',
  'splitOf',
  'senderName',
] as const;

/** Values aimed at one field: wrong types, non-canonical numbers, lone surrogates, huge text. */
const hostileFieldValue = fc.oneof(
  { weight: 4, arbitrary: hostileJsonValue() },
  { weight: 2, arbitrary: numericLooking() },
  { weight: 1, arbitrary: fc.tuple(hostileString(), loneSurrogate()).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.nat(70_000).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...PROTOTYPE_KEYS)
      .map((key) => JSON.parse(`{"${key}":{"version":1,"action":"boost"}}`)),
  },
);

/** A valid request with nested objects mutated as well as top-level fields. */
const mutatedRequest = fc
  .tuple(
    mutatedObject(
      validRequest.map(({ request }) => request),
      hostileFieldValue,
    ),
    fc.constantFrom('boostagram', 'customRecord', 'splitOf'),
    fc.oneof(
      hostileString({ maxLength: 10 }),
      fc.constantFrom('sender_name', 'message', 'type', 'value', 'index', 'count', 'feedID'),
    ),
    hostileFieldValue,
  )
  .map(([request, nested, key, value]) => {
    const inner = request[nested];
    if (typeof inner !== 'object' || inner === null) return request;
    return { ...request, [nested]: Object.fromEntries([...Object.entries(inner), [key, value]]) };
  });

/** JSON texts: encodings of hostile objects, broken JSON, deep nesting where a field should be. */
const hostileText = fc.oneof(
  { weight: 4, arbitrary: mutatedRequest.map((request) => JSON.stringify(request)) },
  { weight: 2, arbitrary: fc.json() },
  { weight: 2, arbitrary: hostileString({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: mutatedRequest
      .map((request) => JSON.stringify(request))
      .chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...FIELDS),
        fc.integer({ min: 1, max: 50_000 }),
        fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
        validRequest,
      )
      .map(([field, depth, kind, { request }]) => {
        const text = JSON.stringify({ ...request, [field]: null });
        return text.replace(`"${field}":null`, `"${field}":${deeplyNestedJson(depth, kind)}`);
      }),
  },
);

/** A valid request with one text field (top level or in a record) set to any string. */
const textFieldFuzzed = fc
  .tuple(
    validRequest,
    fc.constantFrom(
      ['message'],
      ['senderName'],
      ['customRecord', 'value'],
      ['boostagram', 'message'],
      ['boostagram', 'sender_name'],
      ['boostagram', 'podcast'],
    ),
    fc.oneof(
      hostileString({ maxLength: 40 }),
      fc.tuple(anyText(20), loneSurrogate(), fc.string()).map((parts) => parts.join('')),
    ),
  )
  .map(([{ request, policy }, [field, inner], text]) => {
    const customRecord = { type: '696969', value: 'v' };
    const boostagram = { action: 'boost' };
    const target = { ...request };
    if (inner === undefined) target[field as string] = text;
    else {
      const base = field === 'customRecord' ? customRecord : boostagram;
      target[field as string] = { ...base, [inner]: text };
      if (field === 'customRecord' || inner === 'sender_name') {
        delete target.message;
        delete target.senderName;
      }
    }
    return { request: target, policy };
  });

const hostileInput = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 3, arbitrary: mutatedRequest },
  { weight: 1, arbitrary: hostileUnknown() },
);

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** parseTipRequest promises never to throw on bad input: any throw fails the property. */
const parse = (raw: unknown, policy: TipPolicy): TipRequestResult => parseTipRequest(raw, policy);

// ignoreBOM: a leading U+FEFF is part of the text, as the sender wrote it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const isCustomType = (type: bigint) =>
  type >= MIN_CUSTOM_RECORD_TYPE && type <= MAX_RECORD_TYPE && type !== KEYSEND_RECORD_TYPE;

/**
 * The canonical request of a tip: what a producer that knows the tip would send. Numbers and
 * record types in canonical decimal, the pubkey lowercase, optional fields only when set.
 */
const canonicalRequest = (tip: Tip): Record<string, unknown> => ({
  version: 1,
  tipId: tip.tipId,
  platformId: tip.platformId,
  recipientPubkey: tip.recipient,
  amountMsat: tip.amountMsat.toString(),
  ...(tip.message !== undefined ? { message: tip.message } : {}),
  ...(tip.boostagram !== undefined ? { boostagram: tip.boostagram } : {}),
  ...(tip.customRecord !== undefined
    ? { customRecord: { ...tip.customRecord, type: BigInt(tip.customRecord.type).toString() } }
    : {}),
  ...(tip.batchId !== undefined ? { batchId: tip.batchId } : {}),
  ...(tip.splitOf !== undefined ? { splitOf: tip.splitOf } : {}),
  ...(tip.senderName !== undefined ? { senderName: tip.senderName } : {}),
});

/** A tip as canonical JSON (records as hex), to compare two parses byte for byte. */
const tipJson = (tip: Tip): string =>
  canonicalJson({
    ...tip,
    amountMsat: tip.amountMsat.toString(),
    records: tip.records.map(({ type, value }) => ({
      type: type.toString(),
      value: Buffer.from(value).toString('hex'),
    })),
  });

/** Everything an accepted tip must be, whatever input it came from. */
const expectPayable = (tip: Tip, policy: TipPolicy) => {
  expect(tip.tipId).toMatch(TIP_ID_PATTERN);
  expect(tip.platformId).toMatch(PLATFORM_ID_PATTERN);
  expect(tip.recipient).toMatch(/^0[23][0-9a-f]{64}$/);
  expect(tip.amountMsat).toBeGreaterThan(0n);
  expect(tip.amountMsat).toBeLessThanOrEqual(policy.maxMsat);
  if (!policy.allowMsat) expect(tip.amountMsat % 1000n).toBe(0n);
  // Records: allowed types, strictly ascending, non-empty, within the budget.
  tip.records.forEach(({ type, value }, index) => {
    expect(isCustomType(type)).toBe(true);
    expect(value.length).toBeGreaterThan(0);
    if (index > 0) expect(type).toBeGreaterThan(tip.records[index - 1]?.type ?? 0n);
  });
  expect(encodedRecordsSize(tip.records)).toBeLessThanOrEqual(policy.customRecordsBudgetBytes);
  // Every text record carries exactly the text that was accepted: valid UTF-8 of the same string.
  const record = (type: bigint) => tip.records.find((entry) => entry.type === type)?.value;
  if (tip.message !== undefined) {
    const bytes = record(TEXT_MESSAGE_RECORD_TYPE);
    expect(bytes && utf8.decode(bytes)).toBe(tip.message);
    expect(bytes?.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  }
  if (tip.boostagram !== undefined) {
    const bytes = record(BOOSTAGRAM_RECORD_TYPE);
    const sent = {
      ...tip.boostagram,
      ...(tip.senderName !== undefined ? { sender_name: tip.senderName } : {}),
    };
    expect(bytes && utf8.decode(bytes)).toBe(canonicalJson(sent));
  }
  if (tip.customRecord !== undefined) {
    const bytes = record(BigInt(tip.customRecord.type));
    expect(bytes && utf8.decode(bytes)).toBe(tip.customRecord.value);
  }
  if (tip.senderName !== undefined) {
    expect(utf8.decode(new TextEncoder().encode(tip.senderName))).toBe(tip.senderName);
  }
};

/** parse → canonical request → JSON text → parse is the same tip, with the same fingerprint. */
const expectCanonicalRoundTrip = (tip: Tip, policy: TipPolicy) => {
  const again = parse(JSON.stringify(canonicalRequest(tip)), policy);
  if (!again.ok) throw again.error;
  expect(tipJson(again.tip)).toBe(tipJson(tip));
  expect(tipFingerprint(again.tip)).toBe(tipFingerprint(tip));
};

const expectGoodError = (result: TipRequestResult) => {
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(TipValidationError);
  expect(typeof result.error.field).toBe('string');
  expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
};

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('parseTipRequest (queue message), fuzzed', () => {
  it('takes any text in a text field only as the exact UTF-8 it sends', () => {
    checkProperty(
      fc.property(textFieldFuzzed, ({ request, policy }) => {
        const result = parse(request, policy);
        expectGoodError(result);
        if (result.ok) {
          expectPayable(result.tip, policy);
          expectCanonicalRoundTrip(result.tip, policy);
        }
      }),
      2_000,
    );
  });

  it('accepts every valid request, as an object and as JSON text, and round-trips it', () => {
    checkProperty(
      fc.property(validRequest, ({ request, policy }) => {
        const result = parse(request, policy);
        if (!result.ok) throw result.error;
        expectPayable(result.tip, policy);
        expectCanonicalRoundTrip(result.tip, policy);
        const fromText = parse(JSON.stringify(request), policy);
        if (!fromText.ok) throw fromText.error;
        expect(tipJson(fromText.tip)).toBe(tipJson(result.tip));
      }),
      1_500,
    );
  });

  it('never throws on hostile input; what it accepts is payable and canonical', () => {
    checkProperty(
      fc.property(hostileInput, policyArb, (raw, policy) => {
        const result = parse(raw, policy);
        expectGoodError(result);
        if (result.ok) {
          expectPayable(result.tip, policy);
          expectCanonicalRoundTrip(result.tip, policy);
        }
      }),
      3_000,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// One example per defect the properties found
// ---------------------------------------------------------------------------------------------

describe('regressions found by fuzzing', () => {
  const policy = roomyPolicy(false);
  const base = {
    version: 1,
    tipId: 'tip-1',
    platformId: 'stream.example',
    recipientPubkey: G,
    amountMsat: 21_000,
  };
  const failure = (raw: unknown) => {
    const result = parse(raw, policy);
    if (result.ok) throw new Error('expected the request to be refused');
    return { field: result.error.field, message: result.error.message };
  };

  it('answers a version nested too deep to print with an error, not a RangeError', () => {
    expect(failure(`{"version":${deeplyNestedJson(20_000)}}`)).toEqual({
      field: 'version',
      message: 'schema version an array is not supported; this payer understands version 1',
    });
    expect(failure({ ...base, version: 'v'.repeat(5_000) }).message).toBe(
      `schema version "${'v'.repeat(40)}… (5000 chars)" is not supported; this payer understands version 1`,
    );
  });

  it('refuses text with half a surrogate pair instead of sending U+FFFD in its place', () => {
    const lone = 'caf\ud800';
    const message =
      'must be valid Unicode text: it has half of a UTF-16 surrogate pair, which UTF-8 cannot carry';
    expect(failure({ ...base, message: lone })).toEqual({
      field: 'message',
      message: `message ${message}`,
    });
    expect(failure({ ...base, senderName: lone })).toEqual({
      field: 'senderName',
      message: `senderName ${message}`,
    });
    expect(failure({ ...base, customRecord: { type: '696969', value: lone } })).toEqual({
      field: 'customRecord.value',
      message: `customRecord.value ${message}`,
    });
    expect(failure({ ...base, boostagram: { action: 'boost', message: '\udc00' } })).toEqual({
      field: 'boostagram.message',
      message: `boostagram.message ${message}`,
    });
    // A whole pair is one code point, and fine.
    expect(parse({ ...base, message: 'caf\ud83d\ude00' }, policy).ok).toBe(true);
  });

  it('gives a custom record type written with leading zeros in canonical decimal', () => {
    const result = parse({ ...base, customRecord: { type: '000696969', value: 'wallet' } }, policy);
    if (!result.ok) throw result.error;
    expect(result.tip.customRecord).toEqual({ type: '696969', value: 'wallet' });
    expect(result.tip.records.map(({ type }) => type)).toEqual([696969n]);
  });

  it('names a huge unknown field, or a huge conflicting sender_name, by its start', () => {
    const key = 'k'.repeat(20_000);
    expect(failure({ ...base, [key]: 1 })).toEqual({
      field: `${'k'.repeat(70)}… (20000 chars)`,
      message: expect.stringMatching(
        /^unknown field "k{70}… \(20000 chars\)": remove it \(version 1 accepts version, /,
      ),
    });
    const name = 'x'.repeat(20_000);
    expect(
      failure({ ...base, senderName: 'alice', boostagram: { action: 'boost', sender_name: name } }),
    ).toEqual({
      field: 'senderName',
      message: `senderName "alice" differs from boostagram.sender_name "${'x'.repeat(70)}… (20000 chars)": send one of them`,
    });
  });
});
