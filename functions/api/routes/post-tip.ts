import { createRoute } from '@hono/zod-openapi';
import { acceptTip } from '../../../shared/app/accept-tip.js';
import { tipStatusUrl } from '../../../shared/app/tip-status.js';
import { ProblemError } from '../problems.js';
import { TipAcceptedSchema } from '../schemas/answers.js';
import { IdempotencyKeyHeader, WRITTEN } from '../schemas/headers.js';
import { problem, TipProblem422, WRITE_PROBLEMS } from '../schemas/problems.js';
import { TIPSTREAM_FIELDS, TipRequest } from '../schemas/requests.js';
import { acceptedTip, parseJsonObject, requireIdempotencyKey } from './answers.js';
import { apiRoute } from './route.js';

export const postTip = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/tips',
    tags: ['Tips'],
    operationId: 'createTip',
    summary: 'Send a tip',
    description:
      "Validates the tip, reserves it against the platform's daily budget and the operator's hourly budget, and enqueues it. The tip id is derived from the platform and the `Idempotency-Key`. The body is not checked for a content type: it must be a JSON object.",
    request: {
      headers: IdempotencyKeyHeader,
      body: { required: true, content: { 'application/json': { schema: TipRequest } } },
    },
    responses: {
      202: {
        description: 'Accepted and enqueued (or a retry of an accepted tip).',
        headers: WRITTEN,
        content: { 'application/json': { schema: TipAcceptedSchema } },
      },
      ...WRITE_PROBLEMS,
      422: problem(
        "The tip is not valid (`invalid-tip`, with `errors[0].field`), or its amount is above the operator's per-tip maximum (`budget-per-tip`, no `errors`).",
        TipProblem422,
      ),
    },
  }),
  (deps) => async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.header('idempotency-key'));
    const body = parseJsonObject(c.get('rawBody'));
    for (const field of TIPSTREAM_FIELDS) {
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
    const { tipId, replayed } = acceptedTip(
      await acceptTip({ platform: c.get('platform'), idempotencyKey, body }, deps),
    );
    const statusUrl = tipStatusUrl(tipId);
    return c.json({ tipId, status: 'ACCEPTED' as const, statusUrl }, 202, {
      location: statusUrl,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
);
