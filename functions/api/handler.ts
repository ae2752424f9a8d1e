import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createObservability, observeInvocation } from '../observability.js';
import { createApi } from './app.js';
import type { ApiDeps } from './runtime.js';

/**
 * A fetch Request cannot carry a body on GET or HEAD (API Gateway passes one on): it is dropped
 * as the local server drops it, so such a request is answered, not refused as malformed.
 */
const withoutReadBody = (event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 => {
  const method = event.requestContext?.http?.method?.toUpperCase();
  return event.body && (method === 'GET' || method === 'HEAD')
    ? { ...event, body: undefined }
    : event;
};

/** The API handler: API Gateway HTTP API (payload v2) events in, JSON or problem+json out. */
export const makeApiHandler = (deps: ApiDeps) => {
  const lambda = handle(createApi(deps));
  return (event: APIGatewayProxyEventV2, context?: Context) =>
    lambda(
      withoutReadBody(event) as unknown as Parameters<typeof lambda>[0],
      context as Context,
    ) as Promise<APIGatewayProxyStructuredResultV2>;
};

let handlerInstance: ReturnType<typeof makeApiHandler> | undefined;
const observability = createObservability('api');

/**
 * Lambda entry point (API Gateway HTTP API, payload format 2.0): Lambda context on every log
 * line, a ColdStart metric and a `## <function>` trace subsegment per invocation (Powertools).
 */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) =>
  observeInvocation(observability, context, async () => {
    const { createApiDeps } = await import('./runtime.js');
    handlerInstance ??= makeApiHandler(createApiDeps(process.env, observability));
    return handlerInstance(event, context);
  });
