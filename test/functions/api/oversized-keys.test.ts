import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../../functions/api/handler.js';
import type { ApiDeps } from '../../../functions/api/runtime.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord } from '../../../shared/ports/intake.js';

// Hostile review: header and path values go straight into DynamoDB keys. DynamoDB refuses a
// partition key over 2048 bytes with a ValidationException (not a ConditionalCheckFailed), which
// nothing maps, so the answer is a logged 500. The fakes below refuse such keys as DynamoDB does.

const NOW = new Date('2026-11-30T12:00:00Z');
const SECRET = 'tss_current_0123456789abcdef';
const PLATFORM: PlatformRecord = {
  platformId: 'streamco',
  name: 'Stream Co',
  secrets: [{ secretId: 'current', secret: SECRET, createdAt: '2026-11-01T00:00:00Z' }],
  dailyLimitSats: 1_000,
  createdAt: '2026-11-01T00:00:00Z',
};

/** What the DynamoDB document client throws for a key attribute above 2048 bytes. */
const dynamoKey = (value: string) => {
  if (Buffer.byteLength(value, 'utf8') > 2048) {
    const error = new Error(
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes',
    );
    error.name = 'ValidationException';
    throw error;
  }
};

const logged: unknown[] = [];
const handle = makeApiHandler({
  platforms: {
    getPlatform: async (id: string) => {
      dynamoKey(id);
      return id === PLATFORM.platformId ? PLATFORM : undefined;
    },
    rememberSignature: async () => 'fresh',
  },
  intake: {
    getRequest: async (tipId: string) => {
      dynamoKey(tipId);
      return undefined;
    },
  },
  ledger: {
    getTip: async (tipId: string) => {
      dynamoKey(tipId);
      return undefined;
    },
  },
  maxBodyBytes: { default: 16 * 1024 },
  now: () => NOW,
  logger: {
    error: (...args: unknown[]) => void logged.push(args),
    info() {},
    warn() {},
    debug() {},
    appendKeys() {},
    setCorrelationId() {},
    addContext() {},
    resetKeys() {},
    removeKeys() {},
  },
} as unknown as ApiDeps);

const event = (rawPath: string, headers: Record<string, string>) =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers,
    body: '',
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: rawPath }, domainName: 'api.example' },
  }) as unknown as APIGatewayProxyEventV2;

describe('oversized key values', () => {
  it('an unsigned request with a 3 KB Tipstream-Platform gets 401, not 500', async () => {
    const result = await handle(
      event('/v1/summary', {
        'tipstream-platform': 'p'.repeat(3000),
        'tipstream-signature': `t=${Math.floor(NOW.getTime() / 1000)},v2=${'0'.repeat(64)}`,
      }),
    );
    expect(result.statusCode).toBe(401);
  });

  it('a signed GET of a 3 KB tip id gets 404 (or 4xx), not 500', async () => {
    const path = `/v1/tips/${'t'.repeat(3000)}`;
    const headers = signedHeaders({
      secret: SECRET,
      platformId: PLATFORM.platformId,
      method: 'GET',
      url: path,
      now: NOW,
    });
    const result = await handle(event(path, headers));
    expect(result.statusCode).toBeLessThan(500);
  });
});
