import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { acceptSplit } from '../../../shared/app/accept-split.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { IdempotencyKeyHeader, problem, SplitAcceptedSchema, WRITE_PROBLEMS } from '../schemas.js';
import { acceptedBatch, batchAnswer, parseJsonObject, requireIdempotencyKey } from './answers.js';

const route = createRoute({
  method: 'post',
  path: '/v1/splits',
  operationId: 'createSplit',
  summary: 'Split one payment across recipients (podcast:value)',
  request: { headers: IdempotencyKeyHeader },
  responses: {
    202: {
      description: 'The parts, accepted as one batch; `Location` is its status.',
      content: { 'application/json': { schema: SplitAcceptedSchema } },
    },
    ...WRITE_PROBLEMS,
    422: problem('The split request or its value block is not valid, or a part is refused.'),
  },
});

export const postSplit = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.valid('header')['idempotency-key']);
    const body = parseJsonObject(c.get('rawBody'));
    const { result, parts, belowMinimum } = await acceptSplit(
      { platform: c.get('platform'), idempotencyKey, body },
      deps,
    );
    const answer = batchAnswer(acceptedBatch(result));
    return c.json({ ...answer.body, parts, belowMinimum }, 202, answer.headers);
  });
