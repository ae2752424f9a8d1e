import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver took, verified. */
interface ReceivedWebhook {
  id: string;
  timestamp: string;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests and benches read payload fields loosely
  payload: Record<string, any>;
  /** When it arrived (`Date.now()`). */
  at: number;
}

/**
 * A webhook receiver on loopback, as a platform runs one: verifies every request with the
 * `standardwebhooks` package (400 when it does not verify) and answers with what `answer` says
 * for the nth request (default 204). Tests and `npm run bench:webhooks` use it.
 */
export const startWebhookReceiver = async (
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void = (_n, _req, res) =>
    res.writeHead(204).end(),
) => {
  const received: ReceivedWebhook[] = [];
  const rejected: string[] = [];
  let secrets: string[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      let payload: Record<string, unknown> | undefined;
      const errors: string[] = [];
      for (const secret of secrets) {
        try {
          payload = new Webhook(secret).verify(body, headers) as Record<string, unknown>;
          break;
        } catch (error) {
          errors.push(String(error));
        }
      }
      if (!payload) {
        rejected.push(errors.join('; ') || 'no secret');
        res.writeHead(400).end();
        return;
      }
      received.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        body,
        payload,
        at: Date.now(),
      });
      answer(requests, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    rejected,
    /** The endpoint's signing secret (more than one: any of them verifies). */
    setSecret(...values: string[]) {
      secrets = values;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
