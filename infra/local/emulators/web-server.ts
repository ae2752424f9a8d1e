import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
import { type DemoCreator, renderDemoPage } from '../../../web/backend/demo-page.js';
import {
  createExampleBackend,
  type ExampleBackendConfig,
} from '../../../web/backend/example-backend.js';

/** The static assets a platform deploys as they are (tip button, dashboard). */
export const WEB_PUBLIC_DIR = join(import.meta.dirname, '../../../web/public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Pages get a strict policy: scripts and requests only from this origin, no inline script. Styles
 * may be inline (the tip button styles its shadow root).
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'referrer-policy': 'no-referrer',
};

export interface WebServerOptions {
  backend: ExampleBackendConfig;
  /** The creators on the demo page (each must be among the backend's creators to be tipped). */
  creators: DemoCreator[];
  port?: number;
  host?: string;
  /**
   * Register the backend's webhook receiver with Tipstream (default true: without it no tip is
   * seen paid). False for a server that only shows a platform's figures (a measurement).
   */
  receiveWebhooks?: boolean;
}

/**
 * The local web server of `npm start`: the demo stream page at `/`, the dashboard at
 * `/dashboard`, the static assets of web/public, and the example platform backend's routes, its
 * webhook receiver registered with Tipstream (the API's `TIPSTREAM_WEBHOOK_ALLOWED_HOSTS` must
 * allow loopback, as the local stack's does).
 */
export const startWebServer = async (
  options: WebServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> => {
  const backend = createExampleBackend(options.backend);
  const demoPage = renderDemoPage({
    creators: options.creators,
    platformId: options.backend.platformId,
  });
  // The listing is fixed at start: only these files are served, so no path can reach elsewhere.
  const assets = new Map<string, string>();
  for (const entry of await readdir(WEB_PUBLIC_DIR, { withFileTypes: true })) {
    if (entry.isFile() && TYPES[extname(entry.name)])
      assets.set(entry.name, join(WEB_PUBLIC_DIR, entry.name));
  }

  const host = options.host ?? '127.0.0.1';
  // Listening on loopback is this example's only access control. A site whose name is re-pointed
  // at 127.0.0.1 (DNS rebinding) would be same-origin with these pages and the backend's routes,
  // and could read the dashboard and send tips: only loopback names are answered.
  const hostNames = new Set(['127.0.0.1', 'localhost', '[::1]', host.toLowerCase()]);

  const server = createServer(async (request, response) => {
    try {
      const hostName = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
      if (!hostNames.has(hostName)) {
        response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`this server answers only for ${[...hostNames].join(', ')}\n`);
        return;
      }
      if (await backend.handle(request, response)) return;
      const { pathname } = new URL(request.url ?? '/', 'http://web.invalid');
      const method = request.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        response.end('only GET and HEAD are served here\n');
        return;
      }
      const answer = (status: number, type: string, body: string, headers = {}) => {
        response.writeHead(status, {
          'content-type': type,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          ...headers,
        });
        response.end(method === 'HEAD' ? undefined : body);
      };
      if (pathname === '/' || pathname === '/index.html') {
        answer(200, TYPES['.html'] ?? '', demoPage, PAGE_HEADERS);
        return;
      }
      if (pathname === '/dashboard/') {
        response.writeHead(308, { location: '/dashboard' });
        response.end();
        return;
      }
      const name = pathname === '/dashboard' ? 'dashboard.html' : pathname.slice(1);
      const file = assets.get(name);
      if (file === undefined) {
        answer(404, 'text/plain; charset=utf-8', `no ${pathname} here: try / or /dashboard\n`);
        return;
      }
      const type = TYPES[extname(name)] ?? 'application/octet-stream';
      answer(
        200,
        type,
        await readFile(file, 'utf8'),
        type.startsWith('text/html') ? PAGE_HEADERS : {},
      );
    } catch (error) {
      console.error('web server:', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    }
  });

  const url = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve(`http://${host}:${port}`);
    });
  });
  const close = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      // Keep-alive connections of a browser (and its event streams) would hold close() open.
      server.closeAllConnections();
    });
  // The backend hears of its tips by webhook: its receiver is on this server, so it registers
  // once it listens. Without it no tip would ever show as paid: fail loudly instead.
  if (options.receiveWebhooks !== false) {
    await backend.registerWebhooks(url).catch(async (error: unknown) => {
      await close();
      throw error;
    });
  }
  return { server, url, close };
};
