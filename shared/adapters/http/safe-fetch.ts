import { lookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from '../../domain/public-address.js';
import { isAllowedHost, parseWebhookUrl, type WebhookUrlPolicy } from '../../domain/webhook-url.js';

/** A request the guard refused, or one that never got an answer (network, timeout). */
class SafeFetchError extends Error {
  override name = 'SafeFetchError';
}

/**
 * Resolves like the system does, then refuses the connection unless every address is public
 * (the check happens on the address actually connected to, so DNS rebinding cannot slip by).
 */
const guardedLookup =
  (hostname: string): LookupFunction =>
  (host, options, callback) => {
    lookup(host, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const blocked = list.find((a) => !isPublicAddress(a.address));
      if (blocked || list.length === 0) {
        return callback(
          new SafeFetchError(
            `${hostname} resolves to ${blocked?.address ?? 'nothing'}: not a public address`,
          ),
          '',
          0,
        );
      }
      if (options.all) return callback(null, list as never);
      const first = list[0] as { address: string; family: number };
      return callback(null, first.address, first.family);
    });
  };

/**
 * POSTs `body` to an untrusted URL: the URL policy first (https, no private address literals),
 * resolved addresses checked at connect time, no redirect followed (a 3xx is the answer), the
 * whole exchange bounded by `timeoutMs`, at most `maxResponseBytes` of the answer read (the rest
 * is dropped with the connection). Resolves with the status and the start of the answer.
 */
export const safePost = (input: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
  policy: WebhookUrlPolicy;
}): Promise<{ status: number; bodyStart: string }> => {
  const url = parseWebhookUrl(input.url, input.policy);
  const allowed = isAllowedHost(url.hostname, input.policy);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...input.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(input.body)),
          'user-agent': 'tipstream-webhooks/1',
        },
        ...(allowed ? {} : { lookup: guardedLookup(url.hostname) }),
        signal: AbortSignal.timeout(input.timeoutMs),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          resolve({
            status: res.statusCode ?? 0,
            bodyStart: Buffer.concat(chunks).toString('utf8').slice(0, 500),
          });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (size >= input.maxResponseBytes) return;
          chunks.push(chunk.subarray(0, input.maxResponseBytes - size));
          size += chunk.length;
          if (size >= input.maxResponseBytes) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    req.on('error', (error) =>
      reject(
        error instanceof SafeFetchError
          ? error
          : new SafeFetchError(
              error.name === 'AbortError' || error.name === 'TimeoutError'
                ? `no answer within ${input.timeoutMs} ms`
                : `request failed: ${error.message}`,
              { cause: error },
            ),
      ),
    );
    req.end(input.body);
  });
};
