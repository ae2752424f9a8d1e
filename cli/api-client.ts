import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { signedHeaders } from '../shared/domain/request-signature.js';
import { ApiProblemError, type Problem, UnreachableError } from './errors.js';
import type { ApiTarget } from './target.js';

export interface ApiRequestOptions {
  body?: string;
  contentType?: string;
  /** Required by every POST; a retry of the same request reuses it. */
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** Attempts for connection errors and 502/503/504 (POSTs are safe to retry: same key). */
  attempts?: number;
  retryDelayMs?: number;
}

const RETRIED_STATUSES = new Set([502, 503, 504]);

/**
 * The Tipstream API as a platform's backend calls it: every request signed anew (`signedHeaders`:
 * the v2 HMAC over timestamp, platform, method, target, Idempotency-Key and body), POSTs with an
 * Idempotency-Key, problem+json answers turned into ApiProblemError.
 */
export const createApiClient = (target: ApiTarget, options: ApiClientOptions = {}) => {
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;

  const request = async <T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    {
      body = '',
      contentType = 'application/json',
      idempotencyKey,
      timeoutMs = 30_000,
    }: ApiRequestOptions = {},
  ): Promise<ApiResponse<T>> => {
    const url = `${target.apiUrl}${path}`;
    // One key for every attempt: a retry is the same request, never a second tip.
    const key = method === 'POST' ? (idempotencyKey ?? randomUUID()) : undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      // A fresh signature per attempt (the timestamp must be current); the same key makes the
      // retry an idempotent repeat of the first attempt.
      const headers: Record<string, string> = {
        ...signedHeaders({
          secret: target.secret,
          platformId: target.platformId,
          method,
          url,
          idempotencyKey: key,
          body: method === 'GET' ? '' : body,
        }),
        ...(method === 'POST' ? { 'content-type': contentType } : {}),
      };
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body: method === 'GET' ? undefined : body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        lastError = error;
        if (attempt < attempts) {
          await sleep(retryDelayMs * attempt);
          continue;
        }
        throw new UnreachableError(
          `cannot reach the Tipstream API at ${target.apiUrl} (${describeFetchError(error)})`,
          {
            cause: error,
            hint:
              target.source === 'local-service'
                ? 'is "npm start" still running? its API URL is in .tipstream/service.json'
                : 'check --api / TIPSTREAM_API_URL, and that the API is up',
          },
        );
      }
      const text = await response.text();
      if (RETRIED_STATUSES.has(response.status) && attempt < attempts) {
        lastError = new Error(`HTTP ${response.status}`);
        await sleep(retryDelayMs * attempt);
        continue;
      }
      const parsed = parseBody(text);
      if (response.status >= 400) {
        const problem: Problem =
          typeof parsed === 'object' && parsed !== null
            ? (parsed as Problem)
            : { status: response.status, detail: text.slice(0, 200) || response.statusText };
        const retryAfter = Number(response.headers.get('retry-after'));
        throw new ApiProblemError(
          response.status,
          problem,
          Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
        );
      }
      return { status: response.status, headers: response.headers, body: parsed as T };
    }
    throw new UnreachableError(`cannot reach the Tipstream API at ${target.apiUrl}`, {
      cause: lastError,
    });
  };

  return {
    target,
    get: <T = Record<string, unknown>>(path: string, options?: ApiRequestOptions) =>
      request<T>('GET', path, options),
    post: <T = Record<string, unknown>>(path: string, options: ApiRequestOptions) =>
      request<T>('POST', path, options),
    delete: <T = Record<string, unknown>>(path: string) => request<T>('DELETE', path),
  };
};

export type ApiClient = ReturnType<typeof createApiClient>;

const parseBody = (text: string): unknown => {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const describeFetchError = (error: unknown): string => {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
};
