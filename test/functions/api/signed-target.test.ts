import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../../functions/api/handler.js';
import type { ApiDeps } from '../../../functions/api/runtime.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord } from '../../../shared/ports/intake.js';

// Hostile review of the v2 signed target: the signature must bind the resource the router serves.

const NOW = new Date('2026-11-30T12:00:00Z');
const SECRET = 'tss_current_0123456789abcdef';
const PLATFORM: PlatformRecord = {
  platformId: 'streamco',
  name: 'Stream Co',
  secrets: [{ secretId: 'current', secret: SECRET, createdAt: '2026-11-01T00:00:00Z' }],
  dailyLimitSats: 1_000,
  createdAt: '2026-11-01T00:00:00Z',
};

const looked: string[] = [];
const handle = makeApiHandler({
  platforms: {
    getPlatform: async (id: string) => (id === PLATFORM.platformId ? PLATFORM : undefined),
    rememberSignature: async () => 'fresh',
  },
  intake: {
    getRequest: async (...args: unknown[]) => {
      looked.push(JSON.stringify(args));
      return undefined;
    },
  },
  ledger: { getTip: async () => undefined },
  maxBodyBytes: { default: 16 * 1024 },
  now: () => NOW,
} as unknown as ApiDeps);

const event = (rawPath: string, rawQueryString: string, headers: Record<string, string>) =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    body: '',
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: rawPath }, domainName: 'api.example' },
  }) as unknown as APIGatewayProxyEventV2;

describe('signed target vs routed resource', () => {
  it('a signature for GET /v1/tips/T?q does not authorize GET /v1/tips/T%3Fq (tip "T?q")', async () => {
    // The client signs tip T with query "q"; the captured headers are replayed on a path whose
    // percent-decoded form is the same string, but which routes to a different tip id.
    const headers = signedHeaders({
      secret: SECRET,
      platformId: PLATFORM.platformId,
      method: 'GET',
      url: '/v1/tips/T?q',
      now: NOW,
    });
    const genuine = await handle(event('/v1/tips/T', 'q', headers));
    expect(genuine.statusCode).toBe(404); // authenticated: tip T looked up
    looked.length = 0;

    const confused = await handle(event('/v1/tips/T%3Fq', '', headers));
    // Today: 404 tip-not-found for tip "T?q", i.e. the signature verified for another resource.
    expect(looked).toEqual([]);
    expect(confused.statusCode).toBe(401);
  });
});
