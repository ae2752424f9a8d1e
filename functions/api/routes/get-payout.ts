import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getBatchStatus } from '../../../shared/app/batch-status.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { BatchStatusSchema, COMMON_PROBLEMS, problem } from '../schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/payouts/{batchId}',
  operationId: 'getPayout',
  summary: "A payout batch's or split's progress",
  request: { params: z.object({ batchId: z.string().openapi({ description: 'The batch id.' }) }) },
  responses: {
    200: {
      description: 'Counts and msat by outcome; every row once DONE; what to do if INCOMPLETE.',
      content: { 'application/json': { schema: BatchStatusSchema } },
    },
    ...COMMON_PROBLEMS,
    404: problem('The platform has no such batch (`batch-not-found`).'),
  },
});

export const getPayout = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const { platformId } = c.get('platform');
    const status = await getBatchStatus(
      { platformId, batchId: c.req.valid('param').batchId },
      deps,
    );
    return c.json(status, 200);
  });
