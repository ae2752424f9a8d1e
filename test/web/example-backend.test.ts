import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedTarget, verifyRequestSignature } from '../../shared/domain/request-signature.js';
import { createExampleBackend } from '../../web/backend/example-backend.js';

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
      return answer(200, { tipId, status: 'SUCCEEDED' });
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
  };
};

describe('example backend: tip status only through the token it handed out', () => {
  let tipstream: Awaited<ReturnType<typeof startTipstream>>;
  let backend: Server;
  let base: string;

  beforeAll(async () => {
    tipstream = await startTipstream();
    const example = createExampleBackend({
      tipstreamUrl: tipstream.url,
      platformId: PLATFORM,
      secret: SECRET,
      creators: [{ name: 'Carol', pubkey: CAROL }],
    });
    backend = createServer((request, response) => {
      void example.handle(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    backend.close();
    tipstream.server.close();
  });

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
