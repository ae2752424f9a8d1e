import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { listRecipientPayouts } from '../../../shared/app/recipient-payouts.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { COMMON_PROBLEMS, PageQuery, problem, RecipientPayoutsSchema } from '../schemas.js';
import { pageLimit } from './answers.js';

const route = createRoute({
  method: 'get',
  path: '/v1/recipients/{pubkey}/payouts',
  operationId: 'listRecipientPayouts',
  summary: "A recipient's payouts from this platform",
  request: {
    params: z.object({ pubkey: z.string().openapi({ description: "The recipient's node id." }) }),
    query: PageQuery,
  },
  responses: {
    200: {
      description: 'Settled payouts, newest first, with the all-time totals.',
      content: { 'application/json': { schema: RecipientPayoutsSchema } },
    },
    ...COMMON_PROBLEMS,
    422: problem('Not a node id, or a cursor this API did not hand out (`invalid-request`).'),
  },
});

export const recipientPayouts = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const page = await listRecipientPayouts(
      {
        platformId: c.get('platform').platformId,
        pubkey: c.req.valid('param').pubkey,
        limit: pageLimit(c.req.query('limit')),
        cursor: c.req.query('cursor'),
      },
      deps,
    );
    return c.json(page, 200);
  });
