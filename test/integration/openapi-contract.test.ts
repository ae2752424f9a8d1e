import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalService } from '../../infra/local/emulators/service.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { createPlatform } from '../../shared/app/platforms.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { signedHeaders } from '../../shared/domain/request-signature.js';
import {
  type ApiResponse,
  type BatchAccepted,
  type BatchStatus,
  expectConforms,
  type Problem,
  type RecipientPayouts,
  requestConforms,
  type Summary,
  type TipAccepted,
  type TipList,
  type TipStatus,
} from '../support/openapi-conformance.js';
import {
  apiClient,
  createTestQueue,
  type StackClients,
  stackClients,
  TEST_TABLES,
} from './helpers.js';

/**
 * Contract test: the generated OpenAPI document against the real handler on the real local
 * stack. Every response is checked for a declared status, a declared content type, its declared
 * headers and its schema (test/support/openapi-conformance.ts); the document itself and the
 * handler over in-memory ports are checked in the unit project (test/functions/api/openapi.test.ts).
 */

const stack = inject('stack');

describe.runIf(stack.lightning.network === 'regtest')(
  'the API conforms to its OpenAPI document on the real stack',
  () => {
    let clients: StackClients;
    let service: Awaited<ReturnType<typeof startLocalService>>;
    let baseUrl: string;
    let platform: { platformId: string; secret: string };
    let call: ReturnType<typeof apiClient>;
    const carol = () => stackNode(stack, 'carol').pubkey;
    const dave = () => stackNode(stack, 'dave').pubkey;
    const now = () => Math.floor(Date.now() / 1000);

    /** A request with exactly the headers given (and a body as sent), for what apiClient cannot send. */
    const send = async (
      method: string,
      path: string,
      { rawBody, headers = {} }: { rawBody?: string; headers?: Record<string, string> } = {},
    ): Promise<ApiResponse> => {
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body: rawBody });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    };
    /** Headers of a POST /v1/tips signed for `rawBody` and a new Idempotency-Key (`null`: none). */
    const signed = (
      rawBody: string,
      options: { timestamp?: number; secret?: string; idempotencyKey?: string | null } = {},
    ) => ({
      'content-type': 'application/json',
      ...signedHeaders({
        secret: options.secret ?? platform.secret,
        platformId: platform.platformId,
        method: 'POST',
        url: '/v1/tips',
        idempotencyKey:
          options.idempotencyKey === null ? undefined : (options.idempotencyKey ?? randomUUID()),
        body: rawBody,
        ...(options.timestamp === undefined ? {} : { now: new Date(options.timestamp * 1000) }),
      }),
    });

    const newPlatform = async (dailyLimitSats: number) => {
      const store = createDynamoPlatformStore(clients.dynamodb, TEST_TABLES);
      const { platform: created, secret } = await createPlatform(store, {
        platformId: `it-oas-${randomUUID().slice(0, 8)}`,
        dailyLimitSats,
      });
      return { platformId: created.platformId, secret };
    };

    const getTip = async (tipId: string) =>
      expectConforms<TipStatus>(
        'GET',
        '/v1/tips/{tipId}',
        await call('GET', `/v1/tips/${encodeURIComponent(tipId)}`),
      );
    const waitForTip = (tipId: string) =>
      waitFor(
        `tip ${tipId} to finish`,
        async () => {
          const tip = await getTip(tipId);
          return ['SUCCEEDED', 'FAILED'].includes(tip.status) ? tip : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    const getBatch = async (batchId: string) =>
      expectConforms<BatchStatus>(
        'GET',
        '/v1/payouts/{batchId}',
        await call('GET', `/v1/payouts/${encodeURIComponent(batchId)}`),
      );
    const waitForBatch = (batchId: string) =>
      waitFor(
        `batch ${batchId} to finish`,
        async () => {
          const batch = await getBatch(batchId);
          return batch.status === 'DONE' ? batch : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );

    beforeAll(async () => {
      clients = await stackClients(stack);
      const { queueUrl } = await createTestQueue(clients, 'openapi-contract');
      service = await startLocalService(stack, {
        queueUrl,
        reconcileEveryMs: 0,
        apiPort: 0,
        env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });
      baseUrl = service.api?.url ?? '';
      platform = await newPlatform(10_000_000);
      call = apiClient(baseUrl, platform);
    });
    afterAll(async () => {
      await service?.stop();
      clients?.destroy();
    });

    describe('POST /v1/tips and GET /v1/tips/{tipId}', () => {
      it('accepts a tip (202), reports it while in flight and once SUCCEEDED with a receipt (200)', async () => {
        const body = { recipientPubkey: carol(), amountMsat: 12_000, message: 'contract test' };
        expect(requestConforms('POST', '/v1/tips', body)).toBe(true);
        const key = randomUUID();
        const response = await call('POST', '/v1/tips', body, { idempotencyKey: key });
        const accepted = expectConforms<TipAccepted>('POST', '/v1/tips', response);
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toBe(accepted.statusUrl);
        expect(response.headers.get('idempotent-replayed')).toBeNull();

        const replayed = await call('POST', '/v1/tips', body, { idempotencyKey: key });
        expect(expectConforms('POST', '/v1/tips', replayed)).toEqual(accepted);
        expect(replayed.headers.get('idempotent-replayed')).toBe('true');

        const inFlight = await getTip(accepted.tipId);
        expect(inFlight.amountMsat).toBe('12000');

        const done = await waitForTip(accepted.tipId);
        expect(done.status).toBe('SUCCEEDED');
        expect(done.receipt?.receipt.amountMsat).toBe('12000');
      });

      it('answers an Idempotency-Key reused with another tip with 409', async () => {
        const key = randomUUID();
        const first = await call(
          'POST',
          '/v1/tips',
          { recipientPubkey: carol(), amountMsat: 1_000, message: 'first' },
          { idempotencyKey: key },
        );
        expect(first.status).toBe(202);
        const conflict = await call(
          'POST',
          '/v1/tips',
          { recipientPubkey: carol(), amountMsat: 2_000, message: 'first' },
          { idempotencyKey: key },
        );
        expect(conflict.status).toBe(409);
        expect(expectConforms<Problem>('POST', '/v1/tips', conflict).type).toMatch(
          /idempotency-conflict$/,
        );
        await waitForTip(String(first.body.tipId));
      });

      it.each([
        { why: 'amount 0', body: { amountMsat: 0 }, type: 'invalid-tip', documented: false },
        { why: 'an unknown field', body: { tipAmount: 5 }, type: 'invalid-tip', documented: false },
        {
          why: 'tipId in the body',
          body: { tipId: 'mine' },
          type: 'invalid-tip',
          documented: false,
        },
        {
          why: 'an unknown boostagram field',
          body: { boostagram: { action: 'boost', colour: 'red' } },
          type: 'invalid-tip',
          documented: false,
        },
        {
          why: 'a fraction of a sat',
          body: { amountMsat: 1_500 },
          type: 'invalid-tip',
          // The multiple-of-1000 rule is operator policy (TIPSTREAM_ALLOW_MSAT): only described.
          documented: true,
        },
        {
          why: 'an amount above the per-tip maximum',
          body: { amountMsat: '2000000000000' },
          type: 'budget-per-tip',
          documented: true,
        },
      ])('refuses $why with 422 $type', async ({ body, type, documented }) => {
        const tip = { recipientPubkey: carol(), amountMsat: 1_000, ...body };
        expect(requestConforms('POST', '/v1/tips', tip)).toBe(documented);
        const response = await call('POST', '/v1/tips', tip);
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/tips', response);
        expect(problem.type).toBe(`https://tipstream.dev/problems/${type}`);
      });

      it('answers 400 without an Idempotency-Key and for malformed JSON', async () => {
        const rawBody = JSON.stringify({ recipientPubkey: carol(), amountMsat: 1_000 });
        const noKey = await send('POST', '/v1/tips', {
          rawBody,
          headers: signed(rawBody, { idempotencyKey: null }),
        });
        expect(noKey.status).toBe(400);
        expect(expectConforms<Problem>('POST', '/v1/tips', noKey).type).toMatch(
          /missing-idempotency-key$/,
        );

        const broken = await call('POST', '/v1/tips', '{"recipientPubkey": ');
        expect(broken.status).toBe(400);
        expect(expectConforms<Problem>('POST', '/v1/tips', broken).type).toMatch(/malformed-json$/);
      });

      it('answers 401 to unsigned, wrongly signed, stale, malformed, v1, unknown-platform and re-keyed requests', async () => {
        const rawBody = JSON.stringify({ recipientPubkey: carol(), amountMsat: 1_000 });
        const unsigned = await fetch(`${baseUrl}/v1/tips`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'tipstream-platform': platform.platformId,
            'idempotency-key': randomUUID(),
          },
          body: rawBody,
        });
        const unsignedResponse = {
          status: unsigned.status,
          headers: unsigned.headers,
          body: await unsigned.json(),
        };
        expect(unsignedResponse.status).toBe(401);
        expect(expectConforms<Problem>('POST', '/v1/tips', unsignedResponse).type).toMatch(
          /missing-signature$/,
        );

        const cases: Array<{ headers: Record<string, string>; type: string }> = [
          {
            headers: signed(rawBody, { secret: 'tss_not-the-platform-secret-0123456789' }),
            type: 'bad-signature',
          },
          { headers: signed(rawBody, { timestamp: now() - 600 }), type: 'stale-timestamp' },
          {
            headers: { ...signed(rawBody), 'tipstream-signature': 't=1' },
            type: 'malformed-signature',
          },
          {
            headers: {
              ...signed(rawBody),
              'tipstream-signature': `t=${now()},v1=${'0'.repeat(64)}`,
            },
            type: 'malformed-signature',
          },
          {
            // The same answer as a wrong secret: platform ids are not learnt unsigned.
            headers: { ...signed(rawBody), 'tipstream-platform': 'nobody-here' },
            type: 'bad-signature',
          },
          {
            headers: Object.fromEntries(
              Object.entries(signed(rawBody)).filter(([name]) => name !== 'tipstream-platform'),
            ),
            type: 'missing-platform',
          },
        ];
        for (const { headers, type } of cases) {
          const response = await send('POST', '/v1/tips', { rawBody, headers });
          expect(response.status, type).toBe(401);
          expect(expectConforms<Problem>('POST', '/v1/tips', response).type).toMatch(
            new RegExp(`/${type}$`),
          );
        }

        // A captured request sent again with another Idempotency-Key: the key is signed.
        const replayBody = JSON.stringify({
          recipientPubkey: carol(),
          amountMsat: 1_000,
          message: `replay ${randomUUID()}`,
        });
        const headers = signed(replayBody);
        const first = await send('POST', '/v1/tips', { rawBody: replayBody, headers });
        expectConforms('POST', '/v1/tips', first);
        const replay = await send('POST', '/v1/tips', {
          rawBody: replayBody,
          headers: { ...headers, 'idempotency-key': randomUUID() },
        });
        expect(replay.status).toBe(401);
        expect(expectConforms<Problem>('POST', '/v1/tips', replay).type).toMatch(/bad-signature$/);

        const unsignedRead = await send('GET', '/v1/tips/anything', {
          headers: { 'tipstream-platform': platform.platformId },
        });
        expect(unsignedRead.status).toBe(401);
        expectConforms('GET', '/v1/tips/{tipId}', unsignedRead);
        await waitForTip(String((first.body as TipAccepted).tipId));
      });

      it('answers 413 to an oversized body and 429 over the daily budget (with Retry-After)', async () => {
        const big = await call('POST', '/v1/tips', {
          recipientPubkey: carol(),
          amountMsat: 1_000,
          message: 'x'.repeat(20_000),
        });
        expect(big.status).toBe(413);
        expectConforms('POST', '/v1/tips', big);

        const tight = await newPlatform(10);
        const tightCall = apiClient(baseUrl, tight);
        const over = await tightCall('POST', '/v1/tips', {
          recipientPubkey: carol(),
          amountMsat: 20_000,
        });
        expect(over.status).toBe(429);
        expect(expectConforms<Problem>('POST', '/v1/tips', over).type).toMatch(
          /budget-platform-daily$/,
        );
        expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      });

      it('answers 404 for a tip the platform does not have', async () => {
        const response = await call('GET', `/v1/tips/${encodeURIComponent('nobody:0000')}`);
        expect(response.status).toBe(404);
        expect(expectConforms<Problem>('GET', '/v1/tips/{tipId}', response).type).toMatch(
          /tip-not-found$/,
        );
      });
    });

    describe('routing', () => {
      it('answers 404 for an unknown route, signed or not', async () => {
        const signedResponse = await call('GET', '/v1/nothing-here');
        expect(signedResponse.status).toBe(404);
        expectConforms('GET', '/v1/nothing-here', signedResponse);
        const unsigned = await send('POST', '/v2/tips', { rawBody: '{}' });
        expect(unsigned.status).toBe(404);
        expectConforms('POST', '/v2/tips', unsigned);
      });

      it.each([
        { method: 'DELETE', path: '/v1/tips', template: '/v1/tips' },
        { method: 'PATCH', path: '/v1/tips', template: '/v1/tips' },
        { method: 'POST', path: '/v1/tips/some-tip', template: '/v1/tips/{tipId}' },
        { method: 'PUT', path: '/v1/payouts', template: '/v1/payouts' },
        { method: 'GET', path: '/v1/splits', template: '/v1/splits' },
      ])('answers 405 with Allow to $method $path', async ({ method, path, template }) => {
        const response = await call(method, path);
        expect(response.status).toBe(405);
        expectConforms(method, template, response);
      });
    });

    describe('POST /v1/splits', () => {
      it('accepts a split (202) whose batch reports progress and its rows once DONE (200)', async () => {
        const body = {
          amountMsat: 20_000,
          recipients: [
            { pubkey: carol(), split: 60, name: 'Carol' },
            { pubkey: dave(), split: 40 },
            { pubkey: dave(), split: 5, fee: true, customKey: '696969', customValue: 'fee' },
          ],
          message: 'contract split',
          boostagram: { app_name: 'contract test' },
        };
        expect(requestConforms('POST', '/v1/splits', body)).toBe(true);
        const response = await call('POST', '/v1/splits', body);
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/splits', response);
        expect(accepted.parts?.map((part) => part.amountMsat)).toEqual(['11000', '8000', '1000']);
        expect(response.headers.get('location')).toBe(accepted.statusUrl);

        const progress = await getBatch(accepted.batchId);
        expect(progress.kind).toBe('split');
        const done = await waitForBatch(accepted.batchId);
        expect(done.counts).toMatchObject({ total: 3, succeeded: 3 });
        expect(done.rows?.map((row) => row.status)).toEqual([
          'SUCCEEDED',
          'SUCCEEDED',
          'SUCCEEDED',
        ]);
        const part = await getTip(done.rows?.[0]?.tipId ?? '');
        expect(part.status).toBe('SUCCEEDED');
      });

      it.each([
        {
          why: 'an unknown field',
          body: () => ({
            amountMsat: 1_000,
            recipients: [{ pubkey: carol(), split: 1 }],
            colour: 1,
          }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'a recipient that is not a node key',
          body: () => ({ amountMsat: 1_000, recipients: [{ pubkey: '02abc', split: 1 }] }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'no recipients',
          body: () => ({ amountMsat: 1_000 }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'a boostagram field a tip cannot carry (a row problem)',
          body: () => ({
            amountMsat: 1_000,
            recipients: [{ pubkey: carol(), split: 1 }],
            boostagram: { colour: 'red' },
          }),
          type: 'invalid-rows',
          // Each part's boostagram is checked as a tip's: the document only describes it.
          documented: true,
        },
      ])('refuses $why with 422 $type', async ({ body, type, documented }) => {
        expect(requestConforms('POST', '/v1/splits', body())).toBe(documented);
        const response = await call('POST', '/v1/splits', body());
        expect(response.status, JSON.stringify(response.body)).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/splits', response);
        expect(problem.type).toBe(`https://tipstream.dev/problems/${type}`);
      });

      it('answers 404 for a batch the platform does not have', async () => {
        const response = await call('GET', '/v1/payouts/nobody-0000');
        expect(response.status).toBe(404);
        expect(expectConforms<Problem>('GET', '/v1/payouts/{batchId}', response).type).toMatch(
          /batch-not-found$/,
        );
      });
    });

    describe('POST /v1/payouts', () => {
      const csv = () =>
        [
          'pubkey,amount_sats,memo',
          `${carol()},3,"contract, row 2"`,
          `${dave()},12.5,fractional`,
          `${dave()},4,row 4`,
        ].join('\n');

      it('refuses a CSV file with a bad row: 422 with errors[].line', async () => {
        expect(requestConforms('POST', '/v1/payouts', csv(), 'text/csv')).toBe(true);
        const response = await call('POST', '/v1/payouts', csv(), { contentType: 'text/csv' });
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/payouts', response);
        expect(problem.errors).toEqual([expect.objectContaining({ line: 3 })]);
      });

      it('pays the valid rows of a CSV file with allowPartial=true (202, skipped)', async () => {
        const response = await call('POST', '/v1/payouts?allowPartial=true', `${csv()}\n`, {
          contentType: 'text/csv',
        });
        expect(response.status).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/payouts', response);
        expect(accepted.rows).toBe(2);
        expect(accepted.skipped).toEqual([expect.objectContaining({ line: 3 })]);
        const done = await waitForBatch(accepted.batchId);
        expect(done.rows?.map((row) => row.line)).toEqual([2, 4]);
      });

      it('pays a JSON payout file (202) and reports it DONE with its rows (200)', async () => {
        const body = {
          payouts: [
            { pubkey: carol(), amountSats: 5, memo: 'json row 1' },
            { pubkey: dave(), amountSats: '6', customKey: 696969, customValue: 'sub-wallet' },
          ],
        };
        expect(requestConforms('POST', '/v1/payouts', body)).toBe(true);
        const response = await call('POST', '/v1/payouts', body);
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/payouts', response);
        expect(accepted).toMatchObject({ rows: 2, totalMsat: '11000' });
        expect(accepted.skipped).toBeUndefined();

        const done = await waitForBatch(accepted.batchId);
        expect(done.kind).toBe('payout');
        expect(done.rows?.map((row) => [row.line, row.status])).toEqual([
          [1, 'SUCCEEDED'],
          [2, 'SUCCEEDED'],
        ]);
      });

      it('refuses a JSON file with an unknown row field (422) and malformed JSON (400)', async () => {
        const body = { payouts: [{ pubkey: carol(), amountSats: 5, note: 'x' }] };
        expect(requestConforms('POST', '/v1/payouts', body)).toBe(false);
        const response = await call('POST', '/v1/payouts', body);
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/payouts', response);
        expect(problem.errors).toEqual([expect.objectContaining({ line: 1 })]);

        const broken = await call('POST', '/v1/payouts', '{"payouts": [');
        expect(broken.status).toBe(400);
        expectConforms('POST', '/v1/payouts', broken);
      });
    });

    describe('GET /v1/recipients/{pubkey}/payouts', () => {
      it("pages through a recipient's settled payouts from this platform (200)", async () => {
        // Earlier tests paid carol several times from this platform.
        const first = await call('GET', `/v1/recipients/${carol()}/payouts?limit=1`);
        expect(first.status).toBe(200);
        const page = expectConforms<RecipientPayouts>(
          'GET',
          '/v1/recipients/{pubkey}/payouts',
          first,
        );
        expect(page.recipient).toBe(carol());
        expect(page.next).toBeDefined();
        const second = await call('GET', page.next ?? '');
        expect(second.status).toBe(200);
        expectConforms('GET', '/v1/recipients/{pubkey}/payouts', second);

        const all = await call('GET', `/v1/recipients/${carol()}/payouts?limit=100`);
        const everything = expectConforms<RecipientPayouts>(
          'GET',
          '/v1/recipients/{pubkey}/payouts',
          all,
        );
        expect(everything.payouts.length).toBeGreaterThanOrEqual(3);
      });

      it('refuses a pubkey that is not a node key with 422', async () => {
        const response = await call('GET', '/v1/recipients/02abc/payouts');
        expect(response.status).toBe(422);
        expectConforms('GET', '/v1/recipients/{pubkey}/payouts', response);
      });
    });

    describe('GET /v1/tips and GET /v1/summary', () => {
      it("pages through the platform's tips, newest first (200), and refuses a foreign cursor (422)", async () => {
        // Earlier tests paid several tips from this platform.
        const first = await call('GET', '/v1/tips?limit=2');
        expect(first.status).toBe(200);
        const page = expectConforms<TipList>('GET', '/v1/tips', first);
        expect(page.tips).toHaveLength(2);
        expect(page.next).toBeDefined();
        const second = expectConforms<TipList>(
          'GET',
          '/v1/tips',
          await call('GET', page.next ?? ''),
        );
        expect(second.tips[0]?.tipId).not.toBe(page.tips[1]?.tipId);

        const other = await newPlatform(1_000);
        const foreign = await apiClient(baseUrl, other)('GET', page.next ?? '');
        expect(foreign.status).toBe(422);
        expect(expectConforms<Problem>('GET', '/v1/tips', foreign).errors?.[0]?.field).toBe(
          'cursor',
        );
        const garbage = await call('GET', '/v1/tips?cursor=not-a-cursor');
        expect(garbage.status).toBe(422);
        expectConforms('GET', '/v1/tips', garbage);
      });

      it.each([
        { window: '24h', buckets: 24, bucket: 'hour' },
        { window: '7d', buckets: 7, bucket: 'day' },
        { window: '30d', buckets: 30, bucket: 'day' },
      ])(
        'summarises the $window window in $bucket buckets (200)',
        async ({ window, buckets, bucket }) => {
          const response = await call('GET', `/v1/summary?window=${window}`);
          expect(response.status).toBe(200);
          const summary = expectConforms<Summary>('GET', '/v1/summary', response);
          expect(summary.window).toMatchObject({ name: window, bucket });
          expect(summary.series).toHaveLength(buckets);
          expect(summary.totals.succeeded.count).toBeGreaterThan(0);
          const paid = summary.series.reduce((sum, point) => sum + BigInt(point.paidMsat), 0n);
          expect(paid).toBe(BigInt(summary.totals.succeeded.msat));
        },
      );

      it('refuses an unknown window with 422', async () => {
        const response = await call('GET', '/v1/summary?window=1y');
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('GET', '/v1/summary', response);
        expect(problem.errors?.[0]?.field).toBe('window');
      });
    });
  },
);
