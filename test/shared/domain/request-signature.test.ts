import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  equalBytes,
  signedTarget,
  signRequest,
  verifyRequestSignature,
} from '../../../shared/domain/request-signature.js';
import { thrown } from './helpers.js';

const SECRET = 'tss_live_3f9a1c7e5b2d4a6f';
const OLD_SECRET = 'tss_live_retired_0b1c2d3e';
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = '{"tipId":"stream.example:tip-1","amountMsat":21000}';
const NOW = new Date(T * 1000);

/** The request every case signs unless it says otherwise. */
const REQ = { method: 'POST', target: '/v1/tips' };

/** Independent reference: node:crypto's HMAC, not the module under test. */
const referenceHex = (
  secret: string,
  timestamp: number | string,
  body: string,
  { method, target } = REQ,
): string =>
  createHmac('sha256', secret)
    .update(`${timestamp}.${method}.${target}.${body}`, 'utf8')
    .digest('hex');
const header = (secret = SECRET, timestamp = T, body = BODY) =>
  `t=${timestamp},v1=${referenceHex(secret, timestamp, body)}`;
const at = (offsetSeconds: number) => new Date((T + offsetSeconds) * 1000);

describe('signRequest', () => {
  it.each([
    { description: 'a JSON body', args: { secret: SECRET, timestamp: T, ...REQ, rawBody: BODY } },
    { description: 'an empty body', args: { secret: SECRET, timestamp: T, ...REQ, rawBody: '' } },
    {
      description: 'a body with non-ASCII text (signed as UTF-8)',
      args: { secret: 'clé-secrète', timestamp: 0, ...REQ, rawBody: '{"message":"merci ⚡ 🎙️"}' },
    },
    {
      description: 'a body with newlines and a dot',
      args: { secret: SECRET, timestamp: 42, ...REQ, rawBody: 'a.b\nc\r\n' },
    },
  ])('matches node:crypto HMAC-SHA256 for $description', ({ args }) => {
    expect(signRequest(args)).toBe(
      `t=${args.timestamp},v1=${referenceHex(args.secret, args.timestamp, args.rawBody)}`,
    );
  });

  it('gives a header that verifies', () => {
    const signed = signRequest({ secret: SECRET, timestamp: T, ...REQ, rawBody: BODY });
    expect(
      verifyRequestSignature({
        header: signed,
        ...REQ,
        rawBody: BODY,
        secrets: [SECRET],
        now: NOW,
      }),
    ).toEqual({ ok: true, timestamp: T, matchedSecretIndex: 0 });
  });

  it.each([
    {
      description: 'an empty secret',
      args: { secret: '', timestamp: T, ...REQ, rawBody: BODY },
      error: /^secret must be a non-empty string$/,
    },
    {
      description: 'a timestamp in milliseconds with a fraction',
      args: { secret: SECRET, timestamp: T + 0.5, ...REQ, rawBody: BODY },
      error: /timestamp 1767225600.5 must be whole unix seconds/,
    },
    {
      description: 'a negative timestamp',
      args: { secret: SECRET, timestamp: -1, ...REQ, rawBody: BODY },
      error: /timestamp -1 must be whole unix seconds/,
    },
    {
      description: 'NaN',
      args: { secret: SECRET, timestamp: Number.NaN, ...REQ, rawBody: BODY },
      error: /timestamp NaN must be whole unix seconds/,
    },
  ])('rejects $description', ({ args, error }) => {
    const err = thrown(() => signRequest(args));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });
});

describe('verifyRequestSignature accepts', () => {
  it.each([
    {
      description: 'a signature with the only secret',
      args: { header: header(), secrets: [SECRET] },
      matchedSecretIndex: 0,
    },
    {
      description: 'a signature with the second active secret (rotation)',
      args: { header: header(OLD_SECRET), secrets: [SECRET, OLD_SECRET] },
      matchedSecretIndex: 1,
    },
    {
      description: 'a header with two v1 entries, one per secret being rotated',
      args: {
        header: `${header(OLD_SECRET)},v1=${referenceHex(SECRET, T, BODY)}`,
        secrets: [SECRET],
      },
      matchedSecretIndex: 0,
    },
    {
      description: 'the first matching secret when both match',
      args: {
        header: `${header(OLD_SECRET)},v1=${referenceHex(SECRET, T, BODY)}`,
        secrets: [OLD_SECRET, SECRET],
      },
      matchedSecretIndex: 0,
    },
    {
      description: 'spaces around elements and uppercase hex',
      args: {
        header: ` t=${T} , v1=${referenceHex(SECRET, T, BODY).toUpperCase()} `,
        secrets: [SECRET],
      },
      matchedSecretIndex: 0,
    },
    {
      description: 'unknown schemes next to v1 (ignored)',
      args: { header: `t=${T},v0=deadbeef,v1=${referenceHex(SECRET, T, BODY)}`, secrets: [SECRET] },
      matchedSecretIndex: 0,
    },
  ])('$description', ({ args, matchedSecretIndex }) => {
    expect(verifyRequestSignature({ ...args, ...REQ, rawBody: BODY, now: NOW })).toEqual({
      ok: true,
      timestamp: T,
      matchedSecretIndex,
    });
  });

  it.each([
    { description: 'exactly the tolerance in the past', now: at(300) },
    { description: 'exactly the tolerance in the future', now: at(-300) },
    {
      description: 'a fraction of a second past the tolerance',
      now: new Date((T + 300) * 1000 + 999),
    },
  ])('a timestamp $description', ({ now }) => {
    expect(
      verifyRequestSignature({ header: header(), ...REQ, rawBody: BODY, secrets: [SECRET], now })
        .ok,
    ).toBe(true);
  });
});

describe('verifyRequestSignature rejects', () => {
  const valid = referenceHex(SECRET, T, BODY);
  it.each([
    {
      description: 'no header',
      args: { header: undefined },
      code: 'MISSING_SIGNATURE',
      error: /^Tipstream-Signature header is missing: sign the request body and send/,
    },
    {
      description: 'a null header',
      args: { header: null },
      code: 'MISSING_SIGNATURE',
      error: /missing/,
    },
    {
      description: 'an empty header',
      args: { header: '' },
      code: 'MISSING_SIGNATURE',
      error: /missing/,
    },
    {
      description: 'a blank header',
      args: { header: '   ' },
      code: 'MISSING_SIGNATURE',
      error: /missing/,
    },
    {
      description: 'a bare hex signature',
      args: { header: valid },
      code: 'MALFORMED_SIGNATURE',
      error: /element ".+" has no "=": expected "t=<unix seconds>,v1=<64 hex chars>"/,
    },
    {
      description: 'no timestamp',
      args: { header: `v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has no t= timestamp/,
    },
    {
      description: 'no v1 signature',
      args: { header: `t=${T}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has no v1= signature/,
    },
    {
      description: 'only an unknown scheme',
      args: { header: `t=${T},v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has no v1= signature/,
    },
    {
      description: 'a timestamp in ISO form',
      args: { header: `t=2026-01-01T00:00:00Z,v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="2026-01-01T00:00:00Z" is not unix seconds: send digits only/,
    },
    {
      description: 'a negative timestamp',
      args: { header: `t=-1,v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="-1" is not unix seconds/,
    },
    {
      description: 'an empty timestamp',
      args: { header: `t=,v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="" is not unix seconds/,
    },
    {
      description: 'two timestamps',
      args: { header: `t=${T},t=${T},v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has more than one t=/,
    },
    {
      description: 'a truncated signature',
      args: { header: `t=${T},v1=${valid.slice(0, 63)}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v1 must be 64 hex chars \(a hex HMAC-SHA256\), got 63 chars/,
    },
    {
      description: 'a base64 signature',
      args: { header: `t=${T},v1=${Buffer.from(valid, 'hex').toString('base64')}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v1 must be 64 hex chars/,
    },
    {
      description: 'a non-hex signature of the right length',
      args: { header: `t=${T},v1=${'z'.repeat(64)}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v1 must be 64 hex chars/,
    },
    {
      description: 'more than 8 signatures',
      args: { header: `t=${T}${`,v1=${valid}`.repeat(9)}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 9 v1= signatures, more than 8/,
    },
    {
      description: 'a signature made with another secret',
      args: { header: header('not-the-secret') },
      code: 'BAD_SIGNATURE',
      error:
        /does not match this request with any active secret: sign "<t>.<METHOD>.<target>.<raw body>".*"POST" and "\/v1\/tips"/,
    },
    {
      description: 'a signature made with a retired secret',
      args: { header: header(OLD_SECRET) },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a body changed after signing',
      args: { ...REQ, rawBody: BODY.replace('21000', '2100000') },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a body re-serialised with whitespace',
      args: { ...REQ, rawBody: JSON.stringify(JSON.parse(BODY), null, 2) },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a timestamp changed after signing (replay with a fresh t)',
      args: { header: `t=${T + 1},v1=${valid}` },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a signature with one bit flipped',
      args: { header: `t=${T},v1=${valid.slice(0, 63)}${valid.endsWith('0') ? '1' : '0'}` },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a signature 301 seconds old',
      args: { now: at(301) },
      code: 'STALE_TIMESTAMP',
      error:
        /^signature timestamp t=1767225600 is 301 seconds in the past; server time is 2026-01-01T00:05:01Z and the tolerance is 300 seconds: sign each request when sending it and check the sender's clock$/,
    },
    {
      description: 'a signature from a day ago (replay)',
      args: { now: at(86_400) },
      code: 'STALE_TIMESTAMP',
      error: /is 86400 seconds in the past; server time is 2026-01-02T00:00:00Z/,
    },
    {
      description: 'a timestamp 301 seconds in the future',
      args: { now: at(-301) },
      code: 'STALE_TIMESTAMP',
      error:
        /is 301 seconds in the future; server time is 2025-12-31T23:54:59Z and the tolerance is 300 seconds/,
    },
    {
      description: 'a timestamp 1 second off with zero tolerance',
      args: { now: at(1), toleranceSeconds: 0 },
      code: 'STALE_TIMESTAMP',
      error: /is 1 seconds in the past; .* the tolerance is 0 seconds/,
    },
  ])('$description ($code)', ({ args, code, error }) => {
    const result = verifyRequestSignature({
      header: header(),
      ...REQ,
      rawBody: BODY,
      secrets: [SECRET],
      now: NOW,
      ...args,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toMatch(error);
  });

  it('reports a bad signature rather than a stale one when both apply', () => {
    const result = verifyRequestSignature({
      header: header('not-the-secret'),
      ...REQ,
      rawBody: BODY,
      secrets: [SECRET],
      now: at(10_000),
    });
    expect(result).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
});

describe('verifyRequestSignature configuration', () => {
  it.each([
    {
      description: 'no active secrets',
      args: { secrets: [] },
      error: /no active signing secrets: configure at least one platform secret/,
    },
    {
      description: 'an empty secret in the list',
      args: { secrets: [SECRET, ''] },
      error: /secrets\[1\] must be a non-empty string/,
    },
    {
      description: 'a negative tolerance',
      args: { toleranceSeconds: -1 },
      error: /toleranceSeconds -1 must be a whole number of seconds/,
    },
    {
      description: 'an invalid Date',
      args: { now: new Date('not a date') },
      error: /now is an invalid Date/,
    },
  ])('throws for $description', ({ args, error }) => {
    const err = thrown(() =>
      verifyRequestSignature({
        header: header(),
        ...REQ,
        rawBody: BODY,
        secrets: [SECRET],
        now: NOW,
        ...args,
      }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });
});

describe('equalBytes', () => {
  it.each([
    {
      description: 'equal bytes',
      args: [
        [1, 2, 3],
        [1, 2, 3],
      ],
      equal: true,
    },
    { description: 'two empty arrays', args: [[], []], equal: true },
    {
      description: 'a difference in the last byte',
      args: [
        [1, 2, 3],
        [1, 2, 4],
      ],
      equal: false,
    },
    {
      description: 'a difference in the first byte',
      args: [
        [0, 2, 3],
        [1, 2, 3],
      ],
      equal: false,
    },
    {
      description: 'a prefix',
      args: [
        [1, 2],
        [1, 2, 3],
      ],
      equal: false,
    },
  ])('$description → $equal', ({ args: [a = [], b = []], equal }) => {
    expect(equalBytes(Uint8Array.from(a), Uint8Array.from(b))).toBe(equal);
  });
});

describe('the signature covers method and route', () => {
  const signedFor = (method: string, target: string, rawBody = '') =>
    signRequest({ secret: SECRET, timestamp: T, method, target, rawBody });
  const verifyAs = (header: string, method: string, target: string, rawBody = '') =>
    verifyRequestSignature({ header, method, target, rawBody, secrets: [SECRET], now: NOW });

  it('matches the reference with the method upper-cased', () => {
    expect(signedFor('get', '/v1/tips/t-1')).toBe(
      `t=${T},v1=${referenceHex(SECRET, T, '', { method: 'GET', target: '/v1/tips/t-1' })}`,
    );
  });

  it.each([
    { description: 'another route', method: 'GET', target: '/v1/payouts/b-1' },
    { description: 'another tip id', method: 'GET', target: '/v1/tips/t-2' },
    { description: 'another query string', method: 'GET', target: '/v1/tips/t-1?limit=100' },
    { description: 'another method', method: 'POST', target: '/v1/tips/t-1' },
  ])('refuses a GET /v1/tips/t-1 signature reused on $description', ({ method, target }) => {
    const result = verifyAs(signedFor('GET', '/v1/tips/t-1'), method, target);
    expect(result).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    if (!result.ok) expect(result.message).toContain(`"${method}" and "${target}"`);
  });

  it('accepts the same method and target, whatever case the method is sent in', () => {
    expect(verifyAs(signedFor('GET', '/v1/tips/t-1'), 'get', '/v1/tips/t-1').ok).toBe(true);
  });

  it.each([
    { path: '/v1/tips', query: '', target: '/v1/tips' },
    { path: '/v1/tips', query: '?limit=5&cursor=abc', target: '/v1/tips?limit=5&cursor=abc' },
    { path: '/v1/tips', query: 'limit=5', target: '/v1/tips?limit=5' },
    { path: '/prod/v1/tips/x', query: '', target: '/v1/tips/x' },
    { path: '/tipstream/v1/summary', query: 'window=7d', target: '/v1/summary?window=7d' },
    { path: '/health', query: '', target: '/health' },
    { path: '/v1/tips/local-dev%3Atip-1', query: '', target: '/v1/tips/local-dev:tip-1' },
    { path: '/v1/tips/local-dev:tip-1', query: '', target: '/v1/tips/local-dev:tip-1' },
    { path: '/v1/tips/bad%zzescape', query: '', target: '/v1/tips/bad%zzescape' },
  ])('signedTarget($path, $query) is $target', ({ path, query, target }) => {
    expect(signedTarget(path, query)).toBe(target);
  });
});
