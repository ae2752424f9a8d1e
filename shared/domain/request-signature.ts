import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ValidationError } from './errors.js';

/** HTTP header that carries a platform's request signature. */
export const SIGNATURE_HEADER = 'Tipstream-Signature';
/** How far a signature's timestamp may be from the server clock, either way, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
/** Most `v1=` entries one header may carry (one per secret during a rotation is plenty). */
export const MAX_SIGNATURES_PER_HEADER = 8;

/** Why a request signature was refused. */
export type SignatureFailureCode =
  | 'MISSING_SIGNATURE'
  | 'MALFORMED_SIGNATURE'
  | 'STALE_TIMESTAMP'
  | 'BAD_SIGNATURE';

/** Outcome of verifying a request signature. */
export type SignatureVerification =
  | { ok: true; timestamp: number; matchedSecretIndex: number }
  | { ok: false; code: SignatureFailureCode; message: string };

/** What a signature covers besides the timestamp: the method, the route and the exact body. */
export interface SignedRequest {
  /** HTTP method, any case (signed upper-case). */
  method: string;
  /** `signedTarget(path, query)`: the path from `/v1/` on, with the raw query string if any. */
  target: string;
  rawBody: string;
}

/**
 * The request target a signature covers: the percent-decoded URL path from `/v1/` on (so a
 * gateway's base path, stage prefix or path decoding does not matter), then `?` and the raw query
 * string when there is one. Both
 * sides compute it the same way; the query is signed exactly as sent, not re-ordered.
 */
export const signedTarget = (path: string, query = ''): string => {
  // Percent-decoded: a client may send `local-dev%3Atip` or `local-dev:tip`, and a gateway may
  // hand the path over decoded; both sides sign the decoded form (malformed escapes as sent).
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {}
  const start = decoded.indexOf('/v1/');
  const route = start === -1 ? decoded : decoded.slice(start);
  const rawQuery = query.startsWith('?') ? query.slice(1) : query;
  return rawQuery ? `${route}?${rawQuery}` : route;
};

/**
 * Header value `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<target>.<body>")>`.
 * Method and target are signed so that a captured signature cannot be replayed on another route.
 */
export const signRequest = ({
  secret,
  timestamp,
  method,
  target,
  rawBody,
}: SignedRequest & {
  secret: string;
  timestamp: number;
}): string => {
  assertSecret(secret, 'secret');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ValidationError(
      'timestamp',
      `timestamp ${timestamp} must be whole unix seconds (Math.floor(Date.now() / 1000))`,
    );
  }
  return `t=${timestamp},v1=${bytesToHex(mac(secret, String(timestamp), { method, target, rawBody }))}`;
};

/**
 * Verifies a `Tipstream-Signature` header against the method, target and raw body with any of the
 * active secrets (several during a rotation) and rejects timestamps outside the tolerance, past
 * or future.
 */
export const verifyRequestSignature = ({
  header,
  method,
  target,
  rawBody,
  secrets,
  now,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
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

  if (header === undefined || header === null || header.trim() === '') {
    return failure(
      'MISSING_SIGNATURE',
      `${SIGNATURE_HEADER} header is missing: sign the request body and send "${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>"`,
    );
  }
  const parsed = parseHeader(header);
  if (!parsed.ok) return failure('MALFORMED_SIGNATURE', parsed.message);
  const { timestampText, signatures } = parsed;

  // The signature is checked before the clock: a sender with the wrong secret should hear that,
  // not chase clock skew, and a stale verdict then only ever concerns an authentic request.
  const expected = secrets.map((secret) => mac(secret, timestampText, { method, target, rawBody }));
  let matchedSecretIndex = -1;
  expected.forEach((candidate, index) => {
    const matches = signatures.some((signature) => equalBytes(candidate, signature));
    if (matches && matchedSecretIndex === -1) matchedSecretIndex = index;
  });
  if (matchedSecretIndex === -1) {
    return failure(
      'BAD_SIGNATURE',
      `${SIGNATURE_HEADER} does not match this request with any active secret: sign "<t>.<METHOD>.<target>.<raw body>" with HMAC-SHA256 and your current platform secret, where this request's method and target are "${method.toUpperCase()}" and "${target}"`,
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
  return { ok: true, timestamp, matchedSecretIndex };
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

type ParsedHeader =
  | { ok: true; timestampText: string; signatures: Uint8Array[] }
  | { ok: false; message: string };

const FORMAT = `expected "t=<unix seconds>,v1=<64 hex chars>"`;

const parseHeader = (header: string): ParsedHeader => {
  let timestampText: string | undefined;
  const signatures: Uint8Array[] = [];
  for (const element of header.split(',')) {
    const separator = element.indexOf('=');
    if (separator === -1) {
      return {
        ok: false,
        message: `${SIGNATURE_HEADER} element "${element.trim().slice(0, 20)}" has no "=": ${FORMAT}`,
      };
    }
    const key = element.slice(0, separator).trim();
    const value = element.slice(separator + 1).trim();
    if (key === 't') {
      if (timestampText !== undefined) {
        return {
          ok: false,
          message: `${SIGNATURE_HEADER} has more than one t=: send one timestamp`,
        };
      }
      if (!/^[0-9]{1,12}$/.test(value)) {
        return {
          ok: false,
          message: `${SIGNATURE_HEADER} t="${value.slice(0, 20)}" is not unix seconds: send digits only, e.g. t=1767225600`,
        };
      }
      timestampText = value;
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) {
        return {
          ok: false,
          message: `${SIGNATURE_HEADER} v1 must be 64 hex chars (a hex HMAC-SHA256), got ${value.length} chars`,
        };
      }
      signatures.push(hexToBytes(value.toLowerCase()));
    }
    // Other keys (future schemes such as v2) are ignored so senders can add them before we do.
  }
  if (timestampText === undefined) {
    return { ok: false, message: `${SIGNATURE_HEADER} has no t= timestamp: ${FORMAT}` };
  }
  if (signatures.length === 0) {
    return { ok: false, message: `${SIGNATURE_HEADER} has no v1= signature: ${FORMAT}` };
  }
  if (signatures.length > MAX_SIGNATURES_PER_HEADER) {
    return {
      ok: false,
      message: `${SIGNATURE_HEADER} has ${signatures.length} v1= signatures, more than ${MAX_SIGNATURES_PER_HEADER}: send one per secret you are rotating`,
    };
  }
  return { ok: true, timestampText, signatures };
};

const mac = (secret: string, timestampText: string, request: SignedRequest): Uint8Array =>
  hmac(
    sha256,
    utf8ToBytes(secret),
    utf8ToBytes(
      `${timestampText}.${request.method.toUpperCase()}.${request.target}.${request.rawBody}`,
    ),
  );

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
