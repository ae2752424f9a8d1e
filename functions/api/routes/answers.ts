import type { AcceptBatchResult } from '../../../shared/app/accept-batch.js';
import type { AcceptTipResult } from '../../../shared/app/accept-tip.js';
import { ProblemError } from '../problems.js';

// What the write routes share: the Idempotency-Key, the JSON body, and the problems of a refused
// tip or batch (thrown, so the one error mapper answers them).

/** The request's Idempotency-Key: 1-255 characters, or 400. */
export const requireIdempotencyKey = (key: string | undefined) => {
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

/** The body as a JSON object, or 400 malformed-json. */
export const parseJsonObject = (rawBody: string): Record<string, unknown> => {
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

/** `limit` as the list routes read it: a whole 1-100, 25 when absent or not a number. */
export const pageLimit = (raw: string | undefined) =>
  Math.min(100, Math.max(1, Math.floor(Number(raw ?? 25)) || 25));

/** 409 for an Idempotency-Key reused with another body. */
export const conflict = (detail: string) =>
  new ProblemError({
    status: 409,
    type: 'idempotency-conflict',
    title: 'Idempotency-Key reused',
    detail,
  });

/** 422 for the per-tip maximum, 429 with Retry-After for a budget window. */
const overBudget = (result: { limit: string; message: string; resetsAt?: Date }) =>
  new ProblemError({
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

/**
 * The accepted result, or the problem that refused it: conflicts and budgets are answered alike
 * for tips and batches; `invalid` says how this kind of request was invalid.
 */
const acceptedOr =
  <R extends AcceptTipResult | AcceptBatchResult>(
    invalid: (result: R & { kind: 'invalid' }) => ProblemError,
  ) =>
  (result: R): R & { kind: 'accepted' } => {
    switch (result.kind) {
      case 'accepted':
        return result as R & { kind: 'accepted' };
      case 'invalid':
        throw invalid(result as R & { kind: 'invalid' });
      case 'conflict':
        throw conflict(result.message);
      case 'over-budget':
        throw overBudget(result);
    }
    throw new Error(`unknown result ${(result as { kind: string }).kind}`);
  };

/** The accepted tip, or the problem that refused it. */
export const acceptedTip = acceptedOr<AcceptTipResult>(
  (result) =>
    new ProblemError({
      status: 422,
      type: 'invalid-tip',
      title: 'The tip is not valid',
      detail: result.message,
      errors: [{ field: result.field, message: result.message }],
    }),
);

/** The accepted batch, or the problem that refused it. */
export const acceptedBatch = acceptedOr<AcceptBatchResult>(
  (result) =>
    new ProblemError({
      status: 422,
      type: 'invalid-rows',
      title: 'Some rows are not valid',
      detail: `${result.errors.length} row(s) have problems; nothing was enqueued (fix them, or send allowPartial=true to pay the valid rows)`,
      errors: result.errors,
    }),
);

/** What every accepted batch answers, and its headers. */
export const batchAnswer = (batch: Extract<AcceptBatchResult, { kind: 'accepted' }>) => {
  const statusUrl = `/v1/payouts/${encodeURIComponent(batch.batchId)}`;
  return {
    body: {
      batchId: batch.batchId,
      status: 'ACCEPTED' as const,
      rows: batch.tipIds.length,
      totalMsat: batch.totalMsat.toString(),
      statusUrl,
    },
    headers: {
      location: statusUrl,
      ...(batch.replayed ? { 'idempotent-replayed': 'true' } : {}),
    },
  };
};

/** A value as JSON carries it: bigints (msat amounts) become decimal strings. */
type BigintsAsStrings<T> = T extends bigint
  ? string
  : T extends Array<infer U>
    ? BigintsAsStrings<U>[]
    : T extends object
      ? { [K in keyof T]: BigintsAsStrings<T[K]> }
      : T;

export const withBigintsAsStrings = <T>(value: T): BigintsAsStrings<T> =>
  JSON.parse(
    JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item)),
  );
