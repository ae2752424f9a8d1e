import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  equalBytes,
  parseSignatureHeader,
  signedHeaders,
  signedString,
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
const REQ = { platformId: 'streamco', method: 'POST', target: '/v1/tips', idempotencyKey: 'k-7' };

/**
 * Independent reference: the documented v2 framing written out here (each field as
 * `<UTF-8 byte length>:<value>\n`) and node:crypto's HMAC, not the module under test.
 */
const referenceHex = (
  secret: string,
  timestamp: number | string,
  body: string,
  request: { platformId: string; method: string; target: string; idempotencyKey: string } = REQ,
): string => {
  const { platformId, method, target, idempotencyKey } = request;
  const fields = ['tipstream-request-v2', platformId, String(timestamp), method, target];
  const framed = [...fields, idempotencyKey, body]
    .map((field) => `${Buffer.byteLength(field, 'utf8')}:${field}\n`)
    .join('');
  return createHmac('sha256', secret).update(framed, 'utf8').digest('hex');
};
const header = (secret = SECRET, timestamp = T, body = BODY) =>
  `t=${timestamp},v2=${referenceHex(secret, timestamp, body)}`;
const at = (offsetSeconds: number) => new Date((T + offsetSeconds) * 1000);

describe('signRequest', () => {
  it.each([
    { description: 'a JSON body', args: { secret: SECRET, timestamp: T, ...REQ, rawBody: BODY } },
    { description: 'an empty body', args: { secret: SECRET, timestamp: T, ...REQ, rawBody: '' } },
    {
      description: 'a body with non-ASCII text (length in UTF-8 bytes)',
      args: { secret: 'clé-secrète', timestamp: 0, ...REQ, rawBody: '{"message":"merci ⚡ 🎙️"}' },
    },
    {
      description: 'a body with newlines, colons and dots',
      args: { secret: SECRET, timestamp: 42, ...REQ, rawBody: 'a.b\nc\r\n3:x\n' },
    },
  ])('matches node:crypto HMAC-SHA256 of the framed fields for $description', ({ args }) => {
    expect(signRequest(args)).toBe(
      `t=${args.timestamp},v2=${referenceHex(args.secret, args.timestamp, args.rawBody)}`,
    );
  });

  it('matches the test vector in README.md and the OpenAPI document', () => {
    const vector = {
      secret: 'tss_example_secret',
      timestamp: 1_767_225_600,
      platformId: 'streamco',
      method: 'POST',
      target: '/v1/tips',
      idempotencyKey: 'order-42',
      rawBody: '{"recipientPubkey":"02ab","amountMsat":21000}',
    };
    expect(signedString(String(vector.timestamp), vector)).toBe(
      '20:tipstream-request-v2\n8:streamco\n10:1767225600\n4:POST\n8:/v1/tips\n8:order-42\n45:{"recipientPubkey":"02ab","amountMsat":21000}\n',
    );
    expect(signRequest(vector)).toBe(
      't=1767225600,v2=5e61677e45f68d3b85e751d72d3f1c835c344d5f08c768234066ccfdb2e9402c',
    );
  });

  it('gives a header that verifies, with the MAC the replay record is keyed on', () => {
    const signed = signRequest({ secret: SECRET, timestamp: T, ...REQ, rawBody: BODY });
    expect(
      verifyRequestSignature({
        header: signed,
        ...REQ,
        rawBody: BODY,
        secrets: [SECRET],
        now: NOW,
      }),
    ).toEqual({
      ok: true,
      timestamp: T,
      matchedSecretIndex: 0,
      macHex: referenceHex(SECRET, T, BODY),
    });
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

describe('signedString: length framing, so no two requests share a signed string', () => {
  const string = (fields: Partial<typeof REQ> & { rawBody?: string }) =>
    signedString(String(T), { ...REQ, rawBody: '', ...fields });

  it.each([
    {
      description: 'a dot moved from the target into the body (the same v1 string)',
      a: { method: 'GET', target: '/v1/tips/a.b', rawBody: '' },
      b: { method: 'GET', target: '/v1/tips/a', rawBody: 'b.' },
    },
    {
      description: 'a character moved from the Idempotency-Key into the body',
      a: { idempotencyKey: 'ab', rawBody: 'c' },
      b: { idempotencyKey: 'a', rawBody: 'bc' },
    },
    {
      description: 'a framed field smuggled into the key',
      a: { idempotencyKey: 'k\n2:{}', rawBody: '' },
      b: { idempotencyKey: 'k', rawBody: '{}' },
    },
    {
      description: 'no Idempotency-Key and an empty one',
      a: { idempotencyKey: '' },
      b: { idempotencyKey: ' ' },
    },
    {
      description: 'another platform',
      a: { platformId: 'streamco' },
      b: { platformId: 'streamc' },
    },
  ])('$description', ({ a, b }) => {
    expect(string(a)).not.toBe(string(b));
  });

  it('signs an absent Idempotency-Key as the empty field', () => {
    expect(string({ idempotencyKey: undefined })).toBe(string({ idempotencyKey: '' }));
  });
});

describe('signedHeaders: what every client sends', () => {
  it('signs the path and query of a URL, the key and the body, and returns the headers', () => {
    const headers = signedHeaders({
      secret: SECRET,
      platformId: 'streamco',
      method: 'post',
      url: 'https://api.example/prod/v1/tips?x=1',
      idempotencyKey: 'k-7',
      body: BODY,
      now: new Date(T * 1000 + 999),
    });
    expect(headers).toEqual({
      'tipstream-platform': 'streamco',
      'tipstream-signature': `t=${T},v2=${referenceHex(SECRET, T, BODY, { ...REQ, target: '/v1/tips?x=1' })}`,
      'idempotency-key': 'k-7',
    });
  });

  it('leaves the Idempotency-Key header out when there is none (signed as empty)', () => {
    const headers = signedHeaders({
      secret: SECRET,
      platformId: 'streamco',
      method: 'GET',
      url: '/v1/tips/t-1',
      now: NOW,
    });
    expect(Object.keys(headers)).toEqual(['tipstream-platform', 'tipstream-signature']);
    expect(
      verifyRequestSignature({
        header: headers['tipstream-signature'],
        platformId: 'streamco',
        method: 'GET',
        target: '/v1/tips/t-1',
        rawBody: '',
        secrets: [SECRET],
        now: NOW,
      }).ok,
    ).toBe(true);
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
  ])('$description', ({ args, matchedSecretIndex }) => {
    expect(verifyRequestSignature({ ...args, ...REQ, rawBody: BODY, now: NOW })).toMatchObject({
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
      error: /^Tipstream-Signature header is missing: sign the request and send/,
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
      description: 'a v1 signature',
      args: { header: `t=${T},v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v1 signatures are no longer accepted: sign with the v2 scheme/,
    },
    {
      description: 'a v1 entry next to a valid v2 entry',
      args: { header: `${header()},v1=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v1 signatures are no longer accepted/,
    },
    {
      description: 'a bare hex signature',
      args: { header: valid },
      code: 'MALFORMED_SIGNATURE',
      error: /has 1 comma-separated elements; send exactly two, t= then v2=/,
    },
    {
      description: 'spaces after the comma',
      args: { header: `t=${T}, v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /must not contain spaces/,
    },
    {
      description: 'spaces around the header',
      args: { header: ` ${header()} ` },
      code: 'MALFORMED_SIGNATURE',
      error: /must not contain spaces/,
    },
    {
      description: 'uppercase hex',
      args: { header: `t=${T},v2=${valid.toUpperCase()}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v2 must be lowercase hex/,
    },
    {
      description: 'the elements in the other order',
      args: { header: `v2=${valid},t=${T}` },
      code: 'MALFORMED_SIGNATURE',
      error: /must start with t=<unix seconds>, got "v2=/,
    },
    {
      description: 'the v2 entry twice',
      args: { header: `${header()},v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 3 comma-separated elements; send exactly two/,
    },
    {
      description: 'an unknown element',
      args: { header: `t=${T},v0=deadbeef,v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 3 comma-separated elements/,
    },
    {
      description: 'an unknown element instead of v2',
      args: { header: `t=${T},v3=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /second element must be v2=<64 lowercase hex chars>, got "v3=/,
    },
    {
      description: 'a trailing comma',
      args: { header: `${header()},` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 3 comma-separated elements/,
    },
    {
      description: 'no timestamp',
      args: { header: `v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 1 comma-separated elements/,
    },
    {
      description: 'no signature',
      args: { header: `t=${T}` },
      code: 'MALFORMED_SIGNATURE',
      error: /has 1 comma-separated elements/,
    },
    {
      description: 'a timestamp in ISO form',
      args: { header: `t=2026-01-01T00:00:00Z,v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="2026-01-01T00:00:00Z" is not unix seconds: send digits only/,
    },
    {
      description: 'a timestamp with a leading zero (another spelling of the same number)',
      args: { header: `t=0${T},v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /without leading zeros/,
    },
    {
      description: 'a negative timestamp',
      args: { header: `t=-1,v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="-1" is not unix seconds/,
    },
    {
      description: 'an empty timestamp',
      args: { header: `t=,v2=${valid}` },
      code: 'MALFORMED_SIGNATURE',
      error: /t="" is not unix seconds/,
    },
    {
      description: 'a truncated signature',
      args: { header: `t=${T},v2=${valid.slice(0, 63)}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v2 must be 64 lowercase hex chars \(a hex HMAC-SHA256\), got 63 chars/,
    },
    {
      description: 'a base64 signature',
      args: { header: `t=${T},v2=${Buffer.from(valid, 'hex').toString('base64')}` },
      code: 'MALFORMED_SIGNATURE',
      error: /v2 must be 64 lowercase hex chars/,
    },
    {
      description: 'a signature made with another secret',
      args: { header: header('not-the-secret') },
      code: 'BAD_SIGNATURE',
      error:
        /does not match this request for this platform with any active secret: sign the v2 string .*method is "POST", its target "\/v1\/tips" and its Idempotency-Key "k-7"/,
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
      description: 'another Idempotency-Key (a captured request sent as a new tip)',
      args: { idempotencyKey: 'k-8' },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'no Idempotency-Key where one was signed',
      args: { idempotencyKey: undefined },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'another platform',
      args: { platformId: 'otherco' },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a timestamp changed after signing (replay with a fresh t)',
      args: { header: `t=${T + 1},v2=${valid}` },
      code: 'BAD_SIGNATURE',
      error: /does not match/,
    },
    {
      description: 'a signature with one bit flipped',
      args: { header: `t=${T},v2=${valid.slice(0, 63)}${valid.endsWith('0') ? '1' : '0'}` },
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

describe('parseSignatureHeader', () => {
  it('gives the timestamp text and the MAC bytes of the one accepted spelling', () => {
    const parsed = parseSignatureHeader(`t=0,v2=${'ab'.repeat(32)}`);
    expect(parsed).toEqual({ ok: true, timestampText: '0', signature: expect.any(Uint8Array) });
    if (parsed.ok) expect(Buffer.from(parsed.signature).toString('hex')).toBe('ab'.repeat(32));
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
  const request = (method: string, target: string) => ({
    platformId: REQ.platformId,
    method,
    target,
    rawBody: '',
  });
  const signedFor = (method: string, target: string) =>
    signRequest({ secret: SECRET, timestamp: T, ...request(method, target) });
  const verifyAs = (header: string, method: string, target: string) =>
    verifyRequestSignature({ header, ...request(method, target), secrets: [SECRET], now: NOW });

  it('matches the reference with the method upper-cased', () => {
    expect(signedFor('get', '/v1/tips/t-1')).toBe(
      `t=${T},v2=${referenceHex(SECRET, T, '', { ...REQ, method: 'GET', target: '/v1/tips/t-1', idempotencyKey: '' })}`,
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
    if (!result.ok)
      expect(result.message).toContain(`method is "${method}", its target "${target}"`);
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
    // Escaped delimiters stay escaped: they never sign like the real `?`, `/`, `#` or `%`.
    { path: '/v1/tips/a%3fb', query: '', target: '/v1/tips/a%3Fb' },
    { path: '/v1/tips/a%2Fb%3Ac', query: '', target: '/v1/tips/a%2Fb:c' },
    { path: '/v1/tips/a%23b', query: 'x=1', target: '/v1/tips/a%23b?x=1' },
    { path: '/v1/tips/a%2541', query: '', target: '/v1/tips/a%2541' },
  ])('signedTarget($path, $query) is $target', ({ path, query, target }) => {
    expect(signedTarget(path, query)).toBe(target);
  });
});
