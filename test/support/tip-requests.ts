/**
 * fast-check arbitraries of tip requests (the tips queue message, version 1): the valid domain and
 * hostile variations of it. Shared by the fuzz tests of parseTipRequest and of POST /v1/tips.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { canonicalJson } from '../../shared/domain/canonical-json.js';
import { TipValidationError } from '../../shared/domain/errors.js';
import { PLATFORM_ID_PATTERN, TIP_ID_PATTERN } from '../../shared/domain/ids.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  encodedRecordsSize,
  KEYSEND_RECORD_TYPE,
  MAX_RECORD_TYPE,
  MIN_CUSTOM_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
} from '../../shared/domain/keysend-records.js';
import {
  MAX_MESSAGE_BYTES,
  parseTipRequest,
  type Tip,
  type TipPolicy,
  type TipRequestResult,
  tipFingerprint,
} from '../../shared/domain/tip-request.js';
import { G, pubkeyHex } from '../shared/domain/helpers.js';
import {
  deeplyNestedJson,
  hostileJsonValue,
  hostileString,
  hostileUnknown,
  loneSurrogate,
  MAX_ERROR_MESSAGE_CHARS,
  mutatedObject,
  numericLooking,
  PROTOTYPE_KEYS,
} from './fast-check.js';

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
export const roomyPolicy = (allowMsat: boolean): TipPolicy => ({
  maxMsat: 10n ** 15n,
  allowMsat,
  customRecordsBudgetBytes: 1_300,
});

/** Requests (queue message objects) that the payer must accept under `roomyPolicy`. */
export const validRequest = fc
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
export const policyArb: fc.Arbitrary<TipPolicy> = fc.record({
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
export const mutatedRequest = fc
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
export const textFieldFuzzed = fc
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

export const hostileInput = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 3, arbitrary: mutatedRequest },
  { weight: 1, arbitrary: hostileUnknown() },
);

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** parseTipRequest promises never to throw on bad input: any throw fails the property. */
export const parse = (raw: unknown, policy: TipPolicy): TipRequestResult =>
  parseTipRequest(raw, policy);

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
export const tipJson = (tip: Tip): string =>
  canonicalJson({
    ...tip,
    amountMsat: tip.amountMsat.toString(),
    records: tip.records.map(({ type, value }) => ({
      type: type.toString(),
      value: Buffer.from(value).toString('hex'),
    })),
  });

/** Everything an accepted tip must be, whatever input it came from. */
export const expectPayable = (tip: Tip, policy: TipPolicy) => {
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
export const expectCanonicalRoundTrip = (tip: Tip, policy: TipPolicy) => {
  const again = parse(JSON.stringify(canonicalRequest(tip)), policy);
  if (!again.ok) throw again.error;
  expect(tipJson(again.tip)).toBe(tipJson(tip));
  expect(tipFingerprint(again.tip)).toBe(tipFingerprint(tip));
};

export const expectGoodError = (result: TipRequestResult) => {
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(TipValidationError);
  expect(typeof result.error.field).toBe('string');
  expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
};
