import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safePost } from '../../../../shared/adapters/http/safe-fetch.js';
import { createWebhookSender } from '../../../../shared/adapters/http/webhook-sender.js';

// Hostile webhook receivers, real servers on loopback: what the guarded POST does with each.
const server = createServer((req, res) => {
  req.resume();
  const trickle = (write: () => void) => {
    const timer = setInterval(write, 50);
    res.on('close', () => clearInterval(timer));
  };
  switch (req.url) {
    case '/redirect':
      return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    case '/endless': {
      res.writeHead(200);
      const pump = () => {
        while (res.write('x'.repeat(65_536)));
        res.once('drain', pump);
      };
      return pump();
    }
    case '/slow-body':
      res.writeHead(200);
      return trickle(() => res.write('x'));
    case '/slow-headers':
      res.socket?.write('HTTP/1.1 200 OK\r\n');
      return trickle(() => res.socket?.write('x-slow: 1\r\n'));
    default:
      return res.writeHead(204).end();
  }
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const post = (path: string, { host = '127.0.0.1', allowed = ['127.0.0.1'] } = {}) =>
  safePost({
    url: `${allowed.length ? 'http' : 'https'}://${host}:${port}${path}`,
    headers: {},
    body: '{}',
    timeoutMs: 600,
    maxResponseBytes: 4096,
    policy: { allowedHosts: allowed },
  });

describe('safePost against hostile receivers', () => {
  it('follows no redirect: a 302 to the metadata service is the answer (a failed attempt)', async () => {
    expect(await post('/redirect')).toEqual({ status: 302, bodyStart: '' });
  });

  it('reads at most 4 KiB of an endless answer, then drops the connection', async () => {
    const started = Date.now();
    const { status, bodyStart } = await post('/endless');
    expect(status).toBe(200);
    expect(bodyStart.length).toBeLessThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it.each(['/slow-body', '/slow-headers'])(
    'bounds a slowloris receiver (%s) by the timeout',
    async (path) => {
      const started = Date.now();
      await expect(post(path)).rejects.toThrow(/no answer within 600 ms/);
      expect(Date.now() - started).toBeLessThan(1_500);
    },
  );

  it('checks the address connected to: a name that resolves to loopback is refused (DNS rebinding)', async () => {
    await expect(post('/ok', { host: 'localhost', allowed: [] })).rejects.toThrow(
      /localhost resolves to (127\.0\.0\.1|::1): not a public address/,
    );
  });

  it('the sender makes each of these a failed attempt to retry, never a throw', async () => {
    const sender = createWebhookSender({ timeoutMs: 600, policy: { allowedHosts: [] } });
    const outcome = await sender.send({
      url: `https://localhost:${port}/ok`,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      webhookId: 'evt_1',
      timestamp: new Date(),
      body: '{}',
    });
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/not a public/) });
  });
});
