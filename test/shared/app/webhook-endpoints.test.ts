import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changeWebhookEndpoint,
  deleteWebhookEndpoint,
  registerWebhookEndpoint,
} from '../../../shared/app/webhook-endpoints.js';
import { FakeWebhookEndpoints } from './webhook-fakes.js';

const policy = { allowedHosts: [] };
const now = new Date('2026-12-07T20:00:00.000Z');

const register = (
  endpoints: FakeWebhookEndpoints,
  input: { platformId?: string; url?: string; idempotencyKey: string },
) =>
  registerWebhookEndpoint(
    {
      platformId: input.platformId ?? 'streamco',
      url: input.url ?? 'https://hooks.streamco.example/tipstream',
      idempotencyKey: input.idempotencyKey,
    },
    { endpoints, policy, now },
  );

const registered = async (result: ReturnType<typeof register>) => {
  const answer = await result;
  if (answer.kind !== 'registered') throw new Error(`expected registered, got ${answer.message}`);
  return answer;
};

describe('registerWebhookEndpoint: once per Idempotency-Key', () => {
  it('the same key and url answer the same endpoint with its secret, replayed, and store one', async () => {
    const endpoints = new FakeWebhookEndpoints();
    const first = await registered(register(endpoints, { idempotencyKey: 'k-1' }));
    const again = await registered(register(endpoints, { idempotencyKey: 'k-1' }));
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.endpoint).toEqual(first.endpoint);
    expect(first.endpoint.secret).toMatch(/^whsec_/);
    expect(endpoints.items.size).toBe(1);
  });

  it('the same key with another url is a conflict that changes nothing', async () => {
    const endpoints = new FakeWebhookEndpoints();
    const first = await registered(register(endpoints, { idempotencyKey: 'k-1' }));
    const other = await register(endpoints, {
      idempotencyKey: 'k-1',
      url: 'https://elsewhere.example/hooks',
    });
    expect(other).toEqual({
      kind: 'conflict',
      message: expect.stringMatching(/Idempotency-Key "k-1" was already used .*send a new key/),
    });
    expect([...endpoints.items.values()]).toEqual([first.endpoint]);
  });

  it("another platform's same key is its own endpoint: nothing of the first is answered", async () => {
    const endpoints = new FakeWebhookEndpoints();
    const a = await registered(register(endpoints, { idempotencyKey: 'shared', platformId: 'a' }));
    const b = await registered(register(endpoints, { idempotencyKey: 'shared', platformId: 'b' }));
    expect(b.replayed).toBe(false);
    expect(b.endpoint.endpointId).not.toBe(a.endpoint.endpointId);
    expect(b.endpoint.secret).not.toBe(a.endpoint.secret);
    // And b's other url under the same key is not a conflict with a's.
    const c = await register(endpoints, {
      idempotencyKey: 'shared',
      platformId: 'c',
      url: 'https://c.example/hooks',
    });
    expect(c.kind).toBe('registered');
  });

  it('a replay after a rotation answers the current secret; after a delete the key registers anew', async () => {
    const endpoints = new FakeWebhookEndpoints();
    const first = await registered(register(endpoints, { idempotencyKey: 'k-2' }));
    const rotated = await changeWebhookEndpoint(
      { platformId: 'streamco', endpointId: first.endpoint.endpointId, change: 'rotate' },
      { endpoints, now },
    );
    const replay = await registered(register(endpoints, { idempotencyKey: 'k-2' }));
    expect(replay.endpoint.secret).toBe(rotated.secret);
    expect(replay.endpoint.secret).not.toBe(first.endpoint.secret);

    await deleteWebhookEndpoint(
      { platformId: 'streamco', endpointId: first.endpoint.endpointId },
      { endpoints },
    );
    const anew = await registered(register(endpoints, { idempotencyKey: 'k-2' }));
    expect(anew.replayed).toBe(false);
    expect(anew.endpoint.secret).not.toBe(rotated.secret);
  });

  it('a replay is answered even when the platform is at its endpoint limit', async () => {
    const endpoints = new FakeWebhookEndpoints();
    for (let n = 0; n < 10; n++) {
      await registered(register(endpoints, { idempotencyKey: `k-${n}` }));
    }
    await expect(register(endpoints, { idempotencyKey: 'k-new' })).rejects.toThrow(
      /already has 10 webhook endpoints/,
    );
    await expect(registered(register(endpoints, { idempotencyKey: 'k-3' }))).resolves.toMatchObject(
      { replayed: true },
    );
  });

  it('two requests with one key at once (the store decides): one endpoint, both answered with it', async () => {
    const endpoints = new FakeWebhookEndpoints();
    const [a, b] = await Promise.all([
      registered(register(endpoints, { idempotencyKey: 'race' })),
      registered(register(endpoints, { idempotencyKey: 'race' })),
    ]);
    expect(a.endpoint).toEqual(b.endpoint);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(endpoints.items.size).toBe(1);
  });

  it('any keys: distinct keys are distinct endpoints, a repeated key is its first endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1, maxLength: 255 }), { minLength: 1, maxLength: 10 }),
        async (keys) => {
          const endpoints = new FakeWebhookEndpoints();
          const ids = new Map<string, string>();
          for (const key of keys) {
            const { endpoint } = await registered(register(endpoints, { idempotencyKey: key }));
            expect(endpoint.endpointId).toMatch(/^we_[0-9a-f]{24}$/);
            expect(ids.get(key) ?? endpoint.endpointId).toBe(endpoint.endpointId);
            ids.set(key, endpoint.endpointId);
          }
          expect(endpoints.items.size).toBe(new Set(keys).size);
        },
      ),
      { numRuns: 50 },
    );
  });
});
