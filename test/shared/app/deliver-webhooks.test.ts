import { describe, expect, it } from 'vitest';
import { deliverWebhooks } from '../../../shared/app/deliver-webhooks.js';
import { recordWebhookEvents } from '../../../shared/app/record-webhook-events.js';
import { sweepWebhooks } from '../../../shared/app/sweep-webhooks.js';
import { tipEvent } from '../../../shared/domain/webhook-events.js';
import type { WebhookSender } from '../../../shared/ports/webhooks.js';
import { dispatcherBounds, FakeWebhookDeliveries, FakeWebhookEndpoints } from './webhook-fakes.js';

const tip = (tipId: string, platformId: string, state: string, attempt = 1) => ({
  tipId,
  platformId,
  state,
  recipient: `02${'ab'.repeat(32)}`,
  amountMsat: 1000n,
  attempt,
  updatedAt: `2026-01-01T00:00:0${attempt}.000Z`,
  failureCode: 'NO_ROUTE',
  failureReason: 'no route',
});

const setup = async (answer: (url: string) => Promise<{ ok: boolean; status?: number }>) => {
  const endpoints = new FakeWebhookEndpoints();
  const deliveries = new FakeWebhookDeliveries();
  for (const [id, platformId, url] of [
    ['we_slow', 'slow', 'https://slow.example/'],
    ['we_fast', 'fast', 'https://fast.example/'],
  ] as const) {
    await endpoints.putEndpoint({
      endpointId: id,
      platformId,
      url,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      enabled: true,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
  }
  const sent: { url: string; id: string; at: number }[] = [];
  const sender: WebhookSender = {
    async send({ url, webhookId }) {
      const started = Date.now();
      const outcome = await answer(url);
      sent.push({ url, id: webhookId, at: Date.now() - started });
      return outcome.ok
        ? { ok: true, status: outcome.status ?? 200 }
        : { ok: false, status: outcome.status, error: 'failed' };
    },
  };
  let now = new Date('2026-01-01T00:00:10.000Z');
  const deps = {
    endpoints,
    deliveries,
    sender,
    clock: () => now,
    leaseMs: 1000,
    endpointConcurrency: 8,
    ...dispatcherBounds,
  };
  return {
    deps,
    deliveries,
    sent,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
};

describe('deliverWebhooks', () => {
  it("a slow endpoint does not hold up another platform's delivery (separate lanes)", async () => {
    const { deps, sent } = await setup(async (url) => {
      if (url.includes('slow')) await new Promise((r) => setTimeout(r, 300));
      return { ok: true };
    });
    const events = ['slow', 'fast'].map((p) => tipEvent(undefined, tip(`${p}:1`, p, 'FAILED')));
    const created = await recordWebhookEvents(
      events.flatMap((e) => (e ? [e] : [])),
      { ...deps, now: deps.clock() },
    );
    const finished: string[] = [];
    await Promise.all(
      created.map((d) => deliverWebhooks([d], deps).then(() => finished.push(d.endpointId))),
    );
    expect(finished).toEqual(['we_fast', 'we_slow']);
    expect(sent.map((s) => s.id).sort()).toEqual(['evt_fast:1_failed_1', 'evt_slow:1_failed_1']);
  });

  it('retries with the same webhook-id on the schedule, and dead-letters after the last attempt', async () => {
    const { deps, deliveries, sent, advance } = await setup(async () => ({
      ok: false,
      status: 500,
    }));
    const event = tipEvent(undefined, tip('slow:2', 'slow', 'FAILED'));
    if (!event) throw new Error('no event');
    await recordWebhookEvents([event], { ...deps, now: deps.clock() });
    for (let i = 0; i < 8; i += 1) {
      await sweepWebhooks(deps);
      advance(11 * 3_600_000);
    }
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((s) => s.id))).toEqual(new Set(['evt_slow:2_failed_1']));
    const [dead] = [...deliveries.items.values()];
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 8, lastStatusCode: 500 });
  });

  it("keeps a tip's events in order: a later event waits while an earlier one is pending", async () => {
    const { deps, deliveries, sent } = await setup(async () => ({ ok: false, status: 503 }));
    const failed = tipEvent(undefined, tip('slow:3', 'slow', 'FAILED', 1));
    const succeeded = tipEvent(tip('slow:3', 'slow', 'SENDING', 2), {
      ...tip('slow:3', 'slow', 'SUCCEEDED', 2),
      receipt: '{"receipt":{},"signature":"00"}',
    });
    if (!failed || !succeeded) throw new Error('no events');
    const created = await recordWebhookEvents([succeeded, failed], { ...deps, now: deps.clock() });
    const tally = await deliverWebhooks(created, deps);
    expect(sent.map((s) => s.id)).toEqual(['evt_slow:3_failed_1']);
    expect(tally.skipped).toBe(1);
    expect([...deliveries.items.values()].every((d) => d.status === 'PENDING')).toBe(true);
  });

  it('records a replayed stream batch once (idempotent per event and endpoint)', async () => {
    const { deps, deliveries } = await setup(async () => ({ ok: true }));
    const event = tipEvent(undefined, tip('fast:4', 'fast', 'FAILED'));
    if (!event) throw new Error('no event');
    expect(await recordWebhookEvents([event], { ...deps, now: deps.clock() })).toHaveLength(1);
    expect(await recordWebhookEvents([event], { ...deps, now: deps.clock() })).toHaveLength(0);
    expect(deliveries.items.size).toBe(1);
  });
});

describe('deliverWebhooks: an endpoint that hangs holds up nothing else', () => {
  const hang = 300;
  const recorded = async (
    deps: Awaited<ReturnType<typeof setup>>['deps'],
    platformIds: string[],
    n: number,
  ) =>
    recordWebhookEvents(
      platformIds.flatMap((p, i) => {
        const e = tipEvent(undefined, tip(`${p}:${n}-${i}`, p, 'FAILED'));
        return e ? [e] : [];
      }),
      { ...deps, now: deps.clock() },
    );

  it('a stream batch waits for one failed attempt at a hanging endpoint, later batches for none', async () => {
    const { deps, sent } = await setup(async (url) => {
      if (url.includes('slow')) {
        await new Promise((r) => setTimeout(r, hang));
        return { ok: false };
      }
      return { ok: true };
    });
    // Five events for the hanging endpoint and one for another platform in one stream batch.
    const first = await recorded(deps, ['slow', 'slow', 'slow', 'slow', 'slow', 'fast'], 1);
    let started = Date.now();
    const tally = await deliverWebhooks(first, deps, { fromStream: true });
    // Sequential attempts at the hanging endpoint would take 5 × 300 ms before the stream moves on.
    expect(Date.now() - started).toBeLessThan(2 * hang);
    expect(tally).toMatchObject({ delivered: 1, failed: 1, skipped: 4 });
    expect((await deps.endpoints.getEndpoint('we_slow'))?.failingSince).toBeDefined();
    // The next batch: the failing endpoint is left to the sweep, the other is served at once.
    const second = await recorded(deps, ['slow', 'fast'], 2);
    started = Date.now();
    expect(await deliverWebhooks(second, deps, { fromStream: true })).toMatchObject({
      delivered: 1,
      skipped: 1,
    });
    expect(Date.now() - started).toBeLessThan(hang);
    expect(sent.filter((s) => s.url.includes('slow'))).toHaveLength(1);
  });

  it('the sweep gives each due delivery its attempt and its own schedule, failing or not', async () => {
    const { deps, deliveries, sent } = await setup(async (url) => ({ ok: !url.includes('slow') }));
    await deliverWebhooks(await recorded(deps, ['slow', 'slow', 'slow'], 4), deps, {
      fromStream: true,
    });
    expect(sent).toHaveLength(1);
    // Left to the sweep: the two the stream path did not try (the first waits for its retry).
    expect(await sweepWebhooks(deps)).toMatchObject({
      failed: 2,
    });
    expect([...deliveries.items.values()].map((d) => d.attempts)).toEqual([1, 1, 1]);
  });

  it('the sweep tries a failing endpoint again, and a success clears the mark', async () => {
    let up = false;
    const { deps, deliveries } = await setup(async (url) => ({ ok: !url.includes('slow') || up }));
    await deliverWebhooks(await recorded(deps, ['slow', 'slow'], 3), deps, { fromStream: true });
    expect((await deps.endpoints.getEndpoint('we_slow'))?.failingSince).toBeDefined();
    up = true;
    await sweepWebhooks(deps);
    expect((await deps.endpoints.getEndpoint('we_slow'))?.failingSince).toBeUndefined();
    // The one skipped was delivered; the one that failed waits for its retry (5 s).
    expect([...deliveries.items.values()].map((d) => d.status).sort()).toEqual([
      'DELIVERED',
      'PENDING',
    ]);
  });
});
