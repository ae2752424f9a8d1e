import { Logger } from '@aws-lambda-powertools/logger';
import { OpenAPIHono } from '@hono/zod-openapi';
import { type ApiEnv, authenticate } from './authenticate.js';
import { correlateLogs } from './logging.js';
import { mapError, ProblemError, problemResponse } from './problems.js';
import { getPayout } from './routes/get-payout.js';
import { getTip } from './routes/get-tip.js';
import { listTips } from './routes/list-tips.js';
import { postPayout } from './routes/post-payout.js';
import { postSplit } from './routes/post-split.js';
import { postTip } from './routes/post-tip.js';
import { recipientPayouts } from './routes/recipient-payouts.js';
import { summary } from './routes/summary.js';
import type { ApiDeps } from './runtime.js';

/**
 * The Tipstream API as a Hono app: authentication for every request, one file per route (its
 * zod schemas and one use case), and one error mapper for every problem answer. Served by
 * API Gateway through `hono/aws-lambda` and locally by `@hono/node-server`.
 */
export const createApi = (deps: ApiDeps) => {
  const app = new OpenAPIHono<ApiEnv>({
    // Request schemas only describe what routes read leniently; a refusal here is still a problem.
    defaultHook: (result) => {
      if (!result.success) {
        throw new ProblemError({
          status: 422,
          type: 'invalid-request',
          title: 'The request is not valid',
          detail: result.error.issues.map((issue) => issue.message).join('; '),
        });
      }
    },
  });
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
      detail: `${c.req.method} ${new URL(c.req.url).pathname} is not part of the Tipstream API (see openapi.yaml)`,
    }),
  );
  app.use('*', correlateLogs(logger));
  app.use('*', authenticate(deps));
  for (const register of [
    postTip,
    listTips,
    getTip,
    postSplit,
    postPayout,
    getPayout,
    recipientPayouts,
    summary,
  ]) {
    register(app, deps);
  }
  return app;
};
