export type RouteMatch = { routeKey: string } | { allowed: string[] };

/**
 * A matcher over route keys (`GET /v1/tips/{tipId}`): the route of a request, or the methods its
 * path allows (none: no such path). What API Gateway would do, done here because the HTTP API
 * sends every request to `$default`, so 404 and 405 come before authentication everywhere.
 */
export const routeMatcher = (routeKeys: readonly string[]) => {
  const compiled = routeKeys.map((routeKey) => {
    const [method = '', path = ''] = routeKey.split(' ');
    return { routeKey, method, pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`) };
  });
  return (method: string, path: string): RouteMatch => {
    const allowed: string[] = [];
    for (const route of compiled) {
      if (!route.pattern.test(path)) continue;
      if (route.method === method.toUpperCase()) return { routeKey: route.routeKey };
      allowed.push(route.method);
    }
    return { allowed };
  };
};
