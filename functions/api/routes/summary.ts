import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { summarizePlatform } from '../../../shared/app/platform-summary.js';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';
import { COMMON_PROBLEMS, PlatformSummarySchema, problem, queryParam } from '../schemas.js';
import { withBigintsAsStrings } from './answers.js';

const route = createRoute({
  method: 'get',
  path: '/v1/summary',
  operationId: 'getSummary',
  summary: "The platform's dashboard summary",
  request: { query: z.object({ window: queryParam('`24h` (default), `7d` or `30d`.') }) },
  responses: {
    200: {
      description: 'Tips by outcome, recipients, failures, running batches and budget use.',
      content: { 'application/json': { schema: PlatformSummarySchema } },
    },
    ...COMMON_PROBLEMS,
    422: problem('An unknown window (`invalid-request`).'),
  },
});

export const summary = (app: OpenAPIHono<ApiEnv>, deps: ApiDeps) =>
  app.openapi(route, async (c) => {
    const result = await summarizePlatform(
      { platform: c.get('platform'), window: c.req.query('window') },
      deps,
    );
    return c.json(withBigintsAsStrings(result), 200);
  });
