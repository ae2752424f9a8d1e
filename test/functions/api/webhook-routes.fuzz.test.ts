/**
 * Every webhook route, fuzzed through the real API app (authentication, routes, the error mapper)
 * over in-memory webhook stores: hostile bodies, ids and query strings get a 2xx or a 4xx
 * problem+json, never a 5xx; a refused request changes nothing; and nothing a platform sends
 * touches another platform's endpoints or deliveries.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../../functions/api/app.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../../functions/api/runtime.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord, PlatformStore } from '../../../shared/ports/intake.js';
import type { WebhookDelivery } from '../../../shared/ports/webhooks.js';
import {
  API_PLATFORM,
  FakePayoutHistory,
  FakePlatformActivity,
  makeIntake,
} from '../../shared/app/fakes.js';
import { fakeWebhookDeps } from '../../shared/app/webhook-fakes.js';
import {
  checkAsyncProperty,
  hostileJsonValue,
  hostileString,
  MAX_ERROR_MESSAGE_CHARS,
} from '../../support/fast-check.js';

const SECRET = 'tss_webhook_fuzz_0123456789abcdef';
const PLATFORM: PlatformRecord = {
  ...API_PLATFORM,
  secrets: [{ secretId: 's1', secret: SECRET, createdAt: '2026-01-01T00:00:00.000Z' }],
};
const OWN = 'we_00000000000000000000000a';
const OTHERS = 'we_00000000000000000000000b';

const delivery = (endpointId: string, platformId: string): WebhookDelivery => ({
  deliveryId: `evt_t_${platformId}_failed_1@${endpointId}`,
  eventId: `evt_t_${platformId}_failed_1`,
  eventType: 'tip.failed',
  endpointId,
  platformId,
  subject: `t_${platformId}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  body: '{}',
  status: 'DEAD',
  attempts: 8,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const setup = async () => {
  const { deps, clock } = makeIntake();
  const webhooks = fakeWebhookDeps();
  for (const [endpointId, platformId] of [
    [OWN, PLATFORM.platformId],
    [OTHERS, 'other-platform'],
  ] as const) {
    await webhooks.endpoints.putEndpoint({
      endpointId,
      platformId,
      url: 'https://hooks.example/',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      enabled: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    await webhooks.deliveries.recordDeliveries([delivery(endpointId, platformId)]);
  }
  const platforms = {
    getPlatform: async (id: string) => (id === PLATFORM.platformId ? PLATFORM : undefined),
    rememberSignature: async () => 'fresh',
  } as unknown as PlatformStore;
  const app = createApi({
    ...deps,
    webhooks,
    platforms,
    history: new FakePayoutHistory([]),
    activity: new FakePlatformActivity(),
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  });
  const call = async (method: string, url: string, body?: string) => {
    const idempotencyKey = method === 'GET' ? undefined : randomUUID();
    const response = await app.request(`http://api.local${url}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...signedHeaders({
          secret: SECRET,
          platformId: PLATFORM.platformId,
          method,
          url,
          idempotencyKey,
          body: body ?? '',
          now: clock.now(),
        }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely
      body: (text ? JSON.parse(text) : undefined) as any,
    };
  };
  const state = () =>
    JSON.stringify([[...webhooks.endpoints.items], [...webhooks.deliveries.items]]);
  const othersState = () =>
    JSON.stringify([
      webhooks.endpoints.items.get(OTHERS),
      [...webhooks.deliveries.items.values()].filter((d) => d.platformId !== PLATFORM.platformId),
    ]);
  return { call, state, othersState };
};

/** A 4xx is a problem+json that says what is wrong and changed nothing; never a 5xx. */
const expectAnswered = (
  answer: Awaited<ReturnType<Awaited<ReturnType<typeof setup>>['call']>>,
  before: string,
  after: string,
  statuses: Map<number, number>,
) => {
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  expect(answer.status).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.type).toBe('application/problem+json');
    expect(String(answer.body.detail ?? answer.body.title).length).toBeLessThanOrEqual(
      MAX_ERROR_MESSAGE_CHARS,
    );
    if (answer.status === 422) expect(answer.body.errors?.[0]?.field).toEqual(expect.any(String));
    expect(after).toBe(before);
  }
};

const body = fc.oneof(
  { weight: 2, arbitrary: hostileJsonValue().map((value) => JSON.stringify(value) ?? '') },
  {
    weight: 2,
    arbitrary: fc
      .oneof(hostileString({ maxLength: 60 }), fc.webUrl(), hostileJsonValue({ maxDepth: 1 }))
      .map((url) => JSON.stringify({ url })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(hostileString({ maxLength: 60 }), hostileJsonValue({ maxDepth: 1 }))
      .map((deliveryId) => JSON.stringify({ deliveryId })),
  },
  { weight: 1, arbitrary: hostileString({ maxLength: 100 }) },
);
/** Percent-encodes as a client would; a lone surrogate goes as invalid UTF-8 bytes. */
const encodePath = (value: string) =>
  value.replace(/[\s\S]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%ED%A0%80';
    }
  });

const id = fc.oneof(
  hostileString({ maxLength: 40 }),
  fc.constantFrom(OWN, OTHERS, `${OWN}x`, OWN.toUpperCase(), `../${OTHERS}`),
);

describe('webhook routes, fuzzed through the API', () => {
  it('POST /v1/webhook-endpoints and /v1/webhook-deliveries/resend: any body', async () => {
    const statuses = new Map<number, number>();
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.constantFrom('/v1/webhook-endpoints', '/v1/webhook-deliveries/resend'),
        body,
        async (url, raw) => {
          const api = await setup();
          const before = api.state();
          const others = api.othersState();
          const answer = await api.call('POST', url, raw);
          expectAnswered(answer, before, api.state(), statuses);
          expect(api.othersState()).toBe(others);
        },
      ),
      400,
    );
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect(statuses.get(422)).toBeGreaterThan(0);
  });

  it('endpoint actions and DELETE: any id, another platform’s id answered as missing', async () => {
    const statuses = new Map<number, number>();
    await checkAsyncProperty(
      fc.asyncProperty(
        id,
        fc.constantFrom('rotate-secret', 'disable', 'enable', 'DELETE'),
        async (endpointId, action) => {
          const api = await setup();
          const before = api.state();
          const others = api.othersState();
          const path = `/v1/webhook-endpoints/${encodePath(endpointId)}`;
          const answer =
            action === 'DELETE'
              ? await api.call('DELETE', path)
              : await api.call('POST', `${path}/${action}`, '{}');
          expectAnswered(answer, before, api.state(), statuses);
          expect(api.othersState()).toBe(others);
          if (endpointId === OTHERS) expect(answer.status).toBe(404);
        },
      ),
      400,
    );
    expect(statuses.get(404)).toBeGreaterThan(0);
  });

  it('GET /v1/webhook-deliveries: any query string, only the platform’s own deliveries', async () => {
    const statuses = new Map<number, number>();
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.record(
          {
            status: fc.oneof(hostileString({ maxLength: 12 }), fc.constantFrom('DEAD', 'PENDING')),
            endpointId: id,
            limit: fc.oneof(hostileString({ maxLength: 12 }), fc.integer().map(String)),
          },
          { requiredKeys: [] },
        ),
        async (query) => {
          const api = await setup();
          const before = api.state();
          const answer = await api.call(
            'GET',
            `/v1/webhook-deliveries?${new URLSearchParams(query as Record<string, string>)}`,
          );
          expectAnswered(answer, before, api.state(), statuses);
          if (answer.status === 200) {
            for (const d of answer.body.deliveries) expect(d.platformId).toBe(PLATFORM.platformId);
          }
        },
      ),
      400,
    );
    expect(statuses.get(200)).toBeGreaterThan(0);
  });
});
