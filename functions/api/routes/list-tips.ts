import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { listTips as listPlatformTips } from '../../../shared/app/list-tips.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { COMMON_PROBLEMS, PageQuery, problem, TipListSchema } from '../schemas.js';
import { pageLimit } from './answers.js';

const route = createRoute({
  method: 'get',
  path: '/v1/tips',
  operationId: 'listTips',
  summary: "The platform's recent tips",
  request: { query: PageQuery },
  responses: {
    200: {
      description: 'Newest first, a page at a time (follow `next`).',
      content: { 'application/json': { schema: TipListSchema } },
    },
    ...COMMON_PROBLEMS,
    422: problem('A cursor this API did not hand out (`invalid-request`).'),
  },
});

export const listTips = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const page = await listPlatformTips(
      {
        platformId: c.get('platform').platformId,
        limit: pageLimit(c.req.query('limit')),
        cursor: c.req.query('cursor'),
      },
      deps,
    );
    return c.json(page, 200);
  });
