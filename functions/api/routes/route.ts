import type { RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { ApiEnv } from '../authenticate.js';
import type { ApiDeps } from '../runtime.js';

/**
 * One route of the API: its OpenAPI description (zod schemas of what it takes and answers) and
 * its handler, which calls one use case. The description is the document's; `app.ts` serves it.
 */
export interface ApiRoute<R extends RouteConfig = RouteConfig> {
  route: R;
  handler: (deps: ApiDeps) => RouteHandler<R, ApiEnv>;
}

export const apiRoute = <R extends RouteConfig>(
  route: R,
  handler: (deps: ApiDeps) => RouteHandler<R, ApiEnv>,
): ApiRoute<R> => ({ route, handler });

/** `POST /v1/tips`: the route as API Gateway names it (and the body limits are keyed). */
export const routeKey = ({ method, path }: Pick<RouteConfig, 'method' | 'path'>) =>
  `${method.toUpperCase()} ${path}`;

/**
 * The route as Hono serves it: path parameters parsed by their schema; body, headers and query
 * are described in the document but read by the handler and checked by its use case, which
 * answers a problem naming the field, line or header (never a generic validation failure).
 */
export const served = <R extends RouteConfig>(route: R): R => ({
  ...route,
  request: route.request?.params ? { params: route.request.params } : undefined,
  hide: true,
});
