import {
  BatchNotFoundError,
  InvalidRequestError,
  TipNotFoundError,
  WebhookDeliveryNotFoundError,
  WebhookEndpointNotFoundError,
} from '../../shared/app/errors.js';
import { WebhookEndpointLimitError } from '../../shared/app/webhook-endpoints.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { InvalidCursorError } from '../../shared/ports/activity.js';

/** RFC 9457 problem details: every error says what went wrong and what to fix. */
export interface Problem {
  status: number;
  /** Short stable slug, e.g. `invalid-signature`; becomes the `type` URI. */
  type: string;
  title: string;
  detail: string;
  /** Field or line level errors (payout rows, validation). */
  errors?: Array<{ field?: string; line?: number; message: string }>;
  headers?: Record<string, string>;
}

const PROBLEM_TYPE_BASE = 'https://tipstream.dev/problems/';

/** A problem as the response the API sends: `application/problem+json`. */
export const problemResponse = (p: Problem) =>
  new Response(
    JSON.stringify({
      type: `${PROBLEM_TYPE_BASE}${p.type}`,
      title: p.title,
      status: p.status,
      detail: p.detail,
      ...(p.errors ? { errors: p.errors } : {}),
    }),
    { status: p.status, headers: { 'content-type': 'application/problem+json', ...p.headers } },
  );

/** Thrown by middleware or a route to answer with a problem. */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/** 422 invalid-request, the answer to any request a use case cannot act on. */
const invalidRequest = (detail: string, errors?: Problem['errors']): Problem => ({
  status: 422,
  type: 'invalid-request',
  title: 'The request is not valid',
  detail,
  ...(errors ? { errors } : {}),
});

/** The problem for an error, or undefined for one nobody expected (a 500). */
const toProblem = (error: unknown): Problem | undefined => {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof InvalidRequestError) return invalidRequest(error.message, error.errors);
  // Domain rules broken by the input (value blocks, pubkeys, summary windows).
  if (error instanceof ValidationError) {
    return invalidRequest(error.message, [{ field: error.field, message: error.message }]);
  }
  if (error instanceof InvalidCursorError) {
    return invalidRequest(error.message, [{ field: 'cursor', message: error.message }]);
  }
  if (error instanceof TipNotFoundError) {
    return { status: 404, type: 'tip-not-found', title: 'No such tip', detail: error.message };
  }
  if (error instanceof BatchNotFoundError) {
    return { status: 404, type: 'batch-not-found', title: 'No such batch', detail: error.message };
  }
  if (error instanceof WebhookEndpointNotFoundError) {
    return {
      status: 404,
      type: 'webhook-endpoint-not-found',
      title: 'No such webhook endpoint',
      detail: error.message,
    };
  }
  if (error instanceof WebhookDeliveryNotFoundError) {
    return {
      status: 404,
      type: 'webhook-delivery-not-found',
      title: 'No such webhook delivery',
      detail: error.message,
    };
  }
  if (error instanceof WebhookEndpointLimitError) {
    return invalidRequest(error.message, [{ field: 'url', message: error.message }]);
  }
  return undefined;
};

/**
 * The one error mapper (Hono's onError): domain and use case errors become problems; anything
 * else is logged (with its cause) and answered 500, never with its message.
 */
export const mapError = (error: unknown, log: (error: unknown) => void): Response => {
  const known = toProblem(error);
  if (known) return problemResponse(known);
  log(error);
  return problemResponse({
    status: 500,
    type: 'internal-error',
    title: 'Internal error',
    detail: 'Tipstream could not handle the request; retry with the same Idempotency-Key',
  });
};
