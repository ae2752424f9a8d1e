import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import type { Observability } from '../observability.js';
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
let observability: Observability | undefined;

/**
 * Lambda entry point (API Gateway HTTP API, payload format 2.0): Lambda context on every log
 * line, a ColdStart metric and a `## <function>` trace subsegment per invocation (Powertools).
 * Powertools (its Tracer requires the X-Ray SDK, a third of this bundle's module load) and the
 * clients are loaded on the first invocation, as the clients always were: importing the handler
 * runs only the routes' schemas.
 */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const [{ createObservability, observeInvocation }, { createApiDeps }] = await Promise.all([
    import('../observability.js'),
    import('./runtime.js'),
  ]);
  observability ??= createObservability('api');
  const current = observability;
  return observeInvocation(current, context, async () => {
    handlerInstance ??= makeApiHandler(createApiDeps(process.env, current));
    return handlerInstance(event, context);
  });
};
