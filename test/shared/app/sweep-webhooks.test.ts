import { describe, expect, it } from 'vitest';
import { type SweepWebhooksDeps, sweepWebhooks } from '../../../shared/app/sweep-webhooks.js';
import type { WebhookDelivery, WebhookSender } from '../../../shared/ports/webhooks.js';
import { dispatcherBounds, FakeWebhookDeliveries, FakeWebhookEndpoints } from './webhook-fakes.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** Endpoints `we_<name>`; those named `dead…` answer 500, the others 204. */
const setup = async (names: string[], tune: Partial<SweepWebhooksDeps> = {}) => {
  const endpoints = new FakeWebhookEndpoints();
  const deliveries = new FakeWebhookDeliveries();
  for (const name of names) {
    await endpoints.putEndpoint({
      endpointId: `we_${name}`,
      platformId: `p_${name}`,
      url: `https://${name}.example/hooks`,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      enabled: true,
      createdAt: at(-86_400_000),
      updatedAt: at(-86_400_000),
    });
  }
  const sent: { host: string; id: string }[] = [];
  const sender: WebhookSender = {
    async send({ url, webhookId }) {
      const host = new URL(url).hostname.split('.')[0] ?? '';
      sent.push({ host, id: webhookId });
      return host.startsWith('dead')
        ? { ok: false, status: 500, error: 'HTTP 500' }
        : { ok: true, status: 204 };
    },
  };
  let now = new Date(T0);
  const deps: SweepWebhooksDeps = {
    endpoints,
    deliveries,
    sender,
    clock: () => now,
    leaseMs: 11_000,
    endpointConcurrency: 8,
    ...dispatcherBounds,
    ...tune,
  };
  return {
    deps,
    endpoints,
    deliveries,
    sent,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
};

/** A delivery to `we_<name>`, a retry (one attempt made) due at `dueMs` after T0. */
const pending = (
  name: string,
  n: number,
  dueMs: number,
  { subject = `tip-${name}-${n}`, occurredMs = -60_000 + n } = {},
): WebhookDelivery => ({
  deliveryId: `evt_${name}_${n}@we_${name}`,
  eventId: `evt_${name}_${n}`,
  eventType: 'tip.failed',
  endpointId: `we_${name}`,
  platformId: `p_${name}`,
  subject,
  occurredAt: at(occurredMs),
  body: '{}',
  status: 'PENDING',
  attempts: 1,
  nextAttemptAt: at(dueMs),
  createdAt: at(occurredMs),
  updatedAt: at(occurredMs),
});

const statusOf = (deliveries: FakeWebhookDeliveries, name: string, n: number) =>
  deliveries.items.get(`evt_${name}_${n}@we_${name}`)?.status;

describe('sweepWebhooks: no backlog starves another endpoint', () => {
  it("3 dead endpoints with 600 due each do not hide a healthy endpoint's one due retry from the first sweep", async () => {
    const { deps, deliveries, sent } = await setup(['dead1', 'dead2', 'dead3', 'ok']);
    for (const name of ['dead1', 'dead2', 'dead3']) {
      await deliveries.recordDeliveries(
        Array.from({ length: 600 }, (_, n) => pending(name, n, -3_600_000 + n)),
      );
    }
    // Due last of all: one queue read from its head (500 at a time) never reached it.
    await deliveries.recordDeliveries([pending('ok', 0, -1)]);

    const tally = await sweepWebhooks(deps);

    expect(statusOf(deliveries, 'ok', 0)).toBe('DELIVERED');
    // Each dead endpoint got its 25 attempts, no more.
    for (const name of ['dead1', 'dead2', 'dead3']) {
      expect(sent.filter((s) => s.host === name)).toHaveLength(25);
    }
    expect(tally).toMatchObject({ delivered: 1, failed: 75 });
  });

  it('more busy endpoints than a sweep takes: each is reached in turn, within ⌈endpoints × 25 / limit⌉ sweeps', async () => {
    const dead = Array.from({ length: 10 }, (_, i) => `dead${i}`);
    // 100 deliveries a sweep: four endpoints' 25.
    const { deps, deliveries, sent } = await setup([...dead, 'ok'], { sweepLimit: 100 });
    for (const name of dead) {
      await deliveries.recordDeliveries(
        Array.from({ length: 200 }, (_, n) => pending(name, n, -3_600_000 + n)),
      );
    }
    await deliveries.recordDeliveries([pending('ok', 0, -1)]);
    let sweeps = 0;
    while (statusOf(deliveries, 'ok', 0) !== 'DELIVERED') {
      await sweepWebhooks(deps);
      sweeps += 1;
      expect(sweeps).toBeLessThanOrEqual(Math.ceil((11 * 25) / 100));
    }
    // The rotation goes on where it stopped: after three sweeps every endpoint had its turn.
    await sweepWebhooks(deps);
    for (const name of dead) expect(sent.filter((s) => s.host === name).length).toBeGreaterThan(0);
  });

  it('looks at `sweepQueues` queues a sweep, and the next sweep goes on from there', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `ok${i}`);
    const { deps, deliveries, sent } = await setup(names, { sweepQueues: 3 });
    for (const name of names) await deliveries.recordDeliveries([pending(name, 0, -1)]);
    const perSweep: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const before = sent.length;
      await sweepWebhooks(deps);
      perSweep.push(sent.length - before);
    }
    expect(perSweep).toEqual([3, 3, 3, 1]);
    expect(new Set(sent.map((s) => s.host))).toEqual(new Set(names));
  });

  it('an endpoint with nothing due yet costs a look, not a place among those served', async () => {
    const { deps, deliveries, sent } = await setup(['later', 'ok'], { sweepLimit: 25 });
    await deliveries.recordDeliveries(
      Array.from({ length: 50 }, (_, n) => pending('later', n, 3_600_000)),
    );
    await deliveries.recordDeliveries([pending('ok', 0, -1)]);
    await sweepWebhooks(deps);
    expect(sent).toEqual([{ host: 'ok', id: 'evt_ok_0' }]);
  });
});

describe('sweepWebhooks: deliveries waiting for an earlier event wedge nothing', () => {
  it("waiting deliveries at the head of every queue leave it: the one that can go is sent, the tip's order kept", async () => {
    const names = Array.from({ length: 21 }, (_, i) => `wait${i}`);
    const { deps, deliveries, sent, advance } = await setup(names, { sweepLimit: 500 });
    for (const name of names) {
      // 25 tips whose first event's retry is due in an hour; their second event is due now and
      // must wait for it. Behind them one delivery of another tip that can go.
      for (let n = 0; n < 25; n += 1) {
        const subject = `tip-${name}-${n}`;
        await deliveries.recordDeliveries([
          pending(name, 100 + n, 3_600_000, { subject, occurredMs: -60_000 }),
          pending(name, n, -120_000 + n, { subject, occurredMs: -30_000 }),
        ]);
      }
      await deliveries.recordDeliveries([pending(name, 999, -1)]);
    }

    // 21 × 25 waiting: more than a sweep takes (500). The first sweep defers the waiting ones of
    // 20 endpoints behind their blockers, the second those of the 21st and sends the free ones of
    // the 20, the third the 21st's: nothing that can go waits longer, and none waits for good.
    for (let i = 0; i < 3; i += 1) await sweepWebhooks(deps);
    for (const name of names) expect(statusOf(deliveries, name, 999)).toBe('DELIVERED');
    for (const name of names) {
      for (let n = 0; n < 25; n += 1) {
        const waiting = deliveries.items.get(`evt_${name}_${n}@we_${name}`);
        expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1 });
        expect(waiting?.nextAttemptAt).toBe(at(3_600_000 + 1));
      }
    }
    expect(sent.every((s) => s.id.endsWith('_999'))).toBe(true);

    // An hour on: each blocker goes, then its follower (1,050 deliveries, 500 a sweep).
    advance(3_600_000 + 1);
    const before = sent.length;
    for (let i = 0; i < 4; i += 1) await sweepWebhooks(deps);
    const wait0 = sent
      .slice(before)
      .filter((s) => s.host === 'wait0')
      .map((s) => s.id);
    for (let n = 0; n < 25; n += 1) {
      expect(wait0.indexOf(`evt_wait0_${100 + n}`)).toBeLessThan(wait0.indexOf(`evt_wait0_${n}`));
      expect(wait0.indexOf(`evt_wait0_${100 + n}`)).toBeGreaterThanOrEqual(0);
    }
    expect([...deliveries.items.values()].every((d) => d.status === 'DELIVERED')).toBe(true);
  });

  it('a delivery whose blocker is being tried waits past that attempt’s lease', async () => {
    const { deps, deliveries } = await setup(['ok']);
    const subject = 'tip-ok-1';
    const blocker = pending('ok', 0, -10, { subject, occurredMs: -60_000 });
    await deliveries.recordDeliveries([
      { ...blocker, leaseUntil: at(5_000) },
      pending('ok', 1, -5, { subject, occurredMs: -30_000 }),
    ]);
    await sweepWebhooks(deps);
    expect(deliveries.items.get('evt_ok_1@we_ok')?.nextAttemptAt).toBe(at(5_001));
  });
});

describe('sweepWebhooks: closed endpoints and the first layout', () => {
  it("a deleted endpoint's backlog, due or not, becomes dead letters in bounded steps, nothing sent", async () => {
    const { deps, endpoints, deliveries, sent } = await setup(['gone', 'ok']);
    await deliveries.recordDeliveries(
      Array.from({ length: 600 }, (_, n) => pending('gone', n, n % 2 ? -60_000 : 86_400_000)),
    );
    await deliveries.recordDeliveries([pending('ok', 0, -1)]);
    // The platform deleted it; nothing else was done (a delete that timed out does no more).
    await endpoints.deleteEndpoint('we_gone');
    const dead: number[] = [];
    for (let i = 0; i < 6; i += 1) dead.push((await sweepWebhooks(deps)).dead);
    expect(dead).toEqual([100, 100, 100, 100, 100, 100]);
    expect(statusOf(deliveries, 'ok', 0)).toBe('DELIVERED');
    const gone = [...deliveries.items.values()].filter((d) => d.endpointId === 'we_gone');
    expect(gone.every((d) => d.status === 'DEAD' && d.lastError === 'endpoint deleted')).toBe(true);
    expect(sent.filter((s) => s.host === 'gone')).toEqual([]);
    expect(await deliveries.nextQueue(undefined)).toBeUndefined();
  });

  it('an endpoint deleted and registered again under the same key (same id): the old backlog becomes dead letters, only events from the new registration on are sent', async () => {
    const { deps, endpoints, deliveries, sent } = await setup(['gone']);
    const subject = 'tip-shared';
    await deliveries.recordDeliveries([
      ...Array.from({ length: 30 }, (_, n) => pending('gone', n, n % 2 ? -60_000 : 86_400_000)),
      // Of the same tip as the new registration's event below, and not due for a day.
      pending('gone', 30, 86_400_000, { subject, occurredMs: -50_000 }),
    ]);
    // Deleted, then registered again with the same Idempotency-Key before any sweep came by:
    // the endpoint id is derived from the key, so the new registration has the old one's id.
    await endpoints.deleteEndpoint('we_gone');
    await endpoints.putEndpoint({
      endpointId: 'we_gone',
      platformId: 'p_gone',
      url: 'https://elsewhere.example/hooks',
      secret: 'whsec_bmV3IHNlY3JldCBmb3IgdGhlIG5ldyBvbmUh',
      enabled: true,
      createdAt: at(-10_000),
      updatedAt: at(-10_000),
    });
    // An event of the new registration, of a tip with an old delivery still pending.
    await deliveries.recordDeliveries([pending('gone', 31, -1, { subject, occurredMs: -5_000 })]);
    for (let i = 0; i < 3; i += 1) {
      await sweepWebhooks(deps);
    }
    // The old registration's deliveries due so far are dead letters, none sent to the new URL.
    expect(sent).toEqual([{ host: 'elsewhere', id: 'evt_gone_31' }]);
    expect(statusOf(deliveries, 'gone', 31)).toBe('DELIVERED');
    const old = [...deliveries.items.values()].filter(
      (d) => d.deliveryId !== 'evt_gone_31@we_gone' && (d.nextAttemptAt ?? '') <= at(0),
    );
    expect(old.length).toBe(15);
    // The old tip's delivery waits for no attempt and holds up none of the new one's events.
    expect(statusOf(deliveries, 'gone', 30)).toBe('DEAD');
    expect(old.every((d) => d.status === 'DEAD' && d.lastError === 'endpoint deleted')).toBe(true);
    // Dead letters of the old registration tell nothing of the new one's health.
    expect((await endpoints.getEndpoint('we_gone'))?.failingSince).toBeUndefined();
  });

  it('a blocker just ended whose entry in the order index lags (read eventually) holds its follower up only until the index catches up', async () => {
    const { deps, deliveries, advance, sent } = await setup(['ok']);
    const subject = 'tip-lag';
    // Abandoned while its next attempt was a day away; the index still lists it as pending.
    const ended = { ...pending('ok', 0, 86_400_000, { subject, occurredMs: -50_000 }) };
    await deliveries.recordDeliveries([
      { ...ended, status: 'DEAD', lastError: 'endpoint disabled' },
      pending('ok', 1, -1, { subject, occurredMs: -40_000 }),
    ]);
    const indexed = deliveries.earliestPending.bind(deliveries);
    let lagging = true;
    deliveries.earliestPending = async (d) =>
      lagging && d.deliveryId === 'evt_ok_1@we_ok'
        ? deliveries.getDelivery('evt_ok_0@we_ok')
        : indexed(d);
    await sweepWebhooks(deps);
    expect(deliveries.items.get('evt_ok_1@we_ok')?.nextAttemptAt).toBe(at(1));
    lagging = false;
    advance(1);
    await sweepWebhooks(deps);
    expect(sent).toEqual([{ host: 'ok', id: 'evt_ok_1' }]);
  });

  it("a disabled endpoint's deliveries become dead letters, an attempt under way is left to finish", async () => {
    const { deps, endpoints, deliveries } = await setup(['off']);
    await deliveries.recordDeliveries([
      pending('off', 0, -1),
      { ...pending('off', 1, -1), leaseUntil: at(5_000) },
    ]);
    await endpoints.updateEndpoint('we_off', { enabled: false }, new Date(T0));
    expect(await sweepWebhooks(deps)).toMatchObject({ dead: 1, skipped: 1 });
    expect(deliveries.items.get('evt_off_0@we_off')).toMatchObject({
      status: 'DEAD',
      lastError: 'endpoint disabled',
    });
    expect(statusOf(deliveries, 'off', 1)).toBe('PENDING');
  });

  it("deliveries of the first layout (one queue for all) are moved to their endpoints' queues, a step a sweep", async () => {
    const { deps, deliveries, sent } = await setup(['dead', 'ok'], { legacyStep: 40 });
    deliveries.recordLegacy([
      ...Array.from({ length: 60 }, (_, n) => pending('dead', n, -3_600_000 + n)),
      pending('ok', 0, -1),
      pending('ok', 1, 3_600_000),
    ]);
    await sweepWebhooks(deps);
    // 40 moved, the dead endpoint's first 40 (soonest due); 25 of them tried.
    expect(deliveries.legacy.size).toBe(22);
    expect(sent).toHaveLength(25);
    await sweepWebhooks(deps);
    expect(deliveries.legacy.size).toBe(0);
    expect(statusOf(deliveries, 'ok', 0)).toBe('DELIVERED');
    // Not due yet: moved, waiting in its queue.
    expect(statusOf(deliveries, 'ok', 1)).toBe('PENDING');
    expect((await deliveries.listQueue('we_ok', undefined, 5)).map((d) => d.eventId)).toEqual([
      'evt_ok_1',
    ]);
  });
});

describe('sweepWebhooks under concurrency and crashes', () => {
  it('two sweeps at once: every delivery sent once, the claims decide', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `ok${i}`);
    const { deps, deliveries, sent } = await setup(names);
    for (const name of names) {
      await deliveries.recordDeliveries(Array.from({ length: 30 }, (_, n) => pending(name, n, -n)));
    }
    await Promise.all([sweepWebhooks(deps), sweepWebhooks(deps), sweepWebhooks(deps)]);
    await Promise.all([sweepWebhooks(deps), sweepWebhooks(deps)]);
    const ids = sent.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...deliveries.items.values()].every((d) => d.status === 'DELIVERED')).toBe(true);
  });

  it('a sweep killed after its claims: the cursor moved on, the leases run out, the next round sends them', async () => {
    const { deps, deliveries, sent, advance } = await setup(['ok', 'ok2']);
    await deliveries.recordDeliveries([pending('ok', 0, -1), pending('ok2', 0, -1)]);
    await expect(
      sweepWebhooks({
        ...deps,
        checkpoint: (step) => {
          if (step === 'after-claim') throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(sent).toEqual([]);
    await sweepWebhooks(deps);
    expect(sent).toEqual([]);
    advance(11_001);
    await sweepWebhooks(deps);
    expect(sent.map((s) => s.id).sort()).toEqual(['evt_ok2_0', 'evt_ok_0']);
  });
});

describe('sweepWebhooks within the function time limit', () => {
  it('begins no attempt that could not finish before the deadline; the rest keep their attempts for the next sweep', async () => {
    const { deps, deliveries, sent, advance } = await setup(['dead']);
    await deliveries.recordDeliveries(Array.from({ length: 25 }, (_, n) => pending('dead', n, -n)));
    // Each attempt hangs for the sender's whole 5 s timeout; the function has 60 s left.
    const hanging = {
      ...deps,
      sender: {
        send: async (attempt: Parameters<SweepWebhooksDeps['sender']['send']>[0]) => {
          advance(5_000);
          return deps.sender.send(attempt);
        },
      },
    };
    const tally = await sweepWebhooks(hanging, { deadline: new Date(T0 + 60_000) });
    // Begun at 0, 5 … 45 s: each could hold its lease (11 s) within the 60 s; at 50 s one could not.
    expect(sent).toHaveLength(10);
    expect(tally).toMatchObject({ failed: 10, skipped: 15 });
    const untried = [...deliveries.items.values()].filter((d) => d.attempts === 1);
    expect(untried).toHaveLength(15);
  });
});

describe('sweepWebhooks: an endpoint deleted while a sweep serves it', () => {
  it('the attempts that sweep began go on; the next sweep ends the rest as dead letters, none left pending', async () => {
    const { deps, endpoints, deliveries, sent } = await setup(['dead']);
    await deliveries.recordDeliveries(Array.from({ length: 40 }, (_, n) => pending('dead', n, -n)));
    const deleting = {
      ...deps,
      sender: {
        send: async (attempt: Parameters<SweepWebhooksDeps['sender']['send']>[0]) => {
          if (sent.length === 3) await endpoints.deleteEndpoint('we_dead');
          return deps.sender.send(attempt);
        },
      },
    };
    expect(await sweepWebhooks(deleting)).toMatchObject({ failed: 25 });
    expect(await sweepWebhooks(deps)).toMatchObject({ dead: 40 });
    expect(sent).toHaveLength(25);
    expect([...deliveries.items.values()].every((d) => d.status === 'DEAD')).toBe(true);
  });
});
