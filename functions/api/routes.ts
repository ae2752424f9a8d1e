/** The API's routes, as API Gateway's route keys; the local server matches paths with them too. */
export const ROUTES = [
  'POST /v1/tips',
  'GET /v1/tips',
  'GET /v1/tips/{tipId}',
  'POST /v1/splits',
  'POST /v1/payouts',
  'GET /v1/payouts/{batchId}',
  'GET /v1/recipients/{pubkey}/payouts',
  'GET /v1/summary',
] as const;

export type RouteKey = (typeof ROUTES)[number];

const compiled = ROUTES.map((routeKey) => {
  const [method, path = ''] = routeKey.split(' ');
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { routeKey, method, pattern, names };
});

/** A malformed %-escape stays as it is: the lookup then finds nothing (404), not a crash. */
const safeDecode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** Finds the route for a request, with its path parameters (what API Gateway does). */
export const matchRoute = (
  method: string,
  path: string,
): { routeKey: RouteKey; pathParameters: Record<string, string> } | { allowed: string[] } => {
  const allowed: string[] = [];
  for (const route of compiled) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (route.method !== method.toUpperCase()) {
      allowed.push(route.method ?? '');
      continue;
    }
    return {
      routeKey: route.routeKey,
      pathParameters: Object.fromEntries(
        route.names.map((name, index) => [name, safeDecode(match[index + 1] ?? '')]),
      ),
    };
  }
  return { allowed };
};
