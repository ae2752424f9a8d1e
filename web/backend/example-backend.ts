import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { Webhook } from 'standardwebhooks';
import { TIP_ID_PATTERN } from '../../shared/domain/ids.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import { signedHeaders } from '../../shared/domain/request-signature.js';

/**
 * An example of the small backend a streaming platform runs next to its pages: the tip button and
 * the payouts dashboard talk to it, and it talks to Tipstream with the platform's signing secret.
 * The secret stays on this server; the browser only ever sees tip ids, statuses and receipts.
 *
 * Routes (all JSON; errors are `{ title, detail }` with a 4xx/5xx status):
 *
 * - `POST /tip` `{ recipientPubkey, amountSats, message?, idempotencyKey }` → 202
 *   `{ tipId, status, statusUrl, eventsUrl }`
 * - `GET /tip/{statusToken}` (the `statusUrl` above) → the tip's status from Tipstream, plus
 *   `verification` of its receipt; only tips this backend handed a token out for are shown
 * - `GET /events?tip={statusToken}` (the `eventsUrl` above) → Server-Sent Events: `tip` events
 *   with the same body as the status route, the first one read from Tipstream when the stream
 *   opens, every later one pushed the moment Tipstream's webhook arrives; the stream ends after
 *   `SUCCEEDED` or `FAILED`. Only that tip's events: a viewer learns nothing of other tips.
 * - `GET /api/dashboard/summary?window=24h|7d|30d` → Tipstream's summary, plus creator `names`
 * - `GET /api/dashboard/tips?limit&cursor` → the platform's recent tips, plus creator `names`
 * - `GET /api/dashboard/events` → Server-Sent Events: a `change` event (`{ type, tipId?,
 *   batchId? }`) per webhook, for the dashboard to reload; staff see all the platform's tips anyway
 * - `POST /webhooks/tipstream` → Tipstream's webhooks (Standard Webhooks): verified with the
 *   endpoint's secret by the `standardwebhooks` package (bad signature or a timestamp over five
 *   minutes off: 401, nothing pushed), deduplicated by `webhook-id`, then pushed to the streams.
 *   `registerWebhooks(baseUrl)` registers this route with Tipstream when the server starts.
 *
 * A real platform mounts these behind its own sessions: viewers may tip, only staff may see the
 * dashboard. This example has no login (it listens on loopback only).
 */
export interface ExampleBackendConfig {
  /** Tipstream's API base URL, without `/v1`. */
  tipstreamUrl: string;
  platformId: string;
  /** The platform's signing secret. Never sent to a browser. */
  secret: string;
  /** The creators viewers may tip: a tip to any other node is refused here, not paid. */
  creators: Array<{ name: string; pubkey: string }>;
  /** The operator's x-only receipt key (from the operator), to verify receipts; unset: unchecked. */
  operatorReceiptPubkey?: string;
  /** Largest tip a viewer may send, sats. */
  maxTipSats?: number;
  /**
   * Key of the tip status tokens (`statusUrl`); unset: random per process (links from before a
   * restart then answer 404). A real platform keeps one in its secrets store.
   */
  statusTokenKey?: Uint8Array;
}

/** Where the widget's routes live: POST here, GET `<TIP_PATH>/<statusToken>` for the status. */
const TIP_PATH = '/tip';
/** Where the dashboard's data routes live (`/summary`, `/tips`, `/events`). */
const DASHBOARD_API_PATH = '/api/dashboard';
/** The tip button's event stream: `?tip=<statusToken>`. */
const EVENTS_PATH = '/events';
/** Where Tipstream delivers this platform's webhooks. */
const WEBHOOK_PATH = '/webhooks/tipstream';
/** A webhook body is a tip or batch event with its receipt: a few KiB; more is refused (413). */
const MAX_WEBHOOK_BYTES = 64 * 1024;
/**
 * Delivered webhook ids remembered to drop a redelivery (Tipstream retries with the same id for
 * up to a day). In memory, the newest this many: a real platform keeps them in its database.
 */
const MAX_SEEN_WEBHOOKS = 10_000;
/** An SSE comment this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 20_000;

const MAX_BODY_BYTES = 4 * 1024;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

class BackendError extends Error {
  override name = 'BackendError';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

const send = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(JSON.stringify(body));
};

/**
 * The JSON body, at most MAX_BODY_BYTES. Only `application/json` is read: a page on another site
 * can POST `text/plain` or a form here without asking (no CORS preflight), so a viewer's session
 * could be made to tip; JSON needs a preflight, which this backend does not grant.
 */
const readJson = (request: IncomingMessage): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      request.resume();
      reject(new BackendError(415, 'Unsupported content type', 'send the tip as application/json'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > MAX_BODY_BYTES) return; // already refused: the rest is read and dropped
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Not destroyed: the client would see a reset instead of this 413.
        chunks.length = 0;
        reject(new BackendError(413, 'Request too large', `send at most ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new BackendError(400, 'Malformed request', 'send a JSON object'));
      }
    });
  });

/** The example platform backend: `handle` answers its routes and returns false for any other. */
export const createExampleBackend = (config: ExampleBackendConfig) => {
  const maxTipSats = config.maxTipSats ?? 100_000;
  const creators = new Map(config.creators.map((c) => [c.pubkey.toLowerCase(), c.name]));
  const names = Object.fromEntries(creators);
  const tokenKey = config.statusTokenKey ?? randomBytes(32);

  /**
   * A tip's status token: its id and an HMAC of it under this backend's key. Tip ids are not
   * secret (batch rows are `<batchId>-1…N`), so `GET /tip/…` shows only tips whose token this
   * backend handed out: to the viewer who sent the tip, or to staff on the dashboard.
   */
  const statusToken = (tipId: string) =>
    `${tipId}~${createHmac('sha256', tokenKey).update(`tip-status\n${tipId}`).digest('base64url')}`;
  /** The tip id a token stands for; undefined for anything this backend did not hand out. */
  const tipIdOfToken = (token: string): string | undefined => {
    const tipId = token.slice(0, Math.max(0, token.lastIndexOf('~')));
    if (!TIP_ID_PATTERN.test(tipId)) return undefined;
    const expected = Buffer.from(statusToken(tipId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected) ? tipId : undefined;
  };

  /** One signed call to Tipstream; every request is its own (the Idempotency-Key is signed). */
  const tipstream = async (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const rawBody = body === undefined ? '' : JSON.stringify(body);
    let response: Response;
    try {
      response = await fetch(`${config.tipstreamUrl}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...signedHeaders({
            secret: config.secret,
            platformId: config.platformId,
            method,
            url: path,
            idempotencyKey,
            body: rawBody,
          }),
        },
        body: method === 'POST' ? rawBody : undefined,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new BackendError(
        502,
        'Tipstream unreachable',
        `the platform could not reach Tipstream (${(error as Error).message}); try again`,
      );
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed };
  };

  /** Tipstream's answer for the browser: data as it is, problems as `{title, detail}`. */
  const relay = (
    result: { status: number; body: Record<string, unknown> },
    extra: Record<string, unknown> = {},
  ) => {
    if (result.status < 400) return { status: result.status, body: { ...result.body, ...extra } };
    // 401 means this backend is misconfigured (wrong secret or platform): the viewer cannot fix it.
    if (result.status === 401 || result.status >= 500) {
      console.error(`tipstream answered ${result.status}: ${JSON.stringify(result.body)}`);
      return {
        status: 502,
        body:
          result.status === 401
            ? {
                title: 'Platform backend misconfigured',
                detail:
                  "Tipstream refused the platform backend's credentials (platform id or secret); the platform has to fix its configuration",
              }
            : {
                title: 'Tipstream unavailable',
                detail: 'Tipstream could not handle the request; try again in a moment',
              },
      };
    }
    return {
      status: result.status,
      body: {
        title: String(result.body.title ?? 'Refused'),
        detail: String(result.body.detail ?? `Tipstream answered ${result.status}`),
      },
    };
  };

  const createTip = async (request: IncomingMessage) => {
    const body = await readJson(request);
    const recipient = String(body.recipientPubkey ?? '').toLowerCase();
    if (!creators.has(recipient)) {
      throw new BackendError(
        422,
        'Unknown creator',
        `recipientPubkey must be one of this platform's creators (${[...creators.values()].join(', ')})`,
      );
    }
    const amountSats = body.amountSats;
    if (
      typeof amountSats !== 'number' ||
      !Number.isInteger(amountSats) ||
      amountSats < 1 ||
      amountSats > maxTipSats
    ) {
      throw new BackendError(
        422,
        'Invalid amount',
        `amountSats must be a whole number of sats from 1 to ${maxTipSats}`,
      );
    }
    const message = body.message;
    if (message !== undefined && (typeof message !== 'string' || message.length > 500)) {
      throw new BackendError(
        422,
        'Invalid message',
        'message must be text of at most 500 characters',
      );
    }
    const key = body.idempotencyKey;
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new BackendError(
        400,
        'Missing idempotencyKey',
        'send idempotencyKey: 8-128 characters of A-Z a-z 0-9 _ -, the same when retrying',
      );
    }
    const result = await tipstream(
      'POST',
      '/v1/tips',
      {
        recipientPubkey: recipient,
        amountMsat: amountSats * 1000,
        ...(typeof message === 'string' && message.trim() !== '' ? { message } : {}),
      },
      // Namespaced: the widget's keys cannot collide with the platform's other requests.
      `tip-button:${key}`,
    );
    if (result.status !== 202) return relay(result);
    const tipId = String(result.body.tipId);
    const token = encodeURIComponent(statusToken(tipId));
    return {
      status: 202,
      body: {
        tipId,
        status: 'ACCEPTED',
        statusUrl: `${TIP_PATH}/${token}`,
        eventsUrl: `${EVENTS_PATH}?tip=${token}`,
      },
    };
  };

  /** The platform's check of a receipt, shown beside it (the status route and pushed events). */
  const verification = (receipt: unknown) => {
    if (!config.operatorReceiptPubkey) {
      return { signature: 'unchecked', reason: 'no operator receipt key configured' };
    }
    const checked = verifyReceipt(receipt, config.operatorReceiptPubkey);
    return {
      signature: checked.ok ? 'valid' : 'invalid',
      operatorPubkey: config.operatorReceiptPubkey,
      ...(checked.ok ? {} : { reason: checked.reason }),
    };
  };

  const tipStatus = async (token: string) => {
    const tipId = tipIdOfToken(token);
    if (!tipId) {
      throw new BackendError(
        404,
        'No such tip',
        'this is not a tip status link this platform handed out',
      );
    }
    return readTip(tipId);
  };

  /** A tip as Tipstream has it now, with the platform's check of its receipt. */
  const readTip = async (tipId: string) => {
    const result = await tipstream('GET', `/v1/tips/${encodeURIComponent(tipId)}`);
    if (result.status !== 200 || !result.body.receipt) return relay(result);
    return relay(result, { verification: verification(result.body.receipt) });
  };

  const routes = async (
    request: IncomingMessage,
    url: URL,
  ): Promise<{ status: number; body: unknown } | undefined> => {
    const method = request.method ?? 'GET';
    if (url.pathname === TIP_PATH && method === 'POST') return createTip(request);
    if (url.pathname.startsWith(`${TIP_PATH}/`) && method === 'GET') {
      let token: string;
      try {
        token = decodeURIComponent(url.pathname.slice(TIP_PATH.length + 1));
      } catch {
        token = '';
      }
      return tipStatus(token);
    }
    if (url.pathname === `${DASHBOARD_API_PATH}/summary` && method === 'GET') {
      const window = url.searchParams.get('window') ?? '24h';
      return relay(await tipstream('GET', `/v1/summary?window=${encodeURIComponent(window)}`), {
        names,
      });
    }
    if (url.pathname === `${DASHBOARD_API_PATH}/tips` && method === 'GET') {
      const query = new URLSearchParams();
      for (const name of ['limit', 'cursor']) {
        const value = url.searchParams.get(name);
        if (value) query.set(name, value);
      }
      const result = await tipstream('GET', `/v1/tips?${query}`);
      const next = typeof result.body.next === 'string' ? result.body.next : undefined;
      return relay(result, {
        names,
        // Staff may open any of the platform's tips: each row gets its status token.
        ...(Array.isArray(result.body.tips)
          ? {
              tips: (result.body.tips as Array<Record<string, unknown>>).map((tip) => ({
                ...tip,
                statusToken: statusToken(String(tip.tipId)),
              })),
            }
          : {}),
        // Tipstream's `next` is its own path; the browser pages through this backend.
        next: next ? `${DASHBOARD_API_PATH}/tips${next.slice(next.indexOf('?'))}` : undefined,
      });
    }
    return undefined;
  };

  // ------------------------------------------------------------------ webhooks and event streams
  /** Open tip streams by tip id, and the dashboards' streams. */
  const tipStreams = new Map<string, Set<(update: Record<string, unknown>) => void>>();
  const dashboardStreams = new Set<(change: Record<string, unknown>) => void>();
  /** Webhook ids already handled, oldest first (a Map keeps insertion order). */
  const seen = new Map<string, true>();
  /** The endpoint's signing secret, from `registerWebhooks`: until then deliveries get 503. */
  let verifier: Webhook | undefined;

  /**
   * What a verified event tells the browser: a tip event becomes the tip's status (the shape of
   * `GET /tip/…`), pushed to that tip's streams; every event tells the dashboards to reload.
   */
  const dispatch = (event: { type?: unknown; data?: Record<string, unknown> }) => {
    const data = event.data ?? {};
    const tipId = typeof data.tipId === 'string' ? data.tipId : undefined;
    const update =
      event.type === 'tip.succeeded'
        ? {
            tipId,
            from: 'webhook',
            status: 'SUCCEEDED',
            receipt: data.receipt,
            verification: verification(data.receipt),
          }
        : event.type === 'tip.failed'
          ? {
              tipId,
              from: 'webhook',
              status: 'FAILED',
              failure: { code: data.code, reason: data.reason },
            }
          : undefined;
    if (tipId && update) for (const push of tipStreams.get(tipId) ?? []) push(update);
    const change = {
      type: event.type,
      ...(tipId ? { tipId } : {}),
      ...(typeof data.batchId === 'string' ? { batchId: data.batchId } : {}),
    };
    for (const push of dashboardStreams) push(change);
  };

  /**
   * Writes what `subscribe` hands it to the stream until `done` says the last was written or the
   * browser left; a comment every HEARTBEAT_MS keeps the connection open meanwhile.
   */
  const relayStream = async (
    stream: SSEStreamingApi,
    event: string,
    subscribe: (push: (data: Record<string, unknown>) => void) => () => void,
    first?: () => Promise<Record<string, unknown> | { problem: string }>,
    done: (data: Record<string, unknown>) => boolean = () => false,
  ) => {
    const queue: Array<Record<string, unknown>> = [];
    let wake: (() => void) | undefined;
    let open = true;
    stream.onAbort(() => {
      open = false;
      wake?.();
    });
    const unsubscribe = subscribe((data) => {
      queue.push(data);
      wake?.();
    });
    try {
      // Retry after 2 s when the connection drops (EventSource reconnects by itself).
      await stream.writeSSE({ event: 'ready', data: '{}', retry: 2_000 });
      if (first) {
        // Read after subscribing, so no event can fall between the read and the stream.
        const initial = await first();
        if ('problem' in initial) {
          await stream.writeSSE({
            event: 'problem',
            data: JSON.stringify({ detail: initial.problem }),
          });
        } else queue.unshift(initial);
      }
      while (open) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({ event, data: JSON.stringify(next) });
          if (done(next)) return;
          continue;
        }
        const heartbeat = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), HEARTBEAT_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        if (await heartbeat) await stream.write(': keep-alive\n\n');
        wake = undefined;
      }
    } finally {
      unsubscribe();
    }
  };

  const isTerminal = (update: Record<string, unknown>) =>
    update.status === 'SUCCEEDED' || update.status === 'FAILED';

  const app = new Hono();
  app.get(EVENTS_PATH, (c) => {
    const tipId = tipIdOfToken(c.req.query('tip') ?? '');
    if (!tipId) {
      return c.json(
        { title: 'No such tip', detail: 'this is not a tip link this platform handed out' },
        404,
      );
    }
    return streamSSE(c, (stream) =>
      relayStream(
        stream,
        'tip',
        (push) => {
          const streams = tipStreams.get(tipId) ?? new Set();
          tipStreams.set(tipId, streams.add(push));
          return () => {
            streams.delete(push);
            if (streams.size === 0) tipStreams.delete(tipId);
          };
        },
        // The one status read per connection: the tip may have been paid before the browser
        // connected (or while it reconnected), and that webhook was pushed to nobody.
        async () => {
          const result = await readTip(tipId).catch((error: unknown) =>
            error instanceof BackendError
              ? { status: error.status, body: { detail: error.message } }
              : Promise.reject(error),
          );
          return result.status === 200
            ? { ...(result.body as Record<string, unknown>), from: 'status' }
            : { problem: String((result.body as { detail?: unknown }).detail ?? 'unavailable') };
        },
        isTerminal,
      ),
    );
  });
  app.get(`${DASHBOARD_API_PATH}/events`, (c) =>
    streamSSE(c, (stream) =>
      relayStream(stream, 'change', (push) => {
        dashboardStreams.add(push);
        return () => dashboardStreams.delete(push);
      }),
    ),
  );
  app.post(
    WEBHOOK_PATH,
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: (c) =>
        c.json({ title: 'Too large', detail: `at most ${MAX_WEBHOOK_BYTES} bytes` }, 413),
    }),
    async (c) => {
      if (!verifier) {
        return c.json({ title: 'Not ready', detail: 'no webhook endpoint registered yet' }, 503);
      }
      const body = await c.req.text();
      const id = c.req.header('webhook-id') ?? '';
      let event: { type?: unknown; data?: Record<string, unknown> };
      try {
        event = verifier.verify(body, {
          'webhook-id': id,
          'webhook-timestamp': c.req.header('webhook-timestamp') ?? '',
          'webhook-signature': c.req.header('webhook-signature') ?? '',
        }) as typeof event;
      } catch (error) {
        // A forged, unsigned or replayed (timestamp more than five minutes off) request.
        return c.json({ title: 'Webhook not verified', detail: (error as Error).message }, 401);
      }
      if (event.data?.platformId !== config.platformId) {
        return c.json(
          { title: 'Not this platform', detail: 'the event is for another platform' },
          422,
        );
      }
      // Tipstream redelivers an event with the same id until it hears 2xx: handle it once.
      if (seen.has(id)) return c.body(null, 204);
      seen.set(id, true);
      if (seen.size > MAX_SEEN_WEBHOOKS) seen.delete(seen.keys().next().value as string);
      dispatch(event);
      return c.body(null, 204);
    },
  );
  const streamRoutes = getRequestListener(app.fetch);
  const isStreamRoute = (pathname: string) =>
    pathname === EVENTS_PATH ||
    pathname === `${DASHBOARD_API_PATH}/events` ||
    pathname === WEBHOOK_PATH;

  return {
    /** Answers the backend's routes; false when the request is for another route. */
    async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
      const url = new URL(request.url ?? '/', 'http://backend.invalid');
      if (isStreamRoute(url.pathname)) {
        await streamRoutes(request, response);
        return true;
      }
      try {
        const result = await routes(request, url);
        if (!result) return false;
        send(response, result.status, result.body);
      } catch (error) {
        if (error instanceof BackendError) {
          // The refused body may still be arriving: close instead of reading it to its end.
          if (error.status === 413) response.setHeader('connection', 'close');
          send(response, error.status, { title: error.title, detail: error.message });
        } else {
          const reference = randomUUID();
          console.error(`example backend error ${reference}:`, error);
          send(response, 500, {
            title: 'Internal error',
            detail: `the platform backend failed (reference ${reference}); try again`,
          });
        }
      }
      return true;
    },

    /**
     * Registers `<baseUrl>/webhooks/tipstream` as the platform's webhook endpoint and keeps its
     * secret to verify deliveries. Idempotent: the Idempotency-Key is derived from the URL, so a
     * restart on the same address gets the same endpoint (and its secret) back. Endpoints of this
     * backend's earlier runs on other loopback ports answer nothing any more: they are deleted.
     */
    async registerWebhooks(baseUrl: string) {
      const url = new URL(WEBHOOK_PATH, baseUrl).href;
      const listed = await tipstream('GET', '/v1/webhook-endpoints');
      if (listed.status !== 200) throw registrationError(listed);
      for (const endpoint of (listed.body.endpoints ?? []) as Array<{
        endpointId: string;
        url: string;
      }>) {
        if (endpoint.url !== url && isEarlierRun(endpoint.url)) {
          const deleted = await tipstream(
            'DELETE',
            `/v1/webhook-endpoints/${encodeURIComponent(endpoint.endpointId)}`,
          );
          if (deleted.status !== 200 && deleted.status !== 404) throw registrationError(deleted);
        }
      }
      const registered = await tipstream(
        'POST',
        '/v1/webhook-endpoints',
        { url },
        `example-backend:${url}`,
      );
      if (registered.status !== 201 && registered.status !== 200) {
        throw registrationError(registered);
      }
      const secret = registered.body.secret;
      // Never a verifier keyed with a guessable text ("undefined"): anyone could sign with it.
      if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
        throw new Error('Tipstream registered the webhook endpoint but sent no whsec_ secret');
      }
      verifier = new Webhook(secret);
      return { endpointId: String(registered.body.endpointId), url };
    },
  };
};

/** A receiver of this example on loopback (the same path on another port: an earlier run). */
const isEarlierRun = (raw: string) => {
  const url = new URL(raw);
  return (
    url.pathname === WEBHOOK_PATH && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  );
};

const registrationError = (result: { status: number; body: Record<string, unknown> }) =>
  new Error(
    `the example backend could not register its webhook endpoint with Tipstream (HTTP ${result.status}: ${String(result.body.detail ?? result.body.title ?? '')})`,
  );
