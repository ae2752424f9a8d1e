import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { PLATFORM_ID_PATTERN } from '../../shared/domain/ids.js';
import { activeSecrets } from '../../shared/domain/platform-secrets.js';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  IDEMPOTENCY_KEY_HEADER,
  PLATFORM_HEADER,
  SIGNATURE_HEADER,
  signedTarget,
  verifyRequestSignature,
} from '../../shared/domain/request-signature.js';
import type { PlatformRecord } from '../../shared/ports/intake.js';
import { ProblemError } from './problems.js';
import type { RouteMatch } from './route-match.js';
import type { ApiDeps } from './runtime.js';

/** What the authentication middleware hands every route. */
export interface ApiEnv {
  Variables: {
    /** The platform whose signature verified. */
    platform: PlatformRecord;
    /** The body exactly as signed (UTF-8). */
    rawBody: string;
  };
}

/** What `hono/aws-lambda` binds: the API Gateway event (absent when served locally). */
interface ApiBindings {
  event?: { rawPath?: string; rawQueryString?: string };
}

/** Verifies nothing: no platform has it (random per container, never stored). */
const NO_PLATFORM_SECRET = `tss_none_${randomBytes(32).toString('base64url')}`;

const UTF8_WITH_BOM = new TextDecoder('utf-8', { ignoreBOM: true });

const unauthorized = (type: string, detail: string) =>
  new ProblemError({ status: 401, type, title: 'Request not authenticated', detail });

/**
 * The request's path and raw query string, as the client signed them: on Lambda the event's own
 * `rawPath` and `rawQueryString` (a URL would re-encode them), locally the request URL's.
 */
const target = (url: string, event: { rawPath?: string; rawQueryString?: string } | undefined) => {
  const parsed = new URL(url);
  return {
    path: event?.rawPath ?? parsed.pathname,
    query: event?.rawQueryString ?? parsed.search.slice(1),
  };
};

/**
 * Every request: route (404/405 before anything else), size limit, platform, signature (v2: HMAC
 * over timestamp, platform, method, target, Idempotency-Key and raw body), replay record. An
 * unknown platform gets the very answer a bad signature gets.
 */
export const authenticate =
  (
    deps: ApiDeps,
    matchRoute: (method: string, path: string) => RouteMatch,
  ): MiddlewareHandler<ApiEnv> =>
  async (c, next) => {
    const method = c.req.method;
    const { path, query } = target(c.req.url, (c.env as ApiBindings | undefined)?.event);
    // One routing table for AWS and local runs: the HTTP API sends everything to `$default`.
    const route = matchRoute(method, path);
    if (!('routeKey' in route)) {
      throw new ProblemError(
        route.allowed.length > 0
          ? {
              status: 405,
              type: 'method-not-allowed',
              title: 'Method not allowed',
              detail: `${method} is not allowed on ${path}; use ${route.allowed.join(' or ')}`,
              headers: { allow: route.allowed.join(', ') },
            }
          : {
              status: 404,
              type: 'not-found',
              title: 'No such endpoint',
              detail: `${method} ${path} is not part of the Tipstream API (see /v1/openapi.json)`,
            },
      );
    }
    // The bytes as signed: a leading byte order mark stays (Request.text() would drop it).
    const rawBody = UTF8_WITH_BOM.decode(await c.req.arrayBuffer());
    const size = Buffer.byteLength(rawBody, 'utf8');
    const limit = deps.maxBodyBytes[route.routeKey] ?? deps.maxBodyBytes.default;
    if (size > limit) {
      throw new ProblemError({
        status: 413,
        type: 'body-too-large',
        title: 'Request body too large',
        detail: `the body is ${size} bytes; ${route.routeKey} accepts at most ${limit}`,
      });
    }
    const platformId = c.req.header(PLATFORM_HEADER);
    if (!platformId) {
      throw unauthorized(
        'missing-platform',
        `send your platform id in the ${PLATFORM_HEADER} header`,
      );
    }
    const now = deps.now();
    // An id no platform can have is never looked up (nor can it reach a key DynamoDB refuses):
    // it is answered like an unknown platform, after the same signature check.
    const platform = PLATFORM_ID_PATTERN.test(platformId)
      ? await deps.platforms.getPlatform(platformId)
      : undefined;
    const secrets = activeSecrets(platform?.secrets ?? [], now).map((entry) => entry.secret);
    const idempotencyKey = c.req.header(IDEMPOTENCY_KEY_HEADER);
    const verified = verifyRequestSignature({
      header: c.req.header(SIGNATURE_HEADER),
      platformId,
      method,
      target: signedTarget(path, query),
      idempotencyKey,
      rawBody,
      // An unknown platform (or one without an active secret) is checked against a secret nobody
      // has, so it gets the very answer a wrong signature gets: no platform ids learnt unsigned.
      secrets: secrets.length > 0 ? secrets : [NO_PLATFORM_SECRET],
      now,
    });
    if (!verified.ok)
      throw unauthorized(verified.code.toLowerCase().replaceAll('_', '-'), verified.message);
    if (!platform || secrets.length === 0) throw new Error('unreachable: no secret verified');
    // The Idempotency-Key is signed, so a captured request cannot come back as another tip; the
    // record (keyed on the verified MAC, never the header text) is a second line of defence.
    // Reads change nothing, so only writes are recorded.
    const seen =
      method === 'GET'
        ? 'fresh'
        : await deps.platforms.rememberSignature(
            platformId,
            verified.macHex,
            idempotencyKey ?? `${method} ${path}`,
            new Date(now.getTime() + 2 * DEFAULT_SIGNATURE_TOLERANCE_SECONDS * 1000),
          );
    if (seen === 'replay') {
      throw unauthorized(
        'replayed-request',
        'this signed request was already received with another Idempotency-Key; sign every request anew',
      );
    }
    c.set('platform', platform);
    c.set('rawBody', rawBody);
    await next();
  };
