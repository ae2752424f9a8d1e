import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { type AcceptTipResult, acceptTip, type IntakeDeps } from '../../shared/app/accept-tip.js';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  verifyRequestSignature,
} from '../../shared/domain/request-signature.js';
import type { PlatformRecord, PlatformStore } from '../../shared/ports/intake.js';
import { json, ProblemError, problem } from './http.js';
import { matchRoute, type RouteKey } from './routes.js';

export interface ApiDeps extends IntakeDeps {
  platforms: PlatformStore;
  /** Largest request body, bytes, per route (payout files are larger than tips). */
  maxBodyBytes: Partial<Record<RouteKey, number>> & { default: number };
}

export const DEFAULT_MAX_BODY_BYTES = { default: 16 * 1024, 'POST /v1/payouts': 2 * 1024 * 1024 };

interface Request {
  routeKey: RouteKey;
  pathParameters: Record<string, string>;
  headers: Record<string, string>;
  rawBody: string;
  platform: PlatformRecord;
}

const header = (event: APIGatewayProxyEventV2, name: string) => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};

const unauthorized = (type: string, detail: string) =>
  new ProblemError({ status: 401, type, title: 'Request not authenticated', detail });

/** Every request: route, size limit, platform, signature (HMAC over `t.rawBody`), replay check. */
const authenticate = async (event: APIGatewayProxyEventV2, deps: ApiDeps): Promise<Request> => {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  const route =
    event.routeKey && event.routeKey !== '$default'
      ? {
          routeKey: event.routeKey as RouteKey,
          pathParameters: Object.fromEntries(
            Object.entries(event.pathParameters ?? {}).map(([k, v]) => [k, v ?? '']),
          ),
        }
      : matchRoute(method, path);
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
            detail: `${method} ${path} is not part of the Tipstream API (see openapi.yaml)`,
          },
    );
  }
  const rawBody = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const limit = deps.maxBodyBytes[route.routeKey] ?? deps.maxBodyBytes.default;
  if (Buffer.byteLength(rawBody, 'utf8') > limit) {
    throw new ProblemError({
      status: 413,
      type: 'body-too-large',
      title: 'Request body too large',
      detail: `the body is ${Buffer.byteLength(rawBody, 'utf8')} bytes; ${route.routeKey} accepts at most ${limit}`,
    });
  }
  const platformId = header(event, 'Tipstream-Platform');
  if (!platformId) {
    throw unauthorized(
      'missing-platform',
      'send your platform id in the Tipstream-Platform header',
    );
  }
  const platform = await deps.platforms.getPlatform(platformId);
  if (!platform) {
    throw unauthorized(
      'unknown-platform',
      `no platform "${platformId}" is registered with this Tipstream`,
    );
  }
  const now = deps.now();
  const signature = header(event, 'Tipstream-Signature');
  const verified = verifyRequestSignature({
    header: signature,
    rawBody,
    secrets: platform.secrets.map((entry) => entry.secret),
    now,
  });
  if (!verified.ok)
    throw unauthorized(verified.code.toLowerCase().replaceAll('_', '-'), verified.message);
  // A captured request must not become a second tip while its timestamp is still fresh: the
  // signature does not cover the Idempotency-Key, so a signature seen with another key is refused.
  const seen = await deps.platforms.rememberSignature(
    platformId,
    signature ?? '',
    header(event, 'Idempotency-Key') ?? `${method} ${path}`,
    new Date(now.getTime() + 2 * DEFAULT_SIGNATURE_TOLERANCE_SECONDS * 1000),
  );
  if (seen === 'replay') {
    throw unauthorized(
      'replayed-request',
      'this signed request was already received with another Idempotency-Key; sign every request anew with the current timestamp (two identical bodies need a second apart, or a distinguishing field such as message)',
    );
  }
  return {
    routeKey: route.routeKey,
    pathParameters: route.pathParameters,
    headers: Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']),
    ),
    rawBody,
    platform,
  };
};

const parseJsonObject = (rawBody: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch (error) {
    throw new ProblemError({
      status: 400,
      type: 'malformed-json',
      title: 'Malformed JSON',
      detail: `the body is not valid JSON: ${(error as Error).message}`,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProblemError({
      status: 400,
      type: 'malformed-json',
      title: 'Malformed JSON',
      detail: 'the body must be a JSON object',
    });
  }
  return value as Record<string, unknown>;
};

const statusUrl = (tipId: string) => `/v1/tips/${encodeURIComponent(tipId)}`;

const answerAccepted = (result: AcceptTipResult): APIGatewayProxyStructuredResultV2 => {
  switch (result.kind) {
    case 'accepted':
      return json(
        202,
        { tipId: result.tipId, status: 'ACCEPTED', statusUrl: statusUrl(result.tipId) },
        {
          location: statusUrl(result.tipId),
          ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
        },
      );
    case 'invalid':
      return problem({
        status: 422,
        type: 'invalid-tip',
        title: 'The tip is not valid',
        detail: result.message,
        errors: [{ field: result.field, message: result.message }],
      });
    case 'conflict':
      return problem({
        status: 409,
        type: 'idempotency-conflict',
        title: 'Idempotency-Key reused',
        detail: result.message,
      });
    case 'over-budget':
      return problem({
        status: result.limit === 'per-tip' ? 422 : 429,
        type: `budget-${result.limit}`,
        title: 'Over budget',
        detail: result.message,
        headers: result.resetsAt
          ? {
              'retry-after': String(
                Math.max(1, Math.ceil((result.resetsAt.getTime() - Date.now()) / 1000)),
              ),
            }
          : {},
      });
  }
};

const routes: Partial<
  Record<RouteKey, (request: Request, deps: ApiDeps) => Promise<APIGatewayProxyStructuredResultV2>>
> = {
  'POST /v1/tips': async (request, deps) => {
    const key = request.headers['idempotency-key'];
    if (!key || key.length > 255) {
      throw new ProblemError({
        status: 400,
        type: 'missing-idempotency-key',
        title: 'Idempotency-Key required',
        detail:
          'send an Idempotency-Key header (1-255 characters) unique to this tip; retries reuse it',
      });
    }
    const body = parseJsonObject(request.rawBody);
    for (const field of ['version', 'tipId', 'platformId']) {
      if (field in body) {
        throw new ProblemError({
          status: 422,
          type: 'invalid-tip',
          title: 'The tip is not valid',
          detail: `${field} is set by Tipstream; remove it from the body`,
          errors: [{ field, message: 'not allowed in the request body' }],
        });
      }
    }
    return answerAccepted(
      await acceptTip({ platform: request.platform, idempotencyKey: key, body }, deps),
    );
  },

  'GET /v1/tips/{tipId}': async (request, deps) => {
    const tipId = request.pathParameters.tipId ?? '';
    const accepted = await deps.intake.getRequest(tipId);
    const tip = await deps.ledger.getTip(tipId);
    const owner = accepted?.platformId ?? tip?.platformId;
    if (!owner || owner !== request.platform.platformId) {
      throw new ProblemError({
        status: 404,
        type: 'tip-not-found',
        title: 'No such tip',
        detail: `platform ${request.platform.platformId} has no tip ${tipId}`,
      });
    }
    return json(200, {
      tipId,
      status: tip?.state ?? 'ACCEPTED',
      recipient:
        tip?.recipient ??
        (JSON.parse(accepted?.message ?? '{}') as { recipientPubkey?: string }).recipientPubkey,
      amountMsat: (tip?.amountMsat ?? accepted?.amountMsat ?? 0n).toString(),
      acceptedAt: accepted?.acceptedAt,
      updatedAt: tip?.updatedAt,
      attempts: tip?.attempt ?? 0,
      ...(tip?.state === 'FAILED'
        ? { failure: { code: tip.failureCode, reason: tip.failureReason } }
        : {}),
      ...(tip?.receipt ? { receipt: JSON.parse(tip.receipt) } : {}),
    });
  },
};

/** The API handler: API Gateway HTTP API (payload v2) events in, JSON or problem+json out. */
export const makeApiHandler =
  (deps: ApiDeps) =>
  async (
    event: APIGatewayProxyEventV2,
    _context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const request = await authenticate(event, deps);
      const route = routes[request.routeKey];
      if (!route) {
        throw new ProblemError({
          status: 501,
          type: 'not-implemented',
          title: 'Not implemented yet',
          detail: `${request.routeKey} is not implemented in this version`,
        });
      }
      return await route(request, deps);
    } catch (error) {
      if (error instanceof ProblemError) return problem(error.problem);
      console.error(error);
      return problem({
        status: 500,
        type: 'internal-error',
        title: 'Internal error',
        detail: 'Tipstream could not handle the request; retry with the same Idempotency-Key',
      });
    }
  };

let handlerInstance: ReturnType<typeof makeApiHandler> | undefined;

/** Lambda entry point (API Gateway HTTP API, payload format 2.0). */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const { createApiDeps } = await import('./runtime.js');
  handlerInstance ??= makeApiHandler(createApiDeps());
  return handlerInstance(event, context);
};
