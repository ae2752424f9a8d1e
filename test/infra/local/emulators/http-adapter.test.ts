import { afterEach, describe, expect, it } from 'vitest';
import { startHttpAdapter } from '../../../../infra/local/emulators/http-adapter.js';

/** An app that answers with what it received. */
const echo = {
  fetch: async (request: Request) =>
    Response.json({
      method: request.method,
      path: new URL(request.url).pathname,
      bytes: (await request.arrayBuffer()).byteLength,
    }),
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('startHttpAdapter', () => {
  it('serves the app on loopback only, body and path as sent', async () => {
    const http = await startHttpAdapter(echo);
    close = http.close;
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
    const response = await fetch(`${http.url}/v1/tips?x=1`, { method: 'POST', body: 'abc' });
    expect(await response.json()).toEqual({ method: 'POST', path: '/v1/tips', bytes: 3 });
  });

  it.each([
    { description: 'with a Content-Length', chunked: false },
    { description: 'sent in chunks', chunked: true },
  ])(
    'cuts off a body above 10 MB $description with a 413 problem, as API Gateway would',
    async ({ chunked }) => {
      const http = await startHttpAdapter(echo);
      close = http.close;
      const bytes = new Uint8Array(10 * 1024 * 1024 + 1);
      const body = chunked
        ? new ReadableStream({
            start(controller) {
              controller.enqueue(bytes.subarray(0, 1024));
              controller.enqueue(bytes.subarray(1024));
              controller.close();
            },
          })
        : bytes;
      const response = await fetch(`${http.url}/v1/payouts`, {
        method: 'POST',
        body,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({
        type: 'https://tipstream.dev/problems/body-too-large',
        status: 413,
      });
    },
  );
});
