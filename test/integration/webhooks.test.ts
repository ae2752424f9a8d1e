import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { changeWebhookEndpoint } from '../../shared/app/webhook-endpoints.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import {
  apiClient,
  newTestPlatform,
  receiptPublicKey,
  receivedBy,
  useLocalService,
} from './helpers.js';
import { webhookPlatforms } from './webhook-platforms.js';

const stack = inject('stack');

describe.runIf(stack.lightning.network === 'regtest')('webhooks on the real stack', () => {
  const f = useLocalService(stack, 'webhooks', () => ({
    reconcileEveryMs: 0,
    apiPort: 0,
    dispatcher: { sweepEveryMs: 100 },
    log: (line) => console.log(line),
    env: {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      TIPSTREAM_PAYER_CONCURRENCY: '10',
      // 5 s, 5 min, 30 min … becomes 0.5 ms, 30 ms, 180 ms, 720 ms, 1.8 s, 3.6 s, 3.6 s.
      TIPSTREAM_WEBHOOK_RETRY_SCALE: '0.0001',
      TIPSTREAM_WEBHOOK_TIMEOUT_MS: '1000',
    },
  }));
  const pubkey = (name: string) => stackNode(stack, name).pubkey;

  const platformWithReceiver = webhookPlatforms(f);

  it('a tip to carol: exactly one tip.succeeded, signed, with a receipt that verifies', async () => {
    const { call, receiver } = await platformWithReceiver('it-hook-ok');
    const sent = Date.now();
    const accepted = await call('POST', '/v1/tips', {
      recipientPubkey: pubkey('carol'),
      amountMsat: 21_000,
      message: 'webhook test',
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const tipId = accepted.body.tipId as string;
    const event = await waitFor('tip.succeeded at the receiver', async () =>
      receiver.received.find((r) => r.payload.type === 'tip.succeeded'),
    );
    // Nothing more comes: one event, one delivery.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.rejected).toEqual([]);
    expect(receiver.received).toHaveLength(1);
    expect(event.id).toBe(`evt_${tipId}_succeeded`);
    expect(event.payload).toMatchObject({
      id: event.id,
      type: 'tip.succeeded',
      version: 1,
      data: { tipId, recipient: pubkey('carol'), amountMsat: '21000' },
    });
    const receipt = event.payload.data.receipt;
    expect(verifyReceipt(receipt, receiptPublicKey(f.service))).toEqual({ ok: true });
    // Paid once, on carol's own node, with the hash the receipt names.
    const invoices = await receivedBy(f.clients, 'carol', receipt.receipt.paymentHash);
    expect(invoices).toHaveLength(1);
    console.log(`tip accepted → tip.succeeded delivered: ${event.at - sent} ms`);
  });

  it('a tip to erin (no keysend): tip.failed with its code and reason', async () => {
    const { call, receiver } = await platformWithReceiver('it-hook-fail');
    const accepted = await call('POST', '/v1/tips', {
      recipientPubkey: pubkey('erin'),
      amountMsat: 5_000,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const event = await waitFor('tip.failed at the receiver', async () =>
      receiver.received.find((r) => r.payload.type === 'tip.failed'),
    );
    expect(event.payload.data).toMatchObject({
      tipId: accepted.body.tipId,
      recipient: pubkey('erin'),
      code: expect.any(String),
      reason: expect.stringMatching(/keysend|reject|route/i),
    });
  });

  it('a 100-row payout ends with one batch.completed matching GET /v1/payouts/{id}', async () => {
    // The endpoint is registered at the start of a minute, so the batch completes in that same
    // minute: DynamoDB Local's streams round ApproximateCreationDateTime down to the minute, and
    // an event timed by it seemed to predate the endpoint and went untold.
    const second = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
    if (second > 10) await new Promise((resolve) => setTimeout(resolve, (60.2 - second) * 1000));
    const { call, receiver, endpoint } = await platformWithReceiver('it-hook-batch');
    const lines = ['pubkey,amount_sats,memo'];
    for (let i = 0; i < 100; i += 1)
      lines.push(`${pubkey(i % 2 ? 'carol' : 'dave')},${1 + (i % 7)},row ${i + 1}`);
    const accepted = await call('POST', '/v1/payouts', lines.join('\n'), {
      contentType: 'text/csv',
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const batchId = accepted.body.batchId as string;
    const event = await waitFor(
      'batch.completed at the receiver',
      async () => receiver.received.find((r) => r.payload.type === 'batch.completed'),
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const { body } = await call('GET', `/v1/payouts/${batchId}`);
    expect(event.payload.data).toMatchObject({
      batchId,
      status: 'DONE',
      counts: body.counts,
      msat: body.msat,
    });
    expect(body.counts).toMatchObject({ total: 100, succeeded: 100, pending: 0 });
    // At least once: every tip of the batch told. A repeat (an attempt retried after its 1 s
    // timeout or lease ran out on a loaded machine, though the receiver took it) carries the same
    // webhook-id, so the wait counts distinct tips, not requests: counting requests once ended it
    // at 103 requests for 97 tips, the last 3 still on their way (all 100 were DELIVERED).
    const tipIdsTold = () =>
      new Set(
        receiver.received
          .filter((r) => r.payload.type === 'tip.succeeded')
          .map((r) => r.payload.data.tipId),
      );
    await waitFor('100 distinct tip.succeeded', async () =>
      tipIdsTold().size >= 100 ? true : undefined,
    );
    expect([...tipIdsTold()].every((id) => String(id).startsWith(`${batchId}-`))).toBe(true);
    expect(tipIdsTold().size).toBe(100);
    // One batch.completed id among them, and nothing else.
    const ids = new Set(receiver.received.map((r) => r.id));
    expect(ids.size).toBe(101);
    expect(
      new Set(
        receiver.received.filter((r) => r.payload.type === 'batch.completed').map((r) => r.id),
      ),
    ).toEqual(new Set([`evt_${batchId}_completed`]));
    console.log(
      `batch: ${receiver.received.length} requests for ${ids.size} events; endpoint registered ${endpoint.createdAt}, batch.completed at ${event.payload.createdAt}`,
    );
  }, 300_000);

  it('500 three times, then 200: delivered on the 4th attempt with the same webhook-id', async () => {
    const { call, receiver, stores, platform } = await platformWithReceiver(
      'it-hook-retry',
      (n, _req, res) => res.writeHead(n <= 3 ? 500 : 200).end(n <= 3 ? 'not now' : 'ok'),
    );
    const accepted = await call('POST', '/v1/tips', {
      recipientPubkey: pubkey('carol'),
      amountMsat: 2_000,
    });
    expect(accepted.status).toBe(202);
    await waitFor('4 attempts', async () => (receiver.received.length >= 4 ? true : undefined), {
      timeoutMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(
      new Set([`evt_${accepted.body.tipId}_succeeded`]),
    );
    // Backoff between attempts grows (jittered ±20 %): 0.5 ms, 30 ms, 180 ms scaled.
    const gaps = receiver.received.slice(1).map((r, i) => r.at - (receiver.received[i]?.at ?? 0));
    expect(gaps[2]).toBeGreaterThanOrEqual(140);
    const [delivery] = await stores.deliveries.listDeliveries(platform.platformId, { limit: 10 });
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 4, lastStatusCode: 200 });
  });

  it('an endpoint that never answers: dead letter after every attempt, then resent and delivered', async () => {
    let answering = false;
    const { call, receiver, stores, platform } = await platformWithReceiver(
      'it-hook-dead',
      (_n, _req, res) => {
        if (answering) res.writeHead(200).end();
        // else: never answers; the dispatcher's 1 s timeout ends each attempt.
      },
    );
    const started = Date.now();
    const accepted = await call('POST', '/v1/tips', {
      recipientPubkey: pubkey('carol'),
      amountMsat: 3_000,
    });
    expect(accepted.status).toBe(202);
    const dead = await waitFor(
      'the delivery to be dead-lettered',
      async () =>
        (await stores.deliveries.listDeliveries(platform.platformId, { limit: 5 })).find(
          (d) => d.status === 'DEAD',
        ),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    console.log(`dead letter after ${dead.attempts} attempts in ${Date.now() - started} ms`);
    expect(dead.attempts).toBe(8);
    expect(dead.lastError).toMatch(/no answer within 1000 ms/);
    expect(receiver.received).toHaveLength(8);
    answering = true;
    // Resent by the real CLI, as an operator's shell would: `tipstream webhooks resend`.
    const resent = await promisify(execFile)(
      process.execPath,
      [
        'cli/bin.mjs',
        '--api',
        f.service.api?.url ?? '',
        '--platform',
        platform.platformId,
        '--json',
        'webhooks',
        'resend',
      ],
      {
        env: {
          ...process.env,
          NODE_OPTIONS: '--disable-warning=DEP0123',
          TIPSTREAM_PLATFORM_SECRET: platform.secret,
        },
      },
    );
    expect(JSON.parse(resent.stdout)).toEqual({ resent: [dead.deliveryId] });
    await waitFor('the resent delivery', async () => {
      const d = await stores.deliveries.getDelivery(dead.deliveryId);
      return d?.status === 'DELIVERED' ? d : undefined;
    });
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
  });
  it('POST /v1/webhook-endpoints registers once per Idempotency-Key: a retry gets the same endpoint and secret, another url under the key is a 409', async () => {
    const platform = await newTestPlatform(f.clients, 'it-hook-idem', 1_000);
    const call = apiClient(f.service.api?.url ?? '', platform);
    const key = `register-${Date.now()}`;
    const url = 'http://127.0.0.1:9/hooks/idempotent';
    const first = await call('POST', '/v1/webhook-endpoints', { url }, { idempotencyKey: key });
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    const retry = await call('POST', '/v1/webhook-endpoints', { url }, { idempotencyKey: key });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const other = await call(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks/other' },
      { idempotencyKey: key },
    );
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(other.body.type).toMatch(/idempotency-conflict$/);
    expect(other.body.detail).toMatch(/already used to register another URL/);
    // Another key is another endpoint; the listing shows both and no secret.
    const second = await call(
      'POST',
      '/v1/webhook-endpoints',
      { url },
      { idempotencyKey: `${key}-2` },
    );
    expect(second.status).toBe(201);
    const listed = await call('GET', '/v1/webhook-endpoints');
    expect(listed.body.endpoints.map((e: { endpointId: string }) => e.endpointId)).toEqual([
      first.body.endpointId,
      second.body.endpointId,
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
  });

  it("an endpoint that hangs for the whole timeout does not delay another platform's event beyond a bound", async () => {
    const hanging = await platformWithReceiver('it-hook-hang', () => {
      // never answers: every attempt runs into the dispatcher's 1 s timeout
    });
    const tips = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        hanging.call('POST', '/v1/tips', {
          recipientPubkey: pubkey('carol'),
          amountMsat: 1_000 * (i + 1),
        }),
      ),
    );
    expect(tips.map((t) => t.status)).toEqual(Array(8).fill(202));
    // Every one of its tips settled, so its eight events are on the stream before the other's.
    await waitFor(
      "the hanging platform's tips to settle",
      async () => {
        for (const t of tips) {
          const tip = await f.clients.ledger.getTip(t.body.tipId as string);
          if (tip?.state !== 'SUCCEEDED') return undefined;
        }
        return true;
      },
      { intervalMs: 200 },
    );
    const other = await platformWithReceiver('it-hook-hang-other');
    const accepted = await other.call('POST', '/v1/tips', {
      recipientPubkey: pubkey('dave'),
      amountMsat: 4_000,
    });
    expect(accepted.status).toBe(202);
    const event = await waitFor(
      "the other platform's tip.succeeded",
      async () => other.receiver.received[0],
      { timeoutMs: 60_000 },
    );
    // From the ledger write that ended the tip to the receiver. Eight attempts in a row at the
    // hanging endpoint ahead of it took 8 × 1 s; one attempt's timeout (1 s) is what it may cost.
    const delay = event.at - Date.parse(event.payload.createdAt);
    console.log(`other platform's delivery ${delay} ms after its tip settled`);
    expect(delay).toBeLessThan(3_000);
    expect(hanging.receiver.received.length).toBeGreaterThanOrEqual(1);
    // Its deliveries go to the dead letter at once now, out of the later tests' way.
    await changeWebhookEndpoint(
      {
        platformId: hanging.platform.platformId,
        endpointId: hanging.endpoint.endpointId,
        change: 'disable',
      },
      { endpoints: hanging.stores.endpoints, now: new Date() },
    );
  });
});
