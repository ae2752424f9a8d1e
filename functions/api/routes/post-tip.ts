import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { acceptTip } from '../../../shared/app/accept-tip.js';
import { tipStatusUrl } from '../../../shared/app/tip-status.js';
import type { ApiEnv } from '../authenticate.js';
import { ProblemError } from '../problems.js';
import type { ApiDeps } from '../runtime.js';
import { IdempotencyKeyHeader, problem, TipAcceptedSchema, WRITE_PROBLEMS } from '../schemas.js';
import { acceptedTip, parseJsonObject, requireIdempotencyKey } from './answers.js';

/** Fields Tipstream sets on the queue message: a platform may not send them. */
const TIPSTREAM_FIELDS = ['version', 'tipId', 'platformId', 'batchId', 'splitOf'];

const route = createRoute({
  method: 'post',
  path: '/v1/tips',
  operationId: 'createTip',
  summary: 'Send a tip',
  request: { headers: IdempotencyKeyHeader },
  responses: {
    202: {
      description: 'Accepted and enqueued; `Location` is its status.',
      content: { 'application/json': { schema: TipAcceptedSchema } },
    },
    ...WRITE_PROBLEMS,
    422: problem('The tip is not valid (`invalid-tip`), or above the per-tip maximum.'),
  },
});

export const postTip = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.valid('header')['idempotency-key']);
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
  });
