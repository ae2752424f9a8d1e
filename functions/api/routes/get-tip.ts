import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getTipStatus } from '../../../shared/app/tip-status.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { COMMON_PROBLEMS, problem, TipStatusSchema } from '../schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/tips/{tipId}',
  operationId: 'getTip',
  summary: "A tip's status",
  request: { params: z.object({ tipId: z.string().openapi({ description: 'The tip id.' }) }) },
  responses: {
    200: {
      description: 'ACCEPTED until the payer records it; SUCCEEDED with its signed receipt.',
      content: { 'application/json': { schema: TipStatusSchema } },
    },
    ...COMMON_PROBLEMS,
    404: problem('The platform has no such tip (`tip-not-found`).'),
  },
});

export const getTip = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const { platformId } = c.get('platform');
    const status = await getTipStatus({ platformId, tipId: c.req.valid('param').tipId }, deps);
    return c.json(status, 200);
  });
