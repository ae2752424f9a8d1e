import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoPlatformActivity } from '../../shared/adapters/dynamodb/platform-activity.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { hourOf } from '../../shared/domain/platform-summary.js';
import {
  apiClient,
  newTestPlatform,
  startParkedApi,
  TEST_TABLES,
  useLocalService,
} from './helpers.js';

const stack = inject('stack');

describe.runIf(stack.lightning.network === 'regtest')(
  "a platform's recent tips and summary (GET /v1/tips, GET /v1/summary) on the real stack",
  () => {
    const f = useLocalService(stack, 'api-activity', () => ({
      reconcileEveryMs: 0,
      apiPort: 0,
      env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
    }));
    const pubkey = (name: string) => stackNode(stack, name).pubkey;
    let platform: { platformId: string; secret: string };
    let call: ReturnType<typeof apiClient>;
    /** The same API with a queue no payer reads: what it accepts stays pending. */
    let parked: Awaited<ReturnType<typeof startParkedApi>>;
    const tipIds: Record<string, string> = {};
    let finishedBatchId: string;

    const waitForFinal = (tipId: string) =>
      waitFor(
        `tip ${tipId} to finish`,
        async () => {
          const { body } = await call('GET', `/v1/tips/${encodeURIComponent(tipId)}`);
          return ['SUCCEEDED', 'FAILED'].includes(String(body.status)) ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );

    beforeAll(async () => {
      platform = await newTestPlatform(f.clients, 'it-activity', 10_000_000);
      call = apiClient(f.service.api?.url ?? '', platform);
      parked = await startParkedApi(f, platform, 'api-activity-parked');

      const sends: Array<[string, string, number]> = [
        ['carol-1', 'carol', 21_000],
        ['carol-2', 'carol', 5_000],
        ['dave-1', 'dave', 8_000],
        ['erin-1', 'erin', 3_000],
      ];
      for (const [label, node, amountMsat] of sends) {
        const accepted = await call('POST', '/v1/tips', {
          recipientPubkey: pubkey(node),
          amountMsat,
          message: `activity ${label}`,
        });
        expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
        tipIds[label] = String(accepted.body.tipId);
      }
      const batch = await call('POST', '/v1/payouts', {
        payouts: [
          { pubkey: pubkey('carol'), amountSats: 2, memo: 'batch row 1' },
          { pubkey: pubkey('dave'), amountSats: 3, memo: 'batch row 2' },
        ],
      });
      expect(batch.status, JSON.stringify(batch.body)).toBe(202);
      finishedBatchId = String(batch.body.batchId);
      for (const tipId of [
        ...Object.values(tipIds),
        `${finishedBatchId}-1`,
        `${finishedBatchId}-2`,
      ])
        await waitForFinal(tipId);
    });
    afterAll(async () => {
      await parked?.close();
    });

    it("lists the platform's tips newest first, with status, fee, failure reason and batch, a page at a time", async () => {
      const seen: Array<Record<string, unknown>> = [];
      let path: string | undefined = '/v1/tips?limit=2';
      while (path) {
        const page = await call('GET', path);
        expect(page.status).toBe(200);
        expect(page.body.tips.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.tips);
        path = page.body.next;
      }
      expect(seen).toHaveLength(6);
      expect(new Set(seen.map((tip) => tip.tipId)).size).toBe(6);
      const created = seen.map((tip) => String(tip.createdAt));
      expect(created).toEqual([...created].sort().reverse());

      const byId = new Map(seen.map((tip) => [tip.tipId, tip]));
      expect(byId.get(tipIds['carol-1'])).toMatchObject({
        status: 'SUCCEEDED',
        recipient: pubkey('carol'),
        amountMsat: '21000',
        feeMsat: expect.stringMatching(/^[0-9]+$/),
        settledAt: expect.any(String),
        attempts: 1,
        statusUrl: `/v1/tips/${encodeURIComponent(tipIds['carol-1'] ?? '')}`,
      });
      const erin = byId.get(tipIds['erin-1']);
      expect(erin).toMatchObject({ status: 'FAILED', recipient: pubkey('erin') });
      expect((erin?.failure as { reason?: string } | undefined)?.reason).toMatch(/keysend/);
      expect(byId.get(`${finishedBatchId}-2`)).toMatchObject({
        batchId: finishedBatchId,
        amountMsat: '3000',
        status: 'SUCCEEDED',
      });
      // Listed tips carry no receipt: it is at statusUrl.
      expect(seen.every((tip) => !('receipt' in tip))).toBe(true);
    });

    it('summarises the window: totals, per recipient, sats per hour, failures with reasons', async () => {
      const { status, body } = await call('GET', '/v1/summary?window=24h');
      expect(status).toBe(200);
      expect(body.platformId).toBe(platform.platformId);
      expect(body.totals).toEqual({
        tips: 6,
        succeeded: { count: 5, msat: '39000', feeMsat: expect.stringMatching(/^[0-9]+$/) },
        failed: { count: 1, msat: '3000' },
        pending: { count: 0, msat: '0' },
      });
      expect(body.recipientCount).toBe(3);
      expect(
        body.recipients.map((r: Record<string, unknown>) => [r.recipient, r.paidMsat, r.succeeded]),
      ).toEqual([
        [pubkey('carol'), '28000', 3],
        [pubkey('dave'), '11000', 2],
        [pubkey('erin'), '0', 0],
      ]);
      expect(body.series).toHaveLength(24);
      const lastHour = body.series.at(-1);
      // Everything settled within the last minutes: in the current hour (or the one before).
      const recent = BigInt(lastHour.paidMsat) + BigInt(body.series.at(-2).paidMsat);
      expect(recent).toBe(39_000n);
      expect(body.failures).toHaveLength(1);
      expect(body.failures[0]).toMatchObject({
        tipId: tipIds['erin-1'],
        recipient: pubkey('erin'),
        amountMsat: '3000',
        code: expect.any(String),
        reason: expect.stringMatching(/keysend/),
      });
      expect(body.runningBatches).toEqual([]);
      // Today's budget counts the paid tips with the fees they paid; the failed one is released.
      expect(body.budget).toEqual({
        limitMsat: '10000000000',
        usedMsat: String(39_000 + Number(body.totals.succeeded.feeMsat)),
        resetsAt: expect.stringMatching(/T00:00:00\.000Z$/),
      });
      expect(body.truncated).toBe(false);
    });

    it('lists a batch that is still being paid among the running batches, with its progress', async () => {
      const accepted = await parked.call('POST', '/v1/payouts', {
        payouts: [
          { pubkey: pubkey('carol'), amountSats: 1 },
          { pubkey: pubkey('dave'), amountSats: 1 },
          { pubkey: pubkey('carol'), amountSats: 2 },
        ],
      });
      expect(accepted.status).toBe(202);
      const { body } = await call('GET', '/v1/summary');
      expect(body.window.name).toBe('24h');
      expect(body.runningBatches).toEqual([
        expect.objectContaining({
          batchId: accepted.body.batchId,
          kind: 'payout',
          status: 'IN_PROGRESS',
          counts: { total: 3, succeeded: 0, failed: 0, pending: 3 },
          msat: expect.objectContaining({ total: '4000', pending: '4000' }),
        }),
      ]);
    });

    it("shows a platform only its own tips: another platform's list and summary are empty", async () => {
      const other = apiClient(
        f.service.api?.url ?? '',
        await newTestPlatform(f.clients, 'it-activity', 1_000),
      );
      const list = await other('GET', '/v1/tips');
      expect(list.body).toEqual({ tips: [] });
      const summary = await other('GET', '/v1/summary?window=7d');
      expect(summary.body.totals.tips).toBe(0);
      expect(summary.body.series).toHaveLength(7);
      expect(summary.body.runningBatches).toEqual([]);
      // A platform cannot read another's tips by passing its cursor.
      const mine = await call('GET', '/v1/tips?limit=1');
      const foreign = await other('GET', mine.body.next);
      expect(foreign.status).toBe(422);
      expect(foreign.body.detail).toMatch(/not one this API returned for this platform/);
    });

    it("counts a tip's outcome in its platform's hour once, however often the payer writes it", async () => {
      const platformId = `it-hours-${randomUUID().slice(0, 8)}`;
      const now = new Date();
      const settledAt = new Date(now.getTime() - 2 * 3_600_000).toISOString();
      const ended = [];
      for (const [index, outcome] of ['succeeded', 'succeeded', 'failed'].entries()) {
        const tipId = `${platformId}:${index}`;
        const { record } = await f.clients.ledger.createTip(
          {
            tipId,
            fingerprint: tipId,
            platformId,
            recipient: pubkey('carol'),
            amountMsat: 1_000n * BigInt(index + 1),
            records: [],
            paymentHash: randomUUID().replaceAll('-', '').padEnd(64, '0'),
            keyVersion: 1,
          },
          now,
        );
        const sending = await f.clients.ledger.markSending(
          tipId,
          'RECEIVED',
          0,
          record.paymentHash,
          now,
          now,
        );
        const write = () =>
          outcome === 'succeeded'
            ? f.clients.ledger.markSucceeded(
                sending,
                { receipt: '{}', feeMsat: 7n, settledAt },
                new Date(),
              )
            : f.clients.ledger.markFailed(sending, { code: 'NO_ROUTE', reason: 'x' }, now);
        // A redelivered message and the reconciler race the payer to the same terminal write.
        const results = await Promise.allSettled([write(), write(), write()]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        ended.push(record);
      }
      const activity = createDynamoPlatformActivity(f.clients.dynamodb, TEST_TABLES);
      const hours = await activity.hourlyActivity(platformId, [
        hourOf(settledAt),
        hourOf(now),
        hourOf(new Date(now.getTime() - 3_600_000)),
      ]);
      expect(hours.sort((a, b) => (a.hour < b.hour ? -1 : 1))).toEqual(
        [
          {
            hour: hourOf(settledAt),
            succeededCount: 2,
            succeededMsat: 3_000n,
            feeMsat: 14n,
            failedCount: 0,
            failedMsat: 0n,
          },
          {
            hour: hourOf(now),
            succeededCount: 0,
            succeededMsat: 0n,
            feeMsat: 0n,
            failedCount: 1,
            failedMsat: 3_000n,
          },
        ].sort((a, b) => (a.hour < b.hour ? -1 : 1)),
      );
      const recent = await activity.recentTips(platformId, new Date(now.getTime() - 60_000), 2);
      expect(recent.tips.map((tip) => tip.tipId)).toHaveLength(2);
      expect(recent.more).toBe(true);
      expect(ended).toHaveLength(3);
    });

    it('refuses a made-up cursor with 422 and reads a fractional limit as a whole one', async () => {
      const cursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
      for (const key of [
        { platformId: platform.platformId },
        { platformId: platform.platformId, createdAt: 5, tipId: 'x' },
        {
          platformId: platform.platformId,
          createdAt: '2026-01-01T00:00:00.000Z',
          tipId: 'x',
          extra: 'y',
        },
      ]) {
        const page = await call('GET', `/v1/tips?cursor=${cursor(key)}`);
        expect(page.status, JSON.stringify(key)).toBe(422);
        expect(page.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
      const fractional = await call('GET', '/v1/tips?limit=2.5');
      expect(fractional.status).toBe(200);
      expect(fractional.body.tips).toHaveLength(2);
      expect(fractional.body.next).toMatch(/^\/v1\/tips\?limit=2&cursor=/);
    });
  },
);
