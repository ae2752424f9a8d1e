import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** Anything that answers fetch requests: the API's Hono app. */
interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Bodies above this are cut off here, as API Gateway would (10 MB), before the API's own limits. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/**
 * Serves the API's Hono app on loopback with `@hono/node-server`, behind what API Gateway adds
 * in front of the Lambda: the 10 MB body cut-off.
 */
export const startHttpAdapter = (
  app: FetchApp,
  { port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> => {
  const gateway = new Hono();
  gateway.use(
    bodyLimit({
      maxSize: GATEWAY_MAX_BODY,
      onError: (c) =>
        c.body(
          JSON.stringify({
            type: 'https://tipstream.dev/problems/body-too-large',
            title: 'Request body too large',
            status: 413,
            detail: 'body larger than 10 MB',
          }),
          413,
          { 'content-type': 'application/problem+json' },
        ),
    }),
  );
  gateway.all('*', (c) => app.fetch(c.req.raw));
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: gateway.fetch, port, hostname: host }, (info) => {
      resolve({
        server: server as Server,
        url: `http://${host}:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
};
