import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebhookReceiver } from '../../infra/local/emulators/webhook-receiver.js';
import { documentClient } from '../../shared/adapters/dynamodb/common.js';
import { ensureTables, type TableNames } from '../../shared/adapters/dynamodb/tables.js';
import {
  createDynamoWebhookDeliveryStore,
  createDynamoWebhookEndpointStore,
} from '../../shared/adapters/dynamodb/webhook-store.js';
import { createWebhookSender } from '../../shared/adapters/http/webhook-sender.js';
import { type SweepWebhooksDeps, sweepWebhooks } from '../../shared/app/sweep-webhooks.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../shared/ports/webhooks.js';
import { dispatcherBounds } from '../shared/app/webhook-fakes.js';
import { type StackClients, stackClients, TEST_TABLES } from './helpers.js';

const stack = inject('stack');

/**
 * The retry sweep on DynamoDB Local, with real receivers on loopback: the per-endpoint queues
 * (their index, the walk across its shards, the saved cursor), deferral of waiting deliveries,
 * closed endpoints and the first layout's queue. Its own webhook tables, so no other test's
 * deliveries share the queues (or the cursor) these tests count on.
 */
describe('the webhook retry sweep (DynamoDB Local)', () => {
  let clients: StackClients;
  let tables: TableNames;
  let receivers: Record<'dead' | 'ok', Awaited<ReturnType<typeof startWebhookReceiver>>>;
  const suffix = randomBytes(4).toString('hex');
  beforeAll(async () => {
    clients = await stackClients(stack);
    tables = {
      ...TEST_TABLES,
      webhookEndpoints: `${TEST_TABLES.webhookEndpoints}-sweep-${suffix}`,
      webhookDeliveries: `${TEST_TABLES.webhookDeliveries}-sweep-${suffix}`,
    };
    await ensureTables(clients.dynamodb, tables);
    receivers = {
      dead: await startWebhookReceiver((_n, _req, res) => res.writeHead(500).end()),
      ok: await startWebhookReceiver(),
    };
  }, 120_000);
  afterAll(async () => {
    for (const receiver of Object.values(receivers ?? {})) await receiver.close();
    for (const TableName of [tables?.webhookEndpoints, tables?.webhookDeliveries]) {
      if (TableName) await clients.dynamodb.send(new DeleteTableCommand({ TableName }));
    }
    clients?.destroy();
  });

  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const stores = () => ({
    endpoints: createDynamoWebhookEndpointStore(clients.dynamodb, tables),
    deliveries: createDynamoWebhookDeliveryStore(clients.dynamodb, tables),
  });
  const deps = (now: Date, tune: Partial<SweepWebhooksDeps> = {}): SweepWebhooksDeps => ({
    ...stores(),
    sender: createWebhookSender({ timeoutMs: 2_000, policy: { allowedHosts: ['127.0.0.1'] } }),
    clock: () => now,
    leaseMs: 5_000,
    endpointConcurrency: 8,
    ...dispatcherBounds,
    ...tune,
  });
  const newEndpoint = async (to: 'dead' | 'ok'): Promise<WebhookEndpoint> => {
    const endpoint: WebhookEndpoint = {
      endpointId: `we_${randomBytes(12).toString('hex')}`,
      platformId: `sweep-${to}`,
      url: receivers[to].url,
      secret: SECRET,
      enabled: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await stores().endpoints.putEndpoint(endpoint);
    receivers[to].setSecret(SECRET);
    return endpoint;
  };
  const pending = (
    to: WebhookEndpoint,
    n: number,
    dueAt: Date,
    { subject = `tip-${n}`, occurredAt = '2026-01-01T00:00:00.000Z' } = {},
  ): WebhookDelivery => ({
    deliveryId: `evt_${to.endpointId}_${n}@${to.endpointId}`,
    eventId: `evt_${to.endpointId}_${n}`,
    eventType: 'tip.failed',
    endpointId: to.endpointId,
    platformId: to.platformId,
    subject,
    occurredAt,
    body: '{}',
    status: 'PENDING',
    attempts: 1,
    nextAttemptAt: dueAt.toISOString(),
    createdAt: occurredAt,
    updatedAt: occurredAt,
  });
  const ms = (base: Date, offset: number) => new Date(base.getTime() + offset);
  const received = (to: WebhookEndpoint, list: 'dead' | 'ok') =>
    receivers[list].received.filter((r) => r.id.startsWith(`evt_${to.endpointId}_`));

  it("3 dead endpoints with 600 due retries each: a healthy endpoint's one due retry goes in the first sweep", async () => {
    const now = new Date();
    const { deliveries } = stores();
    const dead = [await newEndpoint('dead'), await newEndpoint('dead'), await newEndpoint('dead')];
    const ok = await newEndpoint('ok');
    for (const to of dead) {
      await deliveries.recordDeliveries(
        Array.from({ length: 600 }, (_, n) => pending(to, n, ms(now, -3_600_000 + n))),
      );
    }
    // Due after all 1,800: the old sweep read 500 from the head of one queue and never got here.
    await deliveries.recordDeliveries([pending(ok, 0, ms(now, -1))]);

    // What one sweep asks of DynamoDB, by command, and how long it takes.
    const requests: Record<string, number> = {};
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        requests[name] = (requests[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'countSweepRequests' },
    );
    const started = performance.now();
    const tally = await sweepWebhooks(deps(now)).finally(() =>
      clients.dynamodb.middlewareStack.remove('countSweepRequests'),
    );
    console.log(
      `one sweep, 3 x 600 due + 1: ${Math.round(performance.now() - started)} ms, requests ${JSON.stringify(requests)}`,
    );
    // The walk: a query per queue and per shard's end, a read of each endpoint, one query per
    // endpoint's due deliveries, the cursor; then per attempt a query (order), claim and finish.
    expect(requests.QueryCommand).toBeLessThanOrEqual(1 + 4 + 4 + 4 + 76);
    expect(requests.GetItemCommand).toBeLessThanOrEqual(1 + 4);

    expect(await deliveries.getDelivery(`evt_${ok.endpointId}_0@${ok.endpointId}`)).toMatchObject({
      status: 'DELIVERED',
      lastStatusCode: 204,
    });
    expect(received(ok, 'ok').map((r) => r.id)).toEqual([`evt_${ok.endpointId}_0`]);
    for (const to of dead) expect(received(to, 'dead')).toHaveLength(25);
    expect(tally).toMatchObject({ delivered: 1, failed: 75 });
  }, 120_000);

  it('the walk meets every endpoint with pending deliveries once, across the shards, and goes on from the saved cursor', async () => {
    // The tables of this file only: every queue in them is one of this file's endpoints.
    const { deliveries } = stores();
    const seen: string[] = [];
    for (let queue = await deliveries.nextQueue(undefined); queue; ) {
      seen.push(queue.endpointId);
      queue = await deliveries.nextQueue(queue.cursor);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(3);
    const more = [];
    for (let i = 0; i < 9; i += 1) more.push(await newEndpoint('ok'));
    const now = new Date();
    await deliveries.recordDeliveries(more.map((to) => pending(to, 0, ms(now, -1))));
    const all: string[] = [];
    for (let queue = await deliveries.nextQueue(undefined); queue; ) {
      all.push(queue.endpointId);
      queue = await deliveries.nextQueue(queue.cursor);
    }
    expect(new Set(all)).toEqual(new Set([...seen, ...more.map((e) => e.endpointId)]));
    expect(all).toHaveLength(12);
    // A sweep of 4 queues at a time reaches all 9 new ones within the 3 rounds of 12.
    for (let i = 0; i < 3; i += 1) await sweepWebhooks(deps(now, { sweepQueues: 4 }));
    for (const to of more) expect(received(to, 'ok')).toHaveLength(1);
    expect(await deliveries.readSweepCursor()).toMatch(/^\d+\/we_[0-9a-f]{24}$/);
  }, 120_000);

  it('deliveries waiting for an earlier event leave the head of their queue; the free one behind them goes', async () => {
    const now = new Date();
    const { deliveries } = stores();
    const ok = await newEndpoint('ok');
    for (let n = 0; n < 30; n += 1) {
      await deliveries.recordDeliveries([
        // The tip's first event: its retry is due in 3 s (receivers check the signature's
        // timestamp against their own clock, so the test waits instead of moving a clock).
        pending(ok, 100 + n, ms(now, 3_000), { subject: `tip-${n}` }),
        pending(ok, n, ms(now, -60_000 + n), {
          subject: `tip-${n}`,
          occurredAt: '2026-01-01T00:00:01.000Z',
        }),
      ]);
    }
    await deliveries.recordDeliveries([pending(ok, 999, ms(now, -1))]);
    await sweepWebhooks(deps(now));
    await sweepWebhooks(deps(now));
    expect(received(ok, 'ok').map((r) => r.id)).toEqual([`evt_${ok.endpointId}_999`]);
    const waiting = await deliveries.getDelivery(`evt_${ok.endpointId}_0@${ok.endpointId}`);
    expect(waiting).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      nextAttemptAt: ms(now, 3_001).toISOString(),
    });
    // Once due, the blockers go first, each follower after its own.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, now.getTime() + 3_002 - Date.now())),
    );
    for (let i = 0; i < 3; i += 1) await sweepWebhooks(deps(new Date()));
    const ids = received(ok, 'ok').map((r) => r.id);
    expect(ids).toHaveLength(61);
    for (let n = 0; n < 30; n += 1) {
      expect(ids.indexOf(`evt_${ok.endpointId}_${100 + n}`)).toBeLessThan(
        ids.indexOf(`evt_${ok.endpointId}_${n}`),
      );
    }
  }, 120_000);

  it("a deleted endpoint's 250 pending deliveries, due or not, are dead letters after three sweeps, none sent", async () => {
    const now = new Date();
    const { deliveries, endpoints } = stores();
    const gone = await newEndpoint('ok');
    await deliveries.recordDeliveries(
      Array.from({ length: 250 }, (_, n) =>
        pending(gone, n, ms(now, n % 2 ? -60_000 : 86_400_000)),
      ),
    );
    await endpoints.deleteEndpoint(gone.endpointId);
    for (let i = 0; i < 3; i += 1) await sweepWebhooks(deps(now));
    const listed = await deliveries.listDeliveries(gone.platformId, {
      endpointId: gone.endpointId,
      limit: 300,
    });
    expect(listed).toHaveLength(250);
    expect(listed.every((d) => d.status === 'DEAD' && d.lastError === 'endpoint deleted')).toBe(
      true,
    );
    expect(received(gone, 'ok')).toEqual([]);
    expect(await deliveries.listQueue(gone.endpointId, undefined, 10)).toEqual([]);
  }, 120_000);

  it('deliveries of the first layout are moved to their queues and sent; stale queue keys are put right', async () => {
    const now = new Date();
    const doc = documentClient(clients.dynamodb);
    const { deliveries } = stores();
    const ok = await newEndpoint('ok');
    // As the earlier version recorded them: `due` = 'due', no per-endpoint keys.
    for (const n of [0, 1]) {
      await doc.send(
        new PutCommand({
          TableName: tables.webhookDeliveries,
          Item: {
            ...pending(ok, n, ms(now, n === 0 ? -1 : 3_600_000)),
            due: 'due',
            pendingOrder: `${ok.endpointId}#tip-${n}`,
          },
        }),
      );
    }
    // An attempt of the earlier version finished one this version had moved (a deploy): DELIVERED,
    // yet still keyed in its endpoint's queue, at its head.
    await deliveries.recordDeliveries([pending(ok, 2, ms(now, -3_600_000))]);
    await doc.send(
      new UpdateCommand({
        TableName: tables.webhookDeliveries,
        Key: { deliveryId: `evt_${ok.endpointId}_2@${ok.endpointId}` },
        UpdateExpression: 'SET #status = :delivered REMOVE pendingOrder',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':delivered': 'DELIVERED' },
      }),
    );
    // And one whose retry an attempt of the earlier version put an hour later, its key left at
    // the old time, at the head of the queue: it must not hide the queue's due deliveries.
    await deliveries.recordDeliveries([pending(ok, 3, ms(now, -7_200_000))]);
    await doc.send(
      new UpdateCommand({
        TableName: tables.webhookDeliveries,
        Key: { deliveryId: `evt_${ok.endpointId}_3@${ok.endpointId}` },
        UpdateExpression: 'SET nextAttemptAt = :later',
        ExpressionAttributeValues: { ':later': ms(now, 3_600_000).toISOString() },
      }),
    );
    await sweepWebhooks(deps(now));
    expect(received(ok, 'ok').map((r) => r.id)).toEqual([`evt_${ok.endpointId}_0`]);
    const { Item: later } = await doc.send(
      new GetCommand({
        TableName: tables.webhookDeliveries,
        Key: { deliveryId: `evt_${ok.endpointId}_1@${ok.endpointId}` },
      }),
    );
    // Moved, not due yet.
    expect(later).toMatchObject({
      status: 'PENDING',
      dueKey: `${ok.endpointId}#${ms(now, 3_600_000).toISOString()}`,
    });
    expect(later?.due).toBeUndefined();
    const { Item: stale } = await doc.send(
      new GetCommand({
        TableName: tables.webhookDeliveries,
        Key: { deliveryId: `evt_${ok.endpointId}_2@${ok.endpointId}` },
      }),
    );
    expect(stale).toMatchObject({ status: 'DELIVERED' });
    expect(stale?.dueKey).toBeUndefined();
    const { Item: late } = await doc.send(
      new GetCommand({
        TableName: tables.webhookDeliveries,
        Key: { deliveryId: `evt_${ok.endpointId}_3@${ok.endpointId}` },
      }),
    );
    expect(late?.dueKey).toBe(`${ok.endpointId}#${ms(now, 3_600_000).toISOString()}`);
    expect(
      (await deliveries.listQueue(ok.endpointId, undefined, 10)).map((d) => d.eventId).sort(),
    ).toEqual([`evt_${ok.endpointId}_1`, `evt_${ok.endpointId}_3`]);
  }, 120_000);

  it('two sweeps at once on the same queues: each delivery sent once, every follower after its blocker', async () => {
    const now = new Date();
    const { deliveries } = stores();
    const ok = [await newEndpoint('ok'), await newEndpoint('ok')];
    for (const to of ok) {
      for (let n = 0; n < 20; n += 1) {
        await deliveries.recordDeliveries([
          pending(to, 100 + n, ms(now, -2_000 + n), { subject: `tip-${n}` }),
          pending(to, n, ms(now, -3_000 + n), {
            subject: `tip-${n}`,
            occurredAt: '2026-01-01T00:00:01.000Z',
          }),
        ]);
      }
    }
    // A follower whose blocker one sweep was sending when the other looked waits past that
    // attempt's lease (5 s here): rounds go on until everything arrived, not a fixed number of them
    // (four quick rounds ended inside one lease on a loaded machine, and one follower was not due).
    for (let round = 0; round < 40; round += 1) {
      const at = new Date();
      await Promise.all([sweepWebhooks(deps(at)), sweepWebhooks(deps(at))]);
      if (ok.every((to) => received(to, 'ok').length >= 40)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const to of ok) {
      const ids = received(to, 'ok').map((r) => r.id);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      for (let n = 0; n < 20; n += 1) {
        expect(ids.indexOf(`evt_${to.endpointId}_${100 + n}`)).toBeLessThan(
          ids.indexOf(`evt_${to.endpointId}_${n}`),
        );
      }
    }
  }, 120_000);

  it('an endpoint deleted and registered again under the same id: the old backlog becomes dead letters, nothing of it reaches the new URL, and it holds up none of the new events', async () => {
    const now = new Date();
    const { deliveries, endpoints } = stores();
    const old = await newEndpoint('dead');
    const subject = `tip-again-${suffix}`;
    await deliveries.recordDeliveries([
      // Of the tip the new registration hears of below, its next attempt a day away.
      pending(old, 0, ms(now, 86_400_000), { subject }),
      pending(old, 1, ms(now, -2_000)),
      pending(old, 2, ms(now, -1_000)),
    ]);
    // Deleted, then registered again with the same Idempotency-Key (the id derives from it).
    await endpoints.deleteEndpoint(old.endpointId);
    const again: WebhookEndpoint = {
      ...old,
      url: receivers.ok.url,
      createdAt: ms(now, -60_000).toISOString(),
      updatedAt: ms(now, -60_000).toISOString(),
    };
    expect(await endpoints.putEndpoint(again)).toBe('created');
    receivers.ok.setSecret(SECRET);
    await deliveries.recordDeliveries([
      pending(again, 3, ms(now, -500), { subject, occurredAt: ms(now, -30_000).toISOString() }),
    ]);
    const id = (n: number) => `evt_${old.endpointId}_${n}@${old.endpointId}`;
    for (let round = 0; round < 5; round += 1) {
      if ((await deliveries.getDelivery(id(3)))?.status === 'DELIVERED') break;
      await sweepWebhooks(deps(now));
    }
    expect(received(old, 'ok').map((r) => r.id)).toEqual([`evt_${old.endpointId}_3`]);
    expect(received(old, 'dead')).toEqual([]);
    for (const n of [0, 1, 2]) {
      expect(await deliveries.getDelivery(id(n))).toMatchObject({
        status: 'DEAD',
        lastError: 'endpoint deleted',
      });
    }
    expect((await endpoints.getEndpoint(old.endpointId))?.failingSince).toBeUndefined();
  }, 60_000);
});
