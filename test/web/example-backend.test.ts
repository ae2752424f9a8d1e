import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedTarget, verifyRequestSignature } from '../../shared/domain/request-signature.js';
import { createExampleBackend } from '../../web/backend/example-backend.js';
import { openEventStream } from '../support/event-stream.js';

const SECRET = 'tss_backend_test_secret_0123456789';
const PLATFORM = 'streamco';
const CAROL = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';

/**
 * A stand-in for Tipstream's HTTP API: it checks every request's v2 signature as Tipstream does
 * and knows every tip of the platform, as the real API would answer the platform's backend.
 */
const startTipstream = async () => {
  const asked: string[] = [];
  const signatures: string[] = [];
  const endpoints = new Map<
    string,
    { endpointId: string; url: string; secret: string; enabled: boolean; key: string }
  >();
  const readBody = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://tipstream.invalid');
    const rawBody = await readBody(request);
    signatures.push(String(request.headers['tipstream-signature']));
    const verified = verifyRequestSignature({
      header: request.headers['tipstream-signature'] as string | undefined,
      platformId: String(request.headers['tipstream-platform']),
      method: request.method ?? 'GET',
      target: signedTarget(url.pathname, url.search),
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      rawBody,
      secrets: [SECRET],
      now: new Date(),
    });
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!verified.ok) return answer(401, { type: verified.code, detail: verified.message });
    asked.push(`${request.method} ${url.pathname}${url.search}`);
    if (request.method === 'POST' && url.pathname === '/v1/tips') {
      return answer(202, { tipId: `${PLATFORM}:tip-button:${request.headers['idempotency-key']}` });
    }
    if (request.method === 'GET' && url.pathname.startsWith('/v1/tips/')) {
      const tipId = decodeURIComponent(url.pathname.slice('/v1/tips/'.length));
      // A tip whose key says "broken" finds Tipstream failing; "pending" ones are still being
      // paid: their outcome comes by webhook.
      if (tipId.includes('broken')) return answer(503, { title: 'Unavailable' });
      return answer(200, { tipId, status: tipId.includes('pending') ? 'SENDING' : 'SUCCEEDED' });
    }
    // Webhook endpoints as the API keeps them: one per Idempotency-Key (the same key with the
    // same url answers it again with its secret, another url is a conflict).
    if (url.pathname === '/v1/webhook-endpoints' && request.method === 'GET') {
      return answer(200, {
        endpoints: [...endpoints.values()].map(({ secret: _s, key: _k, ...rest }) => rest),
      });
    }
    if (url.pathname === '/v1/webhook-endpoints' && request.method === 'POST') {
      const key = String(request.headers['idempotency-key']);
      const { url: target } = JSON.parse(rawBody) as { url: string };
      const earlier = [...endpoints.values()].find((e) => e.key === key);
      if (earlier) {
        if (earlier.url !== target) return answer(409, { type: 'idempotency-conflict' });
        const { key: _k, ...shown } = earlier;
        return answer(200, shown);
      }
      const endpoint = {
        endpointId: `we_${endpoints.size.toString(16).padStart(24, '0')}`,
        url: target,
        secret: `whsec_${randomBytes(32).toString('base64')}`,
        enabled: true,
        key,
      };
      endpoints.set(endpoint.endpointId, endpoint);
      const { key: _k, ...shown } = endpoint;
      return answer(201, shown);
    }
    if (request.method === 'DELETE' && url.pathname.startsWith('/v1/webhook-endpoints/')) {
      const endpointId = decodeURIComponent(url.pathname.slice('/v1/webhook-endpoints/'.length));
      if (!endpoints.delete(endpointId)) return answer(404, { title: 'No such endpoint' });
      return answer(200, { deleted: endpointId });
    }
    if (request.method === 'GET' && url.pathname === '/v1/tips') {
      return answer(200, {
        tips: [{ tipId: 'batch-7-2', status: 'SUCCEEDED' }],
      });
    }
    return answer(404, { title: 'No such endpoint' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    signatures,
    endpoints,
  };
};

/** The example backend on loopback, in front of a stand-in Tipstream of its own. */
const startBackend = async () => {
  const tipstream = await startTipstream();
  const example = createExampleBackend({
    tipstreamUrl: tipstream.url,
    platformId: PLATFORM,
    secret: SECRET,
    creators: [{ name: 'Carol', pubkey: CAROL }],
  });
  const server = createServer((request, response) => {
    void example.handle(request, response).then((handled) => {
      if (!handled) response.writeHead(404).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    tipstream,
    example,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      // Event streams stay open until their connection is closed.
      server.closeAllConnections();
      server.close();
      tipstream.server.close();
    },
  };
};

describe('example backend: tip status only through the token it handed out', () => {
  let tipstream: Awaited<ReturnType<typeof startTipstream>>;
  let running: Awaited<ReturnType<typeof startBackend>>;
  let base: string;

  beforeAll(async () => {
    running = await startBackend();
    ({ tipstream, base } = running);
  });
  afterAll(() => running.close());

  const tip = async (idempotencyKey: string) => {
    const response = await fetch(`${base}/tip`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipientPubkey: CAROL, amountSats: 21, idempotencyKey }),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { tipId: string; statusUrl: string };
  };
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('signs with v2 (key included): two identical tips at once are two tips, signed once each', async () => {
    const before = tipstream.signatures.length;
    const [a, b] = await Promise.all([tip('same-body-key-1'), tip('same-body-key-2')]);
    expect(a.tipId).not.toBe(b.tipId);
    const sent = tipstream.signatures.slice(before);
    expect(sent).toHaveLength(2);
    for (const header of sent) expect(header).toMatch(/^t=[1-9][0-9]*,v2=[0-9a-f]{64}$/);
  });

  it('answers a tip status only at the statusUrl it handed out', async () => {
    const accepted = await tip('status-key-001');
    expect(accepted.statusUrl).toMatch(/^\/tip\/.+~[A-Za-z0-9_-]{43}$/);
    expect(accepted.statusUrl).not.toBe(`/tip/${encodeURIComponent(accepted.tipId)}`);
    const status = await get(accepted.statusUrl);
    expect(status).toMatchObject({ status: 200, body: { tipId: accepted.tipId } });
  });

  it.each([
    { description: "the tip's id alone", guess: (id: string) => id },
    { description: "a batch row's guessable id", guess: () => 'batch-7-2' },
    {
      description: "another tip's id with this tip's MAC",
      guess: (_id: string, token: string) => `batch-7-2${token.slice(token.lastIndexOf('~'))}`,
    },
    {
      description: 'a token with one character changed',
      guess: (_id: string, token: string) =>
        `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
    },
    { description: 'an empty token', guess: () => '' },
    { description: 'a bare separator', guess: () => '~' },
  ])('refuses $description with 404, asking Tipstream nothing', async ({ guess }) => {
    const accepted = await tip(`guess-key-${Math.random().toString(36).slice(2, 10)}`);
    const token = decodeURIComponent(accepted.statusUrl.slice('/tip/'.length));
    const before = tipstream.asked.length;
    const refused = await get(`/tip/${encodeURIComponent(guess(accepted.tipId, token))}`);
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toMatch(/not a tip status link this platform handed out/);
    expect(tipstream.asked.length).toBe(before);
  });

  it("gives the staff dashboard's rows their status tokens", async () => {
    const list = await get('/api/dashboard/tips?limit=5');
    const [row] = list.body.tips as Array<{ tipId: string; statusToken: string }>;
    expect(row?.tipId).toBe('batch-7-2');
    const status = await get(`/tip/${encodeURIComponent(row?.statusToken ?? '')}`);
    expect(status).toMatchObject({ status: 200, body: { tipId: 'batch-7-2' } });
  });
});

describe('example backend: webhooks in, Server-Sent Events out', () => {
  let tipstream: Awaited<ReturnType<typeof startTipstream>>;
  let running: Awaited<ReturnType<typeof startBackend>>;
  let base: string;
  let example: ReturnType<typeof createExampleBackend>;
  const secret = () =>
    [...tipstream.endpoints.values()].find((e) => e.url === `${base}/webhooks/tipstream`)?.secret ??
    '';

  beforeAll(async () => {
    running = await startBackend();
    ({ tipstream, base, example } = running);
  });
  afterAll(() => running.close());

  const deliver = (
    body: string,
    headers: { id: string; at?: Date; key?: string; signature?: string },
  ) => {
    const at = headers.at ?? new Date();
    return fetch(`${base}/webhooks/tipstream`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': headers.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature':
          headers.signature ?? new Webhook(headers.key ?? secret()).sign(headers.id, at, body),
      },
      body,
    });
  };
  /** A tip through the backend, as the button sends it. */
  const sendTip = async (idempotencyKey: string) =>
    (await (
      await fetch(`${base}/tip`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ recipientPubkey: CAROL, amountSats: 21, idempotencyKey }),
      })
    ).json()) as { tipId: string; eventsUrl: string; statusUrl: string };
  const tipEvent = (type: 'tip.succeeded' | 'tip.failed', tipId: string) =>
    JSON.stringify({
      id: `evt_${tipId}_${type}`,
      type,
      version: 1,
      createdAt: new Date().toISOString(),
      data: {
        tipId,
        platformId: PLATFORM,
        ...(type === 'tip.failed' ? { code: 'NO_ROUTE', reason: 'no route to carol' } : {}),
      },
    });

  it('before it registered, deliveries are answered 503 (Tipstream retries them)', async () => {
    const response = await deliver(tipEvent('tip.failed', `${PLATFORM}:early`), {
      id: 'evt_early',
      key: `whsec_${randomBytes(32).toString('base64')}`,
    });
    expect(response.status).toBe(503);
  });

  it('registers its receiver once however often it starts, and removes its earlier runs', async () => {
    // An earlier run on another port, and an endpoint of the platform's own elsewhere.
    tipstream.endpoints.set('we_old', {
      endpointId: 'we_old',
      url: 'http://127.0.0.1:1/webhooks/tipstream',
      secret: 'whsec_old',
      enabled: true,
      key: 'old',
    });
    tipstream.endpoints.set('we_own', {
      endpointId: 'we_own',
      url: 'https://hooks.streamco.example/tipstream',
      secret: 'whsec_own',
      enabled: true,
      key: 'own',
    });
    const first = await example.registerWebhooks(base);
    const again = await example.registerWebhooks(base);
    expect(again).toEqual(first);
    expect(first.url).toBe(`${base}/webhooks/tipstream`);
    expect([...tipstream.endpoints.values()].map((e) => e.url).sort()).toEqual(
      [first.url, 'https://hooks.streamco.example/tipstream'].sort(),
    );
  });

  it('follows a tip: its status when the stream opens, then the pushed webhook, then the stream ends', async () => {
    const accepted = await sendTip('pending-1');
    expect(accepted.eventsUrl).toBe(`/events?tip=${accepted.statusUrl.slice('/tip/'.length)}`);
    const stream = await openEventStream(`${base}${accepted.eventsUrl}`);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const [opening] = await stream.waitFor('tip');
    expect(JSON.parse(opening?.data ?? '{}')).toMatchObject({
      tipId: accepted.tipId,
      status: 'SENDING',
      from: 'status',
    });
    // Another tip's webhook is not this stream's.
    expect(
      (await deliver(tipEvent('tip.succeeded', `${PLATFORM}:other`), { id: 'evt_o' })).status,
    ).toBe(204);
    expect(
      (await deliver(tipEvent('tip.failed', accepted.tipId), { id: 'evt_pending_1' })).status,
    ).toBe(204);
    const events = await stream.waitFor('tip', 2);
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      expect.objectContaining({ status: 'SENDING' }),
      {
        tipId: accepted.tipId,
        from: 'webhook',
        status: 'FAILED',
        failure: { code: 'NO_ROUTE', reason: 'no route to carol' },
      },
    ]);
    await stream.waitFor('never', 1, 2_000).catch(() => {});
    expect(stream.ended).toBe(true);
    await stream.close();
  });

  it('a tip paid before its stream opened: the opening status says so and the stream ends', async () => {
    const accepted = await sendTip('paid-key-1');
    const stream = await openEventStream(`${base}${accepted.eventsUrl}`);
    const [opening] = await stream.waitFor('tip');
    expect(JSON.parse(opening?.data ?? '{}')).toMatchObject({
      status: 'SUCCEEDED',
      from: 'status',
    });
    await stream.waitFor('never', 1, 2_000).catch(() => {});
    expect(stream.ended).toBe(true);
  });

  it("Tipstream failing when the stream opens: a problem event, and the tip's webhook still follows", async () => {
    const accepted = await sendTip('broken-pending-1');
    const stream = await openEventStream(`${base}${accepted.eventsUrl}`);
    const [problem] = await stream.waitFor('problem');
    expect(JSON.parse(problem?.data ?? '{}')).toEqual({
      detail: 'Tipstream could not handle the request; try again in a moment',
    });
    expect(stream.ended).toBe(false);
    expect(
      (await deliver(tipEvent('tip.failed', accepted.tipId), { id: 'evt_broken_1' })).status,
    ).toBe(204);
    const [pushed] = await stream.waitFor('tip');
    expect(JSON.parse(pushed?.data ?? '{}')).toMatchObject({ status: 'FAILED', from: 'webhook' });
    await stream.close();
  });

  it('refuses every unverified delivery (401, never 500) and pushes nothing; a genuine one once', async () => {
    const dashboard = await openEventStream(`${base}/api/dashboard/events`);
    await dashboard.waitFor('ready');
    const genuine = tipEvent('tip.failed', `${PLATFORM}:genuine`);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: fc.string({ maxLength: 40 }),
          body: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(genuine)),
          signature: fc.oneof(
            fc.string({ maxLength: 120 }),
            fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v1,${b}`),
          ),
          secondsOff: fc.integer({ min: -1e6, max: 1e6 }),
        }),
        async ({ id, body, signature, secondsOff }) => {
          const response = await fetch(`${base}/webhooks/tipstream`, {
            method: 'POST',
            headers: {
              'webhook-id': id.replace(/[^\x20-\x7e]/g, ''),
              'webhook-timestamp': String(Math.floor(Date.now() / 1000) + secondsOff),
              'webhook-signature': signature.replace(/[^\x20-\x7e]/g, ''),
            },
            body,
          });
          expect(response.status).toBe(401);
        },
      ),
      { numRuns: 150 },
    );
    const stale = await deliver(genuine, {
      id: 'evt_stale',
      at: new Date(Date.now() - 6 * 60_000),
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { detail: string }).detail).toMatch(/timestamp/i);
    const otherPlatform = JSON.stringify({
      ...JSON.parse(genuine),
      data: { tipId: 'x:1', platformId: 'another' },
    });
    expect((await deliver(otherPlatform, { id: 'evt_another' })).status).toBe(422);
    const large = 'x'.repeat(70 * 1024);
    expect((await deliver(large, { id: 'evt_large' })).status).toBe(413);
    for (let n = 0; n < 3; n++) {
      expect((await deliver(genuine, { id: 'evt_genuine' })).status).toBe(204);
    }
    await dashboard.waitFor('change');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      dashboard.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data)),
    ).toEqual([{ type: 'tip.failed', tipId: `${PLATFORM}:genuine` }]);
    await dashboard.close();
  });

  // Last: it leaves the fake API's endpoint for this receiver without a secret.
  it('refuses to start receiving when Tipstream answers its registration without a whsec_ secret', async () => {
    const url = `${base}/webhooks/tipstream`;
    const mine = [...tipstream.endpoints.values()].find((e) => e.url === url);
    expect(mine).toBeDefined();
    if (mine) (mine as { secret?: string }).secret = undefined;
    await expect(example.registerWebhooks(base)).rejects.toThrow(/no whsec_ secret/);
  });
});
