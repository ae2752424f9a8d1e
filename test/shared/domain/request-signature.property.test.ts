import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseSignatureHeader,
  type SignedRequest,
  signRequest,
  verifyRequestSignature,
} from '../../../shared/domain/request-signature.js';
import { fcParams } from '../../support/fast-check.js';

// Seeded and bounded: the same cases on every run and machine; a failure prints its seed and path.
const RUNS = fcParams(3_000);
const SECRET = 'tss_property_secret_0123456789';
const T = 1_767_225_600;
const NOW = new Date(T * 1000);

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const request: fc.Arbitrary<Required<SignedRequest>> = fc.record({
  platformId: fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/),
  method: fc.constantFrom('GET', 'POST'),
  target: fc.oneof(
    fc.constantFrom('/v1/tips', '/v1/splits', '/v1/payouts', '/v1/tips/a', '/v1/tips/a.b'),
    text.map((tail) => `/v1/tips/${tail}`),
  ),
  idempotencyKey: fc.oneof(fc.constant(''), fc.uuid(), text),
  rawBody: fc.oneof(fc.constant(''), fc.json({ maxDepth: 2 }), text),
});

type Edit = (header: string) => string;
const hexOf = (header: string) => header.slice(header.indexOf('v2=') + 3);
const tOf = (header: string) => header.slice(0, header.indexOf(','));

/** Every way a generator can respell one header: each alone, or several in a row. */
const respelling: fc.Arbitrary<Edit> = fc.oneof(
  // Spacing anywhere, of any kind.
  fc.tuple(fc.nat(), fc.constantFrom(' ', '  ', '\t', ' ,', '\u00a0')).map(
    ([at, space]): Edit =>
      (h) =>
        `${h.slice(0, at % (h.length + 1))}${space}${h.slice(at % (h.length + 1))}`,
  ),
  // Case of the hex, of the keys, of everything.
  fc.nat().map(
    (at): Edit =>
      (h) => {
        const i = h.indexOf('v2=') + 3 + (at % 64);
        return `${h.slice(0, i)}${(h[i] ?? '').toUpperCase()}${h.slice(i + 1)}`;
      },
  ),
  fc.constantFrom<Edit>(
    (h) => h.toUpperCase(),
    (h) => h.replace('t=', 'T='),
    (h) => h.replace('v2=', 'V2='),
  ),
  // Order, duplicates, unknown elements, an old scheme, other spellings of the number.
  fc.constantFrom<Edit>(
    (h) => `v2=${hexOf(h)},${tOf(h)}`,
    (h) => `${h},v2=${hexOf(h)}`,
    (h) => `${tOf(h)},${h}`,
    (h) => `${h},`,
    (h) => `,${h}`,
    (h) => `${h};`,
    (h) => h.replace(',', ',,'),
    (h) => h.replace(',', ';'),
    (h) => `${tOf(h)},v1=${hexOf(h)}`,
    (h) => `${h},v1=${hexOf(h)}`,
    (h) => `${tOf(h)},v1=${hexOf(h)},v2=${hexOf(h)}`,
    (h) => h.replace('t=', 't=0'),
    (h) => h.replace('t=', 't=+'),
    (h) => h.replace(',v2=', '.0,v2='),
    (h) => h.replace('v2=', 'v2=0x'),
    (h) => h.replace('v2=', 'v2="').concat('"'),
    (h) => `${h}\n`,
  ),
  fc
    .tuple(
      fc.constantFrom('v0', 'v3', 'x', 'sig', 'v2 ', ''),
      fc.constantFrom('', '1', 'deadbeef'),
      fc.nat(2),
    )
    .map(([key, value, at]): Edit => {
      const element = `${key}=${value}`;
      return (h) => {
        const parts = h.split(',');
        parts.splice(at, 0, element);
        return parts.join(',');
      };
    }),
);
const respellings = fc
  .array(respelling, { minLength: 1, maxLength: 3 })
  .map((edits) => (h: string) => edits.reduce((header, edit) => edit(header), h));

/** Another request than the one signed: one field changed, or the key moved into the body. */
const mutation = fc.oneof(
  fc.record({ idempotencyKey: fc.oneof(fc.uuid(), text) }),
  fc.record({ rawBody: fc.oneof(fc.json({ maxDepth: 2 }), text) }),
  fc.record({ target: fc.constantFrom('/v1/tips', '/v1/splits', '/v1/tips/a') }),
  fc.record({ method: fc.constantFrom('GET', 'POST') }),
  fc.record({ platformId: fc.constantFrom('streamco', 'other', 'a') }),
);

const verify = (header: string, signed: SignedRequest) =>
  verifyRequestSignature({ header, ...signed, secrets: [SECRET], now: NOW });

const sameRequest = (a: SignedRequest, b: SignedRequest) =>
  a.platformId === b.platformId &&
  a.method.toUpperCase() === b.method.toUpperCase() &&
  a.target === b.target &&
  (a.idempotencyKey ?? '') === (b.idempotencyKey ?? '') &&
  a.rawBody === b.rawBody;

describe('one signed request is accepted as at most one request (property)', () => {
  it('every respelling of the header, with the request or another one, is refused', () => {
    fc.assert(
      fc.property(
        request,
        fc.array(fc.tuple(respellings, fc.option(mutation, { nil: undefined })), {
          minLength: 1,
          maxLength: 6,
        }),
        (original, attempts) => {
          const header = signRequest({ secret: SECRET, timestamp: T, ...original });
          const first = verify(header, original);
          expect(first.ok).toBe(true);
          // What a server would accept: each (header, request) verified, keyed as the replay
          // record is (the verified MAC). Only the original pair may pass.
          const accepted = new Set<string>();
          if (first.ok) accepted.add(`${first.macHex} ${original.idempotencyKey}`);
          for (const [respell, change] of attempts) {
            const sent = { ...original, ...change };
            const spelt = respell(header);
            const result = verify(spelt, sent);
            if (result.ok) {
              expect(spelt).toBe(header);
              expect(sameRequest(sent, original)).toBe(true);
              accepted.add(`${result.macHex} ${sent.idempotencyKey}`);
            } else if (spelt !== header) {
              expect(result.code).toBe('MALFORMED_SIGNATURE');
            }
          }
          expect(accepted.size).toBe(1);
        },
      ),
      RUNS,
    );
  });

  it('the signed header with another key, body, target, method or platform is refused', () => {
    fc.assert(
      fc.property(request, mutation, (original, change) => {
        const header = signRequest({ secret: SECRET, timestamp: T, ...original });
        const sent = { ...original, ...change };
        expect(verify(header, sent).ok).toBe(sameRequest(sent, original));
      }),
      RUNS,
    );
  });

  it('two different requests never share a signed header (length framing)', () => {
    fc.assert(
      fc.property(request, request, (a, b) => {
        fc.pre(!sameRequest(a, b));
        const sign = (r: SignedRequest) => signRequest({ secret: SECRET, timestamp: T, ...r });
        expect(sign(a)).not.toBe(sign(b));
        expect(verify(sign(a), b).ok).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('parseSignatureHeader (fuzzed)', () => {
  const canonical = (timestampText: string, signature: Uint8Array) =>
    `t=${timestampText},v2=${Buffer.from(signature).toString('hex')}`;
  /** Near misses: pieces of real headers put together at random. */
  const nearMiss = fc
    .array(
      fc.oneof(
        fc.constantFrom('t=', 'v2=', 'v1=', ',', ' ', '=', 'T=', 'V2=', '0', '\t'),
        fc.stringMatching(/^[0-9]{1,13}$/),
        fc.stringMatching(/^[0-9a-fA-F]{60,66}$/),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 8 },
    )
    .map((pieces) => pieces.join(''));

  it.each([
    { description: 'any string', input: fc.string({ unit: 'binary', maxLength: 120 }) },
    { description: 'near misses of the grammar', input: nearMiss },
    {
      description: 'respellings of a valid header',
      input: fc
        .tuple(request, respellings)
        .map(([r, respell]) => respell(signRequest({ secret: SECRET, timestamp: T, ...r }))),
    },
  ])('never throws and accepts only the canonical spelling: $description', ({ input }) => {
    fc.assert(
      fc.property(fc.oneof(input, fc.constantFrom(undefined, null)), (header) => {
        const parsed = parseSignatureHeader(header);
        if (parsed.ok) {
          expect(canonical(parsed.timestampText, parsed.signature)).toBe(header);
          expect(String(Number(parsed.timestampText))).toBe(parsed.timestampText);
        } else {
          expect(parsed.message).toMatch(/^Tipstream-Signature /);
        }
      }),
      RUNS,
    );
  });
});
