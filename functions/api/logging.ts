import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context as LambdaContext } from 'aws-lambda';
import type { MiddlewareHandler } from 'hono';

/** What `hono/aws-lambda` passes as the app's env; absent when served locally. */
interface LambdaBindings {
  requestContext?: { requestId?: string };
  lambdaContext?: LambdaContext;
}

/**
 * Every log line of a request carries its API Gateway request id as the correlation id (a fresh
 * one locally, or the caller's `x-request-id`), and the Lambda context when there is one.
 */
export const correlateLogs =
  (logger: Logger): MiddlewareHandler =>
  async (c, next) => {
    const bindings = c.env as LambdaBindings | undefined;
    if (bindings?.lambdaContext?.awsRequestId) logger.addContext(bindings.lambdaContext);
    logger.setCorrelationId(
      bindings?.requestContext?.requestId ?? c.req.header('x-request-id') ?? randomUUID(),
    );
    logger.appendKeys({ method: c.req.method, path: new URL(c.req.url).pathname });
    try {
      await next();
    } finally {
      logger.resetKeys();
    }
  };
