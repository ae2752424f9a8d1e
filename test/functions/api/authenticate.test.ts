import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../../functions/api/handler.js';
import type { ApiDeps } from '../../../functions/api/runtime.js';
import type { SigningSecret } from '../../../shared/domain/platform-secrets.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord, PlatformStore } from '../../../shared/ports/intake.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const secret = (id: string, expiresAt?: string): SigningSecret => ({
  secretId: id,
  secret: `tss_${id}_0123456789abcdef`,
  createdAt: '2026-11-01T00:00:00Z',
  ...(expiresAt ? { expiresAt } : {}),
});
const CURRENT = secret('current');
const EXPIRED = secret('expired', '2026-11-30T11:59:59Z');
const GRACE = secret('grace', '2026-11-30T12:00:01Z');

/** The platform store as the handler uses it: one platform, replay records in a map. */
const fakePlatforms = (secrets: SigningSecret[]) => {
  const remembered: Array<{ macHex: string; idempotencyKey: string }> = [];
  const platform: PlatformRecord = {
    platformId: 'streamco',
    name: 'Stream Co',
    secrets,
    dailyLimitSats: 1_000,
    createdAt: '2026-11-01T00:00:00Z',
  };
  const store: Partial<PlatformStore> = {
    getPlatform: async (id) => (id === platform.platformId ? platform : undefined),
    rememberSignature: async (_platformId, macHex, idempotencyKey) => {
      remembered.push({ macHex, idempotencyKey });
      // Stops the request here: these tests are about authentication only.
      return 'replay';
    },
  };
  return { store: store as PlatformStore, remembered };
};

const handlerWith = (secrets: SigningSecret[]) => {
  const platforms = fakePlatforms(secrets);
  const deps = {
    platforms: platforms.store,
    // GET /v1/tips/{tipId} of a tip nobody has: an authenticated request ends in 404.
    intake: { getRequest: async () => undefined },
    ledger: { getTip: async () => undefined },
    maxBodyBytes: { default: 16 * 1024 },
    now: () => NOW,
  } as unknown as ApiDeps;
  return { handle: makeApiHandler(deps), remembered: platforms.remembered };
};

const event = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): APIGatewayProxyEventV2 =>
  ({
    rawPath: path,
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method } },
  }) as unknown as APIGatewayProxyEventV2;

const signed = (
  method: string,
  path: string,
  {
    platformId = 'streamco',
    key = CURRENT.secret,
    idempotencyKey = undefined as string | undefined,
    body = '',
  } = {},
) =>
  event(
    method,
    path,
    signedHeaders({ secret: key, platformId, method, url: path, idempotencyKey, body, now: NOW }),
    body,
  );

const parsed = (result: Awaited<ReturnType<ReturnType<typeof makeApiHandler>>>) => ({
  status: result.statusCode,
  body: JSON.parse(String(result.body)),
});

describe('API authentication', () => {
  it('answers an unknown platform exactly as a wrong secret: same status, type, title and detail', async () => {
    const { handle } = handlerWith([CURRENT]);
    const wrongSecret = parsed(await handle(signed('GET', '/v1/tips/t-1', { key: 'tss_guess' })));
    const unknown = parsed(
      await handle(signed('GET', '/v1/tips/t-1', { platformId: 'nobody', key: 'tss_guess' })),
    );
    const unknownWithTheSecret = parsed(
      await handle(signed('GET', '/v1/tips/t-1', { platformId: 'nobody' })),
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.type).toBe('https://tipstream.dev/problems/bad-signature');
    expect(unknown).toEqual(wrongSecret);
    expect(unknownWithTheSecret).toEqual(wrongSecret);
  });

  it.each([
    { description: 'the current secret', secrets: [CURRENT], key: CURRENT, status: 404 },
    {
      description: 'a previous secret in its grace period',
      secrets: [CURRENT, GRACE],
      key: GRACE,
      status: 404,
    },
    {
      description: 'a previous secret whose grace period has run out',
      secrets: [CURRENT, EXPIRED],
      key: EXPIRED,
      status: 401,
    },
    {
      description: 'a revoked secret (no longer stored)',
      secrets: [CURRENT],
      key: GRACE,
      status: 401,
    },
    {
      description: 'a platform whose every secret has expired',
      secrets: [EXPIRED],
      key: EXPIRED,
      status: 401,
    },
  ])('$description → $status', async ({ secrets, key, status }) => {
    const { handle } = handlerWith(secrets);
    const result = parsed(await handle(signed('GET', '/v1/tips/t-1', { key: key.secret })));
    expect(result.status, JSON.stringify(result.body)).toBe(status);
    if (status === 401) expect(result.body.type).toMatch(/bad-signature$/);
  });

  it('records a write under its verified MAC and key, never the header text', async () => {
    const { handle, remembered } = handlerWith([CURRENT]);
    const request = signed('POST', '/v1/tips', { idempotencyKey: 'k-1', body: '{"a":1}' });
    await handle(request);
    const header = request.headers['tipstream-signature'] ?? '';
    expect(remembered).toEqual([
      { macHex: header.slice(header.indexOf('v2=') + 3), idempotencyKey: 'k-1' },
    ]);
  });

  it('answers a GET that carries a body (API Gateway passes it on) as the same GET without it', async () => {
    const { handle } = handlerWith([CURRENT]);
    const request = signed('GET', '/v1/tips/t-1');
    const result = parsed(await handle({ ...request, body: 'ignored' }));
    expect(result.status).toBe(404);
    expect(result.body.type).toMatch(/tip-not-found$/);
  });

  it('verifies the body byte for byte: a leading byte order mark is part of what was signed', async () => {
    const { handle, remembered } = handlerWith([CURRENT]);
    await handle(
      signed('POST', '/v1/payouts', {
        idempotencyKey: 'k-bom',
        body: '\uFEFFpubkey,amount_sats,memo\r\n',
      }),
    );
    expect(remembered.map((entry) => entry.idempotencyKey)).toEqual(['k-bom']);
  });

  it.each([
    { description: 'spaces', respell: (h: string) => h.replace(',', ', ') },
    {
      description: 'uppercase hex',
      respell: (h: string) => h.toUpperCase().replace('T=', 't=').replace('V2=', 'v2='),
    },
    { description: 'the signature repeated', respell: (h: string) => `${h},${h.split(',')[1]}` },
    { description: 'v1', respell: (h: string) => h.replace('v2=', 'v1=') },
  ])('refuses a respelt header ($description) before recording anything', async ({ respell }) => {
    const { handle, remembered } = handlerWith([CURRENT]);
    const request = signed('POST', '/v1/tips', { idempotencyKey: 'k-1', body: '{"a":1}' });
    request.headers['tipstream-signature'] = respell(request.headers['tipstream-signature'] ?? '');
    const result = parsed(await handle(request));
    expect(result.status).toBe(401);
    expect(result.body.type).toMatch(/malformed-signature$/);
    expect(remembered).toEqual([]);
  });
});
