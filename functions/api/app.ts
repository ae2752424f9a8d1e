import { Logger } from '@aws-lambda-powertools/logger';
import { OpenAPIHono } from '@hono/zod-openapi';
import { type ApiEnv, authenticate } from './authenticate.js';
import { correlateLogs } from './logging.js';
import { OPENAPI_PATH, openApiDocument } from './openapi.js';
import { mapError, problemResponse } from './problems.js';
import { routeMatcher } from './route-match.js';
import { API_ROUTES, ROUTE_KEYS } from './routes/index.js';
import { served } from './routes/route.js';
import type { ApiDeps } from './runtime.js';

/**
 * The Tipstream API as a Hono app: its document (unsigned), then authentication for every other
 * request, one file per route (its zod schemas and one use case), and one error mapper for every
 * problem answer. Served by API Gateway through `hono/aws-lambda`, locally by `@hono/node-server`.
 */
export const createApi = (deps: ApiDeps) => {
  const app = new OpenAPIHono<ApiEnv>();
  const logger = deps.logger ?? new Logger({ serviceName: 'tipstream-api' });
  app.onError((error) =>
    mapError(error, (unexpected) =>
      unexpected instanceof Error
        ? logger.error('request failed', unexpected)
        : logger.error('request failed', { error: String(unexpected) }),
    ),
  );
  // authenticate answers 404 for paths outside the API; this covers a path it let through.
  app.notFound((c) =>
    problemResponse({
      status: 404,
      type: 'not-found',
      title: 'No such endpoint',
      detail: `${c.req.method} ${new URL(c.req.url).pathname} is not part of the Tipstream API (see ${OPENAPI_PATH})`,
    }),
  );
  app.use('*', correlateLogs(logger));
  app.get(OPENAPI_PATH, (c) => c.json(openApiDocument()));
  app.use('*', authenticate(deps, routeMatcher(ROUTE_KEYS)));
  for (const { route, handler } of API_ROUTES) {
    // Each route's own types: the loop widens them, so each is registered as what it is.
    app.openapi(served(route) as typeof route, handler(deps) as never);
  }
  return app;
};
