import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TipPolicy } from '../../../shared/domain/tip-request.js';
import { checkProperty, deeplyNestedJson } from '../../support/fast-check.js';
import {
  expectCanonicalRoundTrip,
  expectGoodError,
  expectPayable,
  hostileInput,
  parse,
  policyArb,
  roomyPolicy,
  textFieldFuzzed,
  tipJson,
  validRequest,
} from '../../support/tip-requests.js';
import { G } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** A refusal is a bounded TipValidationError; an acceptance is payable and canonical. */
const expectRefusedOrCanonical = (raw: unknown, policy: TipPolicy) => {
  const result = parse(raw, policy);
  expectGoodError(result);
  if (result.ok) {
    expectPayable(result.tip, policy);
    expectCanonicalRoundTrip(result.tip, policy);
  }
};

describe('parseTipRequest (queue message), fuzzed', () => {
  it('takes any text in a text field only as the exact UTF-8 it sends', () => {
    checkProperty(
      fc.property(textFieldFuzzed, ({ request, policy }) =>
        expectRefusedOrCanonical(request, policy),
      ),
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
      1_000,
    );
  });

  it('never throws on hostile input; what it accepts is payable and canonical', () => {
    checkProperty(fc.property(hostileInput, policyArb, expectRefusedOrCanonical), 3_000);
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
