import { randomBytes } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { InvalidCursorError } from '../../shared/adapters/dynamodb/payout-history.js';
import type { BatchSummary } from '../../shared/adapters/dynamodb/platform-activity.js';
import {
  type AcceptBatchResult,
  acceptBatch,
  type BatchRow,
} from '../../shared/app/accept-batch.js';
import {
  type AcceptTipResult,
  acceptTip,
  budgetReservations,
} from '../../shared/app/accept-tip.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { parsePayoutCsv, parsePayoutJson } from '../../shared/domain/payout-file.js';
import { activeSecrets } from '../../shared/domain/platform-secrets.js';
import {
  parseSummaryWindow,
  summarizeTips,
  summaryWindow,
} from '../../shared/domain/platform-summary.js';
import { parseNodePubkey } from '../../shared/domain/pubkey.js';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  IDEMPOTENCY_KEY_HEADER,
  PLATFORM_HEADER,
  SIGNATURE_HEADER,
  signedTarget,
  verifyRequestSignature,
} from '../../shared/domain/request-signature.js';
import {
  parseSplitList,
  parseValueBlockJson,
  parseValueBlockXml,
  splitValue,
  type ValueRecipient,
} from '../../shared/domain/value-split.js';
import type { PlatformRecord } from '../../shared/ports/intake.js';
import { json, ProblemError, problem } from './http.js';
import { matchRoute, type RouteKey } from './routes.js';
import type { ApiDeps } from './runtime.js';

interface Request {
  routeKey: RouteKey;
  pathParameters: Record<string, string>;
  headers: Record<string, string>;
  query: URLSearchParams;
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

/** Verifies nothing: no platform has it (random per container, never stored). */
const NO_PLATFORM_SECRET = `tss_none_${randomBytes(32).toString('base64url')}`;

const unauthorized = (type: string, detail: string) =>
  new ProblemError({ status: 401, type, title: 'Request not authenticated', detail });

/**
 * Every request: route, size limit, platform, signature (v2: HMAC over timestamp, platform,
 * method, target, Idempotency-Key and raw body), replay record.
 */
const authenticate = async (event: APIGatewayProxyEventV2, deps: ApiDeps): Promise<Request> => {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
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
  const platformId = header(event, PLATFORM_HEADER);
  if (!platformId) {
    throw unauthorized(
      'missing-platform',
      `send your platform id in the ${PLATFORM_HEADER} header`,
    );
  }
  const now = deps.now();
  const platform = await deps.platforms.getPlatform(platformId);
  const secrets = activeSecrets(platform?.secrets ?? [], now).map((entry) => entry.secret);
  const idempotencyKey = header(event, IDEMPOTENCY_KEY_HEADER);
  const verified = verifyRequestSignature({
    header: header(event, SIGNATURE_HEADER),
    platformId,
    method,
    target: signedTarget(path, event.rawQueryString ?? ''),
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
  return {
    routeKey: route.routeKey,
    pathParameters: route.pathParameters,
    headers: Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']),
    ),
    query: new URLSearchParams(event.rawQueryString ?? ''),
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

/** 409 for an Idempotency-Key reused with another body. */
const conflictProblem = (detail: string) =>
  problem({ status: 409, type: 'idempotency-conflict', title: 'Idempotency-Key reused', detail });

/** 422 for the per-tip maximum, 429 with Retry-After for a budget window. */
const budgetProblem = (result: { limit: string; message: string; resetsAt?: Date }) =>
  problem({
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
      return conflictProblem(result.message);
    case 'over-budget':
      return budgetProblem(result);
  }
};

const requireIdempotencyKey = (request: Request) => {
  const key = request.headers['idempotency-key'];
  if (!key || key.length > 255) {
    throw new ProblemError({
      status: 400,
      type: 'missing-idempotency-key',
      title: 'Idempotency-Key required',
      detail:
        'send an Idempotency-Key header (1-255 characters) unique to this request; retries reuse it',
    });
  }
  return key;
};

const answerBatch = (
  result: AcceptBatchResult,
  extra: Record<string, unknown> = {},
): APIGatewayProxyStructuredResultV2 => {
  switch (result.kind) {
    case 'accepted': {
      const url = `/v1/payouts/${encodeURIComponent(result.batchId)}`;
      return json(
        202,
        {
          batchId: result.batchId,
          status: 'ACCEPTED',
          rows: result.tipIds.length,
          totalMsat: result.totalMsat.toString(),
          statusUrl: url,
          ...extra,
        },
        { location: url, ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}) },
      );
    }
    case 'invalid':
      return problem({
        status: 422,
        type: 'invalid-rows',
        title: 'Some rows are not valid',
        detail: `${result.errors.length} row(s) have problems; nothing was enqueued (fix them, or send allowPartial=true to pay the valid rows)`,
        errors: result.errors,
      });
    case 'conflict':
      return conflictProblem(result.message);
    case 'over-budget':
      return budgetProblem(result);
  }
};

/**
 * A batch's counts and msat by outcome; DONE once every row has succeeded or failed, INCOMPLETE
 * while some rows are not recorded (never DONE then: those rows would be holes).
 */
const batchProgress = (batch: BatchSummary) => {
  const pending = batch.rowCount - batch.succeededCount - batch.failedCount;
  return {
    batchId: batch.batchId,
    kind: batch.kind,
    status: !batch.rowsWritten ? 'INCOMPLETE' : pending <= 0 ? 'DONE' : 'IN_PROGRESS',
    acceptedAt: batch.acceptedAt,
    counts: {
      total: batch.rowCount,
      succeeded: batch.succeededCount,
      failed: batch.failedCount,
      pending: Math.max(0, pending),
    },
    msat: {
      total: batch.totalMsat.toString(),
      succeeded: batch.succeededMsat.toString(),
      failed: batch.failedMsat.toString(),
      pending: (batch.totalMsat - batch.succeededMsat - batch.failedMsat).toString(),
      fees: batch.feeMsat.toString(),
    },
  };
};

/** `limit` as the list routes read it: a whole 1-100, 25 when absent or not a number. */
const pageLimit = (query: URLSearchParams) =>
  Math.min(100, Math.max(1, Math.floor(Number(query.get('limit') ?? 25)) || 25));

/** 422 for a cursor this API did not hand out. */
const cursorProblem = (error: unknown): never => {
  if (!(error instanceof InvalidCursorError)) throw error;
  throw new ProblemError({
    status: 422,
    type: 'invalid-request',
    title: 'The request is not valid',
    detail: error.message,
    errors: [{ field: 'cursor', message: error.message }],
  });
};

const invalid = (error: unknown): never => {
  if (error instanceof ValidationError) {
    throw new ProblemError({
      status: 422,
      type: 'invalid-request',
      title: 'The request is not valid',
      detail: error.message,
      errors: [{ field: error.field, message: error.message }],
    });
  }
  throw error;
};

const routes: Partial<
  Record<RouteKey, (request: Request, deps: ApiDeps) => Promise<APIGatewayProxyStructuredResultV2>>
> = {
  'POST /v1/tips': async (request, deps) => {
    const key = requireIdempotencyKey(request);
    const body = parseJsonObject(request.rawBody);
    for (const field of ['version', 'tipId', 'platformId', 'batchId', 'splitOf']) {
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

  'POST /v1/payouts': async (request, deps) => {
    const key = requireIdempotencyKey(request);
    const isCsv = (request.headers['content-type'] ?? '').startsWith('text/csv');
    const policy = {
      maxMsat: deps.policy.maxTipMsat,
      allowMsat: deps.policy.allowMsat,
      maxRows: 10_000,
      customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
    };
    let allowPartial = request.query.get('allowPartial') === 'true';
    let file: ReturnType<typeof parsePayoutCsv>;
    if (isCsv) {
      file = parsePayoutCsv(request.rawBody, policy);
    } else {
      const { allowPartial: partial, ...envelope } = parseJsonObject(request.rawBody);
      allowPartial ||= partial === true;
      file = parsePayoutJson(envelope, policy);
    }
    if (file.errors.length > 0 && (!allowPartial || file.rows.length === 0)) {
      return answerBatch({ kind: 'invalid', errors: file.errors });
    }
    const rows: BatchRow[] = file.rows.map((row) => ({
      line: row.line,
      body: {
        recipientPubkey: row.recipient,
        amountMsat: row.amountMsat.toString(),
        ...(row.memo ? { message: row.memo } : {}),
        ...(row.customRecord ? { customRecord: row.customRecord } : {}),
      },
    }));
    const result = await acceptBatch(
      { platform: request.platform, idempotencyKey: key, kind: 'payout', rows },
      deps,
    );
    return answerBatch(result, file.errors.length > 0 ? { skipped: file.errors } : {});
  },

  'POST /v1/splits': async (request, deps) => {
    const key = requireIdempotencyKey(request);
    const body = parseJsonObject(request.rawBody);
    const {
      amountMsat,
      valueBlock,
      recipients,
      boostagram,
      message,
      senderName,
      minPartMsat,
      ...rest
    } = body;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) {
      throw new ProblemError({
        status: 422,
        type: 'invalid-request',
        title: 'The request is not valid',
        detail: `unknown field(s) ${unknown.join(', ')}; a split takes amountMsat, valueBlock or recipients, boostagram, message, senderName, minPartMsat`,
      });
    }
    let list: ValueRecipient[] = [];
    try {
      list =
        typeof valueBlock === 'string'
          ? parseValueBlockXml(valueBlock)
          : valueBlock !== undefined
            ? parseValueBlockJson(valueBlock)
            : parseSplitList(recipients);
    } catch (error) {
      invalid(error);
    }
    const wholeMsat = (value: unknown): bigint | undefined =>
      (typeof value === 'number' && Number.isSafeInteger(value)) ||
      (typeof value === 'string' && /^[0-9]{1,20}$/.test(value))
        ? BigInt(value)
        : undefined;
    const total = wholeMsat(amountMsat) ?? -1n;
    if (total <= 0n || (!deps.policy.allowMsat && total % 1000n !== 0n)) {
      throw new ProblemError({
        status: 422,
        type: 'invalid-request',
        title: 'The request is not valid',
        detail:
          'amountMsat must be a whole number of sats (a multiple of 1000 msat) greater than 0',
        errors: [{ field: 'amountMsat', message: 'must be a whole number of sats greater than 0' }],
      });
    }
    if (minPartMsat !== undefined && wholeMsat(minPartMsat) === undefined) {
      throw new ProblemError({
        status: 422,
        type: 'invalid-request',
        title: 'The request is not valid',
        detail: 'minPartMsat must be a whole number of msat',
        errors: [{ field: 'minPartMsat', message: 'must be a whole number of msat' }],
      });
    }
    // Without msat payments the split is made in whole sats, so every part is payable and the
    // parts still add up to the total exactly.
    const unit = deps.policy.allowMsat ? 1n : 1000n;
    const minimum = wholeMsat(minPartMsat) ?? 1000n;
    let split: ReturnType<typeof splitValue>;
    try {
      split = splitValue(total / unit, list, { minPartMsat: (minimum + unit - 1n) / unit });
    } catch (error) {
      return invalid(error);
    }
    const extraBoost = typeof boostagram === 'object' && boostagram !== null ? boostagram : {};
    const rows: BatchRow[] = split.parts.map((part) => ({
      line: part.index + 1,
      part: { index: part.index, count: list.length },
      body: {
        recipientPubkey: part.recipient.address,
        amountMsat: (part.amountMsat * unit).toString(),
        // bLIP-10: every part carries the whole boost, so each recipient sees what was sent.
        boostagram: {
          action: 'boost',
          ...extraBoost,
          value_msat_total: Number(total),
          ...(part.recipient.name ? { name: part.recipient.name } : {}),
          ...(typeof message === 'string' ? { message } : {}),
        },
        ...(typeof senderName === 'string' ? { senderName } : {}),
        ...(part.recipient.customKey && part.recipient.customValue
          ? { customRecord: { type: part.recipient.customKey, value: part.recipient.customValue } }
          : {}),
      },
    }));
    const result = await acceptBatch(
      { platform: request.platform, idempotencyKey: key, kind: 'split', rows },
      deps,
    );
    const parts = split.parts.map((part, i) => ({
      tipId: result.kind === 'accepted' ? result.tipIds[i] : undefined,
      recipient: part.recipient.address,
      name: part.recipient.name,
      fee: part.recipient.fee,
      amountMsat: (part.amountMsat * unit).toString(),
    }));
    const belowMinimum = split.belowMinimum.map((part) => ({
      recipient: part.recipient.address,
      name: part.recipient.name,
      amountMsat: (part.amountMsat * unit).toString(),
      reason: `below the minimum part of ${minimum} msat: not paid`,
    }));
    return answerBatch(result, { parts, belowMinimum });
  },

  'GET /v1/payouts/{batchId}': async (request, deps) => {
    const batchId = request.pathParameters.batchId ?? '';
    const batch = await deps.intake.getBatch(batchId);
    if (!batch || batch.platformId !== request.platform.platformId) {
      throw new ProblemError({
        status: 404,
        type: 'batch-not-found',
        title: 'No such batch',
        detail: `platform ${request.platform.platformId} has no payout batch ${batchId}`,
      });
    }
    const body: Record<string, unknown> = batchProgress(batch);
    if (body.status === 'INCOMPLETE') {
      const recorded = (await deps.intake.listBatchRequests(batchId)).length;
      const unrecorded = Math.max(0, batch.rowCount - recorded);
      body.incomplete = {
        unrecordedRows: unrecorded,
        detail: `incomplete: ${unrecorded} of ${batch.rowCount} rows not recorded (the request that submitted this ${batch.kind} did not finish, or is still running); retry the request with the same Idempotency-Key and body: the retry records and pays only what is missing`,
      };
    }
    if (body.status === 'DONE') {
      const requests = await deps.intake.listBatchRequests(batchId);
      const tips = await deps.ledger.getTips(requests.map((row) => row.tipId));
      body.rows = requests
        .map((row) => {
          const tip = tips.get(row.tipId);
          return {
            line: row.line,
            tipId: row.tipId,
            recipient: tip?.recipient,
            amountMsat: row.amountMsat.toString(),
            status: tip?.state ?? 'ACCEPTED',
            feeMsat: tip?.feeMsat?.toString(),
            paymentHash: tip?.paymentHash,
            ...(tip?.state === 'FAILED' ? { reason: tip.failureReason } : {}),
          };
        })
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    }
    return json(200, body);
  },

  'GET /v1/recipients/{pubkey}/payouts': async (request, deps) => {
    let pubkey: string;
    try {
      pubkey = parseNodePubkey(request.pathParameters.pubkey ?? '', 'pubkey');
    } catch (error) {
      return invalid(error);
    }
    const query = request.query;
    const limit = pageLimit(query);
    const platformId = request.platform.platformId;
    const page = await deps.history
      .list(platformId, pubkey, { limit, cursor: query.get('cursor') ?? undefined })
      .catch(cursorProblem);
    return json(200, {
      recipient: pubkey,
      totals: await deps.history.totals(platformId, pubkey),
      payouts: page.payouts,
      ...(page.cursor
        ? { next: `/v1/recipients/${pubkey}/payouts?limit=${limit}&cursor=${page.cursor}` }
        : {}),
    });
  },

  'GET /v1/tips': async (request, deps) => {
    const limit = pageLimit(request.query);
    const page = await deps.activity
      .listTips(request.platform.platformId, {
        limit,
        cursor: request.query.get('cursor') ?? undefined,
      })
      .catch(cursorProblem);
    return json(200, {
      tips: page.tips.map((tip) => ({
        tipId: tip.tipId,
        status: tip.state,
        recipient: tip.recipient,
        amountMsat: tip.amountMsat,
        ...(tip.feeMsat !== undefined ? { feeMsat: tip.feeMsat } : {}),
        createdAt: tip.createdAt,
        updatedAt: tip.updatedAt,
        ...(tip.settledAt ? { settledAt: tip.settledAt } : {}),
        attempts: tip.attempt,
        ...(tip.state === 'FAILED'
          ? { failure: { code: tip.failureCode, reason: tip.failureReason } }
          : {}),
        ...(tip.batchId ? { batchId: tip.batchId } : {}),
        statusUrl: statusUrl(tip.tipId),
      })),
      ...(page.cursor ? { next: `/v1/tips?limit=${limit}&cursor=${page.cursor}` } : {}),
    });
  },

  'GET /v1/summary': async (request, deps) => {
    let name: ReturnType<typeof parseSummaryWindow>;
    try {
      name = parseSummaryWindow(request.query.get('window'));
    } catch (error) {
      return invalid(error);
    }
    const platformId = request.platform.platformId;
    const window = summaryWindow(name, deps.now());
    const [today] = budgetReservations(request.platform, deps.policy, deps.now());
    if (!today) throw new Error('no platform budget window');
    const [{ tips, truncated }, batches, budgetUsed] = await Promise.all([
      deps.activity.tipsSince(platformId, window.from, window.to),
      deps.activity.batchesSince(platformId, window.from),
      deps.intake.getBudgetUsed(today.key),
    ]);
    const summary = summarizeTips(tips, window);
    return json(200, {
      platformId,
      window: {
        name: window.name,
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        bucket: window.bucket,
      },
      ...summary,
      failures: summary.failures.map((failure) => ({
        ...failure,
        statusUrl: statusUrl(failure.tipId),
      })),
      runningBatches: batches
        .map(batchProgress)
        .filter((batch) => batch.status !== 'DONE')
        .slice(0, 20),
      budget: {
        limitMsat: today.limitMsat.toString(),
        usedMsat: budgetUsed.toString(),
        resetsAt: today.resetsAt.toISOString(),
      },
      truncated,
    });
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
