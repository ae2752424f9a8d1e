import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../../functions/api/handler.js';
import type { ApiDeps } from '../../../functions/api/runtime.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord } from '../../../shared/ports/intake.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const PLATFORM: PlatformRecord = {
  platformId: 'streamco',
  name: 'Stream Co',
  secrets: [{ secretId: 's', secret: 'tss_s_0123456789abcdef', createdAt: '2026-11-01T00:00:00Z' }],
  dailyLimitSats: 1_000,
  createdAt: '2026-11-01T00:00:00Z',
};

/** A logger that records what the API logged and under which correlation id. */
const recordingLogger = () => {
  let correlationId: unknown;
  const errors: Array<{ correlationId: unknown; message: string; fields: unknown }> = [];
  const logger = {
    setCorrelationId: (value: unknown) => {
      correlationId = value;
    },
    appendKeys: () => {},
    resetKeys: () => {},
    addContext: () => {},
    error: (message: string, fields: unknown) => errors.push({ correlationId, message, fields }),
  };
  return { logger: logger as unknown as Logger, errors };
};

const getTip = (requestId: string): APIGatewayProxyEventV2 =>
  ({
    rawPath: '/v1/tips/t-1',
    rawQueryString: '',
    headers: signedHeaders({
      secret: PLATFORM.secrets[0]?.secret ?? '',
      platformId: PLATFORM.platformId,
      method: 'GET',
      url: '/v1/tips/t-1',
      now: NOW,
    }),
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET' }, requestId },
  }) as unknown as APIGatewayProxyEventV2;

describe('API logging', () => {
  it('answers an unexpected error 500 without its message and logs it under the request id', async () => {
    const { logger, errors } = recordingLogger();
    const handle = makeApiHandler({
      platforms: { getPlatform: async () => PLATFORM },
      intake: { getRequest: async () => Promise.reject(new Error('DynamoDB is down')) },
      ledger: { getTip: async () => undefined },
      maxBodyBytes: { default: 16 * 1024 },
      now: () => NOW,
      logger,
    } as unknown as ApiDeps);
    const response = await handle(getTip('req-42'));
    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const body = JSON.parse(String(response.body));
    expect(body.type).toBe('https://tipstream.dev/problems/internal-error');
    expect(JSON.stringify(body)).not.toContain('DynamoDB');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.correlationId).toBe('req-42');
  });
});
