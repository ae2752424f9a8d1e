import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress } from '../../domain/public-address.js';

/**
 * GET for URLs that untrusted input names (Lightning Address servers): the payer must not be
 * turned into a proxy into the operator's network. Every resolved address of a host is checked
 * (and the connection made to a checked one, so a second DNS answer cannot swap it), private,
 * loopback, link-local and other special ranges are refused, HTTPS is required, a redirect may
 * not leave the host, and the answer is bounded in bytes and time. Hosts on the allowlist (the
 * local stack, tests) may be private and plain HTTP.
 */
export interface FetchPolicy {
  /** `host:port` (as in a URL's host) that may be private/loopback and served over http. */
  allowHosts: readonly string[];
  /** For the whole request: DNS, connect, headers and body. */
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  allowHosts: [],
  timeoutMs: 5_000,
  maxBytes: 64 * 1024,
  maxRedirects: 3,
};

/** Refused by policy (a private address, a redirect off the host, too large): do not retry. */
export class FetchRefusedError extends Error {
  override name = 'FetchRefusedError';
}

/** The server could not be reached or did not answer in time: a retry later may work. */
export class FetchFailedError extends Error {
  override name = 'FetchFailedError';
}

export interface FetchAnswer {
  status: number;
  /** The body parsed as JSON, or undefined if it is not JSON. */
  json: unknown;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Fetches `target` by GET under `policy`; JSON answers parsed, anything else `json: undefined`. */
export const guardedGet = async (target: string, policy: FetchPolicy): Promise<FetchAnswer> => {
  const deadline = Date.now() + policy.timeoutMs;
  let url = parsedUrl(target, undefined, target);
  const origin = url.host;
  for (let hop = 0; ; hop += 1) {
    const answer = await getOnce(url, policy, deadline);
    if (answer.kind === 'answer') return answer.answer;
    if (hop >= policy.maxRedirects) {
      throw new FetchRefusedError(`${origin} redirected more than ${policy.maxRedirects} times`);
    }
    const next = parsedUrl(answer.location, url, `${origin} redirected to ${answer.location}`);
    if (next.host !== origin) {
      throw new FetchRefusedError(
        `${origin} redirected to another host (${next.host}), which is not followed`,
      );
    }
    url = next;
  }
};

/** A URL from untrusted input (an address, a Location header): refused if it is not one. */
const parsedUrl = (raw: string, base: URL | undefined, what: string): URL => {
  const url = URL.parse(raw, base?.href);
  if (!url) throw new FetchRefusedError(`${what.slice(0, 200)}, which is not a URL`);
  return url;
};

type Once = { kind: 'answer'; answer: FetchAnswer } | { kind: 'redirect'; location: string };

const getOnce = (url: URL, policy: FetchPolicy, deadline: number): Promise<Once> => {
  const allowed = policy.allowHosts.includes(url.host);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) {
    return Promise.reject(
      new FetchRefusedError(`${url.host}: only https:// is fetched (got ${url.protocol})`),
    );
  }
  const host = hostOf(url);
  if (!allowed && isIP(host) !== 0 && !isPublicAddress(host)) {
    return Promise.reject(
      new FetchRefusedError(
        `${url.host} is a private, loopback or link-local address, which is not fetched`,
      ),
    );
  }
  const left = deadline - Date.now();
  if (left <= 0) {
    return Promise.reject(new FetchFailedError(`${url.host} did not answer in time`));
  }
  return new Promise<Once>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(
      url,
      {
        headers: { accept: 'application/json' },
        lookup: allowed ? undefined : checkedLookup(url.host),
        // No connection reuse: every request is checked on its own.
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
          clearTimeout(timer);
          response.resume();
          resolve({ kind: 'redirect', location: response.headers.location });
          return;
        }
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > policy.maxBytes) {
          clearTimeout(timer);
          request.destroy();
          reject(tooLarge(url, policy));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) {
            request.destroy(tooLarge(url, policy));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ kind: 'answer', answer: { status, json } });
        });
        response.on('error', (error) => fail(error));
      },
    );
    const fail = (error: unknown) => {
      clearTimeout(timer);
      if (error instanceof FetchRefusedError || error instanceof FetchFailedError) {
        reject(error);
        return;
      }
      reject(
        new FetchFailedError(`${url.host} could not be reached: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    };
    const timer = setTimeout(() => {
      request.destroy(
        new FetchFailedError(`${url.host} did not answer within ${policy.timeoutMs} ms`),
      );
    }, left);
    request.on('error', fail);
  });
};

const tooLarge = (url: URL, policy: FetchPolicy) =>
  new FetchRefusedError(`${url.host} answered with more than ${policy.maxBytes} bytes`);

/**
 * A DNS lookup that refuses a host if any of its addresses is special: a name may resolve to a
 * public and a private address at once, and the connection must not pick the private one.
 */
const checkedLookup =
  (host: string) =>
  (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      const special = addresses.find((entry) => !isPublicAddress(entry.address));
      if (special || addresses.length === 0) {
        callback(
          new FetchRefusedError(
            `${host} resolves to ${special?.address ?? 'nothing'}, a private, loopback or link-local address, which is not fetched`,
          ) as NodeJS.ErrnoException,
          [],
        );
        return;
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const [first] = addresses;
      callback(null, first?.address ?? '', first?.family);
    });
  };
