import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { acceptPayout } from '../../../shared/app/accept-payout.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import {
  IdempotencyKeyHeader,
  PayoutAcceptedSchema,
  problem,
  queryParam,
  WRITE_PROBLEMS,
} from '../schemas.js';
import { acceptedBatch, batchAnswer, parseJsonObject, requireIdempotencyKey } from './answers.js';

const route = createRoute({
  method: 'post',
  path: '/v1/payouts',
  operationId: 'createPayout',
  summary: 'Pay a payout file (CSV or JSON)',
  request: {
    headers: IdempotencyKeyHeader,
    query: z.object({
      allowPartial: queryParam('`true`: pay the valid rows, list the bad ones in `skipped`.'),
    }),
  },
  responses: {
    202: {
      description: 'The file, accepted as one batch; `Location` is its status.',
      content: { 'application/json': { schema: PayoutAcceptedSchema } },
    },
    ...WRITE_PROBLEMS,
    422: problem('Rows are not valid (`invalid-rows`, every row with its line).'),
  },
});

export const postPayout = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.valid('header')['idempotency-key']);
    const rawBody = c.get('rawBody');
    // A body whose Content-Type starts with text/csv is CSV; any other body is read as JSON.
    const file = (c.req.header('content-type') ?? '').startsWith('text/csv')
      ? { csv: rawBody }
      : { json: parseJsonObject(rawBody) };
    const { result, skipped } = await acceptPayout(
      {
        platform: c.get('platform'),
        idempotencyKey,
        file,
        allowPartial: c.req.query('allowPartial') === 'true',
      },
      deps,
    );
    const answer = batchAnswer(acceptedBatch(result));
    return c.json(
      { ...answer.body, ...(skipped.length > 0 ? { skipped } : {}) },
      202,
      answer.headers,
    );
  });
