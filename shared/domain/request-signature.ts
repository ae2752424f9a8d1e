import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ValidationError } from './errors.js';

/** HTTP header that carries a platform's request signature. */
export const SIGNATURE_HEADER = 'Tipstream-Signature';
/** HTTP header that names the calling platform. */
export const PLATFORM_HEADER = 'Tipstream-Platform';
/** HTTP header that makes a write idempotent; signed with the request. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** How far a signature's timestamp may be from the server clock, either way, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
/** The label that opens every v2 signed string: a MAC of one scheme never verifies as another. */
const SIGNATURE_SCHEME_LABEL = 'tipstream-request-v2';

/** Why a request signature was refused. */
type SignatureFailureCode =
  | 'MISSING_SIGNATURE'
  | 'MALFORMED_SIGNATURE'
  | 'STALE_TIMESTAMP'
  | 'BAD_SIGNATURE';

/** Outcome of verifying a request signature. */
export type SignatureVerification =
  | {
      ok: true;
      timestamp: number;
      matchedSecretIndex: number;
      /** Hex of the verified MAC: what replay records are keyed on, never the header text. */
      macHex: string;
    }
  | { ok: false; code: SignatureFailureCode; message: string };

/** What a v2 signature covers besides the timestamp. */
export interface SignedRequest {
  /** The calling platform (the `Tipstream-Platform` header). */
  platformId: string;
  /** HTTP method, any case (signed upper-case). */
  method: string;
  /** `signedTarget(path, query)`: the path from `/v1/` on, with the raw query string if any. */
  target: string;
  /** The `Idempotency-Key` header as sent; absent is signed as the empty string. */
  idempotencyKey?: string | undefined;
  rawBody: string;
}

/**
 * The request target a signature covers: the percent-decoded URL path from `/v1/` on (so a
 * gateway's base path, stage prefix or path decoding does not matter), then `?` and the raw query
 * string when there is one. Both sides compute it the same way; the query is signed exactly as
 * sent, not re-ordered. Escapes of the characters that delimit a target (`%2F` /, `%3F` ?, `%23` #)
 * and of `%` itself stay escaped (upper-case), so `/v1/tips/a%3Fb` never signs like
 * `/v1/tips/a?b`, nor `/v1/tips/a%2Fb` like `/v1/tips/a/b`.
 */
export const signedTarget = (path: string, query = ''): string => {
  // Percent-decoded: a client may send `local-dev%3Atip` or `local-dev:tip`, and a gateway may
  // hand the path over decoded; both sides sign the decoded form (malformed escapes as sent).
  const decoded = path
    .split(DELIMITER_ESCAPE)
    .map((part, index) => (index % 2 === 1 ? part.toUpperCase() : decodeOrAsSent(part)))
    .join('');
  const start = decoded.indexOf('/v1/');
  const route = start === -1 ? decoded : decoded.slice(start);
  const rawQuery = query.startsWith('?') ? query.slice(1) : query;
  return rawQuery ? `${route}?${rawQuery}` : route;
};

/** Escapes kept as they are in a signed target (captured, so `split` keeps them). */
const DELIMITER_ESCAPE = /(%2F|%3F|%23|%25)/i;

const decodeOrAsSent = (part: string): string => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

/**
 * The exact bytes a v2 signature is the HMAC-SHA256 of: the scheme label, platform id, timestamp,
 * upper-case method, target, Idempotency-Key and raw body, each framed as
 * `<decimal UTF-8 byte length>:<bytes>\n`. The length prefix makes the split unambiguous: no two
 * requests share a signed string, whatever dots, colons or newlines their fields hold.
 */
export const signedString = (timestampText: string, request: SignedRequest): string =>
  [
    SIGNATURE_SCHEME_LABEL,
    request.platformId,
    timestampText,
    request.method.toUpperCase(),
    request.target,
    request.idempotencyKey ?? '',
    request.rawBody,
  ]
    .map((field) => `${utf8ToBytes(field).length}:${field}\n`)
    .join('');

/** Header value `t=<unix seconds>,v2=<64 lowercase hex HMAC-SHA256(secret, signedString)>`. */
export const signRequest = ({
  secret,
  timestamp,
  ...request
}: SignedRequest & { secret: string; timestamp: number }): string => {
  assertSecret(secret, 'secret');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ValidationError(
      'timestamp',
      `timestamp ${timestamp} must be whole unix seconds (Math.floor(Date.now() / 1000))`,
    );
  }
  return `t=${timestamp},v2=${bytesToHex(mac(secret, String(timestamp), request))}`;
};

/**
 * The authentication headers of one API request, signed now: what every client in this repo
 * sends (CLI, example backend, scripts, benches, tests). `url` is the full URL or the path with
 * its query; the Idempotency-Key, when given, is signed and returned as a header too.
 */
export const signedHeaders = ({
  secret,
  platformId,
  method,
  url,
  idempotencyKey,
  body = '',
  now = new Date(),
}: {
  secret: string;
  platformId: string;
  method: string;
  url: string;
  idempotencyKey?: string | undefined;
  body?: string;
  now?: Date;
}): Record<string, string> => {
  const parsed = new URL(url, 'http://tipstream.invalid');
  return {
    [PLATFORM_HEADER.toLowerCase()]: platformId,
    [SIGNATURE_HEADER.toLowerCase()]: signRequest({
      secret,
      timestamp: Math.floor(now.getTime() / 1000),
      platformId,
      method,
      target: signedTarget(parsed.pathname, parsed.search),
      idempotencyKey,
      rawBody: body,
    }),
    ...(idempotencyKey === undefined
      ? {}
      : { [IDEMPOTENCY_KEY_HEADER.toLowerCase()]: idempotencyKey }),
  };
};

/**
 * Verifies a `Tipstream-Signature` header against the request with any of the active secrets
 * (several during a rotation's grace period) and rejects timestamps outside the tolerance, past
 * or future. The header has exactly one accepted spelling (`parseSignatureHeader`).
 */
export const verifyRequestSignature = ({
  header,
  secrets,
  now,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  ...request
}: SignedRequest & {
  header: string | null | undefined;
  secrets: readonly string[];
  now: Date;
  toleranceSeconds?: number;
}): SignatureVerification => {
  // Configuration mistakes are the operator's, not the caller's: throw instead of answering 401.
  if (secrets.length === 0) {
    throw new ValidationError(
      'secrets',
      'no active signing secrets: configure at least one platform secret',
    );
  }
  secrets.forEach((secret, index) => {
    assertSecret(secret, `secrets[${index}]`);
  });
  if (!Number.isSafeInteger(toleranceSeconds) || toleranceSeconds < 0) {
    throw new ValidationError(
      'toleranceSeconds',
      `toleranceSeconds ${toleranceSeconds} must be a whole number of seconds, 0 or more`,
    );
  }
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new ValidationError('now', 'now is an invalid Date');

  const parsed = parseSignatureHeader(header);
  if (!parsed.ok) return parsed;
  const { timestampText, signature } = parsed;

  // The signature is checked before the clock: a sender with the wrong secret should hear that,
  // not chase clock skew, and a stale verdict then only ever concerns an authentic request.
  // Every secret is tried (no early exit), so the time taken does not say which one matched.
  let matchedSecretIndex = -1;
  secrets.forEach((secret, index) => {
    if (equalBytes(mac(secret, timestampText, request), signature) && matchedSecretIndex === -1) {
      matchedSecretIndex = index;
    }
  });
  if (matchedSecretIndex === -1) {
    return failure(
      'BAD_SIGNATURE',
      `${SIGNATURE_HEADER} does not match this request for this platform with any active secret: sign the v2 string (README "Authentication": label, platform, t, METHOD, target, Idempotency-Key, body, each as <byte length>:<value>\\n) with HMAC-SHA256 and your current platform secret; this request's method is "${request.method.toUpperCase()}", its target "${request.target}" and its Idempotency-Key "${(request.idempotencyKey ?? '').slice(0, 64)}"`,
    );
  }

  const timestamp = Number(timestampText);
  const skew = Math.floor(nowMs / 1000) - timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    const serverTime = new Date(Math.floor(nowMs / 1000) * 1000).toISOString();
    const direction = skew > 0 ? `${skew} seconds in the past` : `${-skew} seconds in the future`;
    return failure(
      'STALE_TIMESTAMP',
      `signature timestamp t=${timestamp} is ${direction}; server time is ${serverTime.replace('.000Z', 'Z')} and the tolerance is ${toleranceSeconds} seconds: sign each request when sending it and check the sender's clock`,
    );
  }
  return { ok: true, timestamp, matchedSecretIndex, macHex: bytesToHex(signature) };
};

/** Compares two byte arrays in time that depends only on their lengths, not their contents. */
export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) {
    difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
};

/** The one accepted spelling of the header: no spaces, `t=` first, one lowercase `v2=`. */
const CANONICAL_HEADER = /^t=(0|[1-9][0-9]{0,11}),v2=([0-9a-f]{64})$/;
const FORMAT = `expected exactly "t=<unix seconds>,v2=<64 lowercase hex chars>"`;

/** A header in its one accepted spelling, or why it is not. */
export type ParsedSignatureHeader =
  | { ok: true; timestampText: string; signature: Uint8Array }
  | { ok: false; code: 'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE'; message: string };

/**
 * Parses a `Tipstream-Signature` header. Exactly one spelling is accepted (`t=<unix seconds>`
 * without leading zeros, a comma, `v2=` and 64 lowercase hex chars; nothing else), so one signed
 * request cannot be sent as several different-looking ones. Anything else is refused with what is
 * wrong; never throws.
 */
export const parseSignatureHeader = (header: string | null | undefined): ParsedSignatureHeader => {
  if (typeof header !== 'string' || header.trim() === '') {
    return {
      ok: false,
      code: 'MISSING_SIGNATURE',
      message: `${SIGNATURE_HEADER} header is missing: sign the request and send "${SIGNATURE_HEADER}: t=<unix seconds>,v2=<64 lowercase hex HMAC-SHA256>"`,
    };
  }
  const canonical = CANONICAL_HEADER.exec(header);
  if (canonical?.[1] && canonical[2]) {
    return { ok: true, timestampText: canonical[1], signature: hexToBytes(canonical[2]) };
  }
  return { ok: false, code: 'MALFORMED_SIGNATURE', message: describeMalformed(header) };
};

/** Says what is wrong with a header that is not in the accepted spelling (never accepts). */
const describeMalformed = (header: string): string => {
  const quoted = (text: string) => JSON.stringify(text.slice(0, 20));
  if (/(^|[,\s])v1=/.test(header)) {
    return `${SIGNATURE_HEADER} v1 signatures are no longer accepted: sign with the v2 scheme (README "Authentication") and send ${FORMAT}`;
  }
  if (/\s/.test(header)) return `${SIGNATURE_HEADER} must not contain spaces: ${FORMAT}`;
  const elements = header.split(',');
  if (elements.length !== 2) {
    return `${SIGNATURE_HEADER} has ${elements.length} comma-separated elements; send exactly two, t= then v2=: ${FORMAT}`;
  }
  const [first = '', second = ''] = elements;
  if (!first.startsWith('t=')) {
    return `${SIGNATURE_HEADER} must start with t=<unix seconds>, got ${quoted(first)}: ${FORMAT}`;
  }
  const timestampText = first.slice(2);
  if (!/^(0|[1-9][0-9]{0,11})$/.test(timestampText)) {
    return `${SIGNATURE_HEADER} t=${quoted(timestampText)} is not unix seconds: send digits only, without leading zeros, e.g. t=1767225600`;
  }
  if (!second.startsWith('v2=')) {
    return `${SIGNATURE_HEADER} second element must be v2=<64 lowercase hex chars>, got ${quoted(second)}: ${FORMAT}`;
  }
  const value = second.slice(3);
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    return `${SIGNATURE_HEADER} v2 must be lowercase hex: send the HMAC as 64 lowercase hex chars`;
  }
  return `${SIGNATURE_HEADER} v2 must be 64 lowercase hex chars (a hex HMAC-SHA256), got ${value.length} chars`;
};

const mac = (secret: string, timestampText: string, request: SignedRequest): Uint8Array =>
  hmac(sha256, utf8ToBytes(secret), utf8ToBytes(signedString(timestampText, request)));

const assertSecret = (secret: unknown, field: string): void => {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new ValidationError(field, `${field} must be a non-empty string`);
  }
};

const failure = (code: SignatureFailureCode, message: string): SignatureVerification => ({
  ok: false,
  code,
  message,
});
