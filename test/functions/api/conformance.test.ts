/**
 * The OpenAPI contract in the unit project: the real API app (every route, authentication, the
 * error mapper) over in-memory ports answers as the generated document says, for every route
 * and every kind of answer it can give. The same checks run on the real stack in
 * test/integration/openapi-contract.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../../functions/api/app.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../../functions/api/runtime.js';
import { payTipMessage } from '../../../shared/app/pay-tip.js';
import type { SigningSecret } from '../../../shared/domain/platform-secrets.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import type { PlatformRecord, PlatformStore } from '../../../shared/ports/intake.js';
import {
  API_PLATFORM,
  FakePayoutHistory,
  FakePlatformActivity,
  G,
  HOP,
  makeIntake,
  makePayer,
  tipMessage,
} from '../../shared/app/fakes.js';
import { fakeWebhookDeps } from '../../shared/app/webhook-fakes.js';
import {
  type ApiResponse,
  type BatchAccepted,
  type BatchStatus,
  expectConforms,
  type Problem,
  requestConforms,
  type TipAccepted,
  type TipStatus,
} from '../../support/openapi-conformance.js';

const SECRET: SigningSecret = {
  secretId: 's1',
  secret: 'tss_conformance_0123456789abcdef',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const PLATFORM: PlatformRecord = { ...API_PLATFORM, secrets: [SECRET], dailyLimitSats: 100_000 };

const platformStore = (): PlatformStore =>
  ({
    getPlatform: async (id: string) => (id === PLATFORM.platformId ? PLATFORM : undefined),
    rememberSignature: async () => 'fresh',
  }) as unknown as PlatformStore;

const setup = () => {
  const { deps, ledger, queue, clock } = makeIntake();
  const activity = new FakePlatformActivity();
  const history = new FakePayoutHistory([
    {
      recipient: G,
      tipId: `${PLATFORM.platformId}:paid`,
      platformId: PLATFORM.platformId,
      amountMsat: '21000',
      feeMsat: '0',
      settledAt: '2026-01-02T03:04:05.678Z',
      paymentHash: 'ab'.repeat(32),
    },
  ]);
  const app = createApi({
    ...deps,
    webhooks: fakeWebhookDeps(),
    platforms: platformStore(),
    history,
    activity,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  });
  /** A request signed as the platform (unless `headers` replace the signature). */
  const call = async (
    method: string,
    url: string,
    options: { body?: string; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> => {
    const idempotencyKey =
      method === 'GET' || options.key === null ? undefined : (options.key ?? randomUUID());
    const headers = options.headers ?? {
      'content-type': 'application/json',
      ...signedHeaders({
        secret: SECRET.secret,
        platformId: PLATFORM.platformId,
        method,
        url,
        idempotencyKey,
        body: options.body ?? '',
        now: clock.now(),
      }),
    };
    const response = await app.request(`http://api.local${url}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  };
  /** Pays every enqueued message with the real payer over the same ledger. */
  const payAll = async (
    steps: Parameters<ReturnType<typeof makePayer>['lightning']['scriptPay']> = [],
  ) => {
    const payer = makePayer({ ledger, clock });
    payer.lightning.scriptPay(...steps);
    for (const body of queue.sent.splice(0)) await payTipMessage(tipMessage(body), payer.deps);
  };
  return { call, payAll, clock };
};

describe('the API answers as its OpenAPI document says (in-memory ports)', () => {
  let api: ReturnType<typeof setup>;
  beforeEach(() => {
    api = setup();
  });

  it('tips: 202 (and its replay), 200 in every state, 409, 400, 422 and 429', async () => {
    const body = JSON.stringify({ recipientPubkey: G, amountMsat: 21_000, message: 'hi' });
    expect(requestConforms('POST', '/v1/tips', JSON.parse(body))).toBe(true);
    const accepted = expectConforms<TipAccepted>(
      'POST',
      '/v1/tips',
      await api.call('POST', '/v1/tips', { body, key: 'k1' }),
    );
    const replay = await api.call('POST', '/v1/tips', { body, key: 'k1' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expectConforms('POST', '/v1/tips', replay);
    const status = () => api.call('GET', accepted.statusUrl);
    expect(expectConforms<TipStatus>('GET', '/v1/tips/{tipId}', await status()).status).toBe(
      'ACCEPTED',
    );
    await api.payAll();
    const paid = expectConforms<TipStatus>('GET', '/v1/tips/{tipId}', await status());
    expect(paid.status).toBe('SUCCEEDED');
    expect(paid.receipt?.receipt.amountMsat).toBe('21000');

    const failing = JSON.stringify({ recipientPubkey: HOP, amountMsat: 1_000 });
    const failed = expectConforms<TipAccepted>(
      'POST',
      '/v1/tips',
      await api.call('POST', '/v1/tips', { body: failing }),
    );
    await api.payAll([{ kind: 'permanent', code: 'NO_ROUTE' }]);
    const failedStatus = await api.call('GET', failed.statusUrl);
    expect(expectConforms<TipStatus>('GET', '/v1/tips/{tipId}', failedStatus).status).toBe(
      'FAILED',
    );

    const other = JSON.stringify({ recipientPubkey: G, amountMsat: 42_000 });
    const conflict = await api.call('POST', '/v1/tips', { body: other, key: 'k1' });
    expect(expectConforms<Problem>('POST', '/v1/tips', conflict).status).toBe(409);
    const noKey = await api.call('POST', '/v1/tips', { body, key: null });
    expect(expectConforms<Problem>('POST', '/v1/tips', noKey).type).toMatch(/missing-idempotency/);
    const broken = await api.call('POST', '/v1/tips', { body: '{"recipientPubkey"' });
    expect(expectConforms<Problem>('POST', '/v1/tips', broken).type).toMatch(/malformed-json$/);
    const invalid = JSON.stringify({ recipientPubkey: G, amountMsat: 21_000, tipId: 'x' });
    expect(requestConforms('POST', '/v1/tips', JSON.parse(invalid))).toBe(false);
    const refused = await api.call('POST', '/v1/tips', { body: invalid });
    expect(expectConforms<Problem>('POST', '/v1/tips', refused).errors?.[0]?.field).toBe('tipId');
    const huge = JSON.stringify({ recipientPubkey: G, amountMsat: 99_000_000 });
    const perTip = await api.call('POST', '/v1/tips', { body: huge });
    expect(expectConforms<Problem>('POST', '/v1/tips', perTip).type).toMatch(/budget-per-tip$/);
    const big = JSON.stringify({ recipientPubkey: G, amountMsat: 9_000_000 });
    for (let i = 0; i < 20; i++) {
      const response = await api.call('POST', '/v1/tips', { body: big });
      if (response.status === 429) {
        expect(expectConforms<Problem>('POST', '/v1/tips', response).type).toMatch(
          /budget-platform-daily$/,
        );
        return;
      }
      expectConforms('POST', '/v1/tips', response);
    }
    throw new Error('the daily budget never ran out');
  });

  it('authentication, routing and size: 401, 404, 405 and 413, with or without a signature', async () => {
    const body = JSON.stringify({ recipientPubkey: G, amountMsat: 1_000 });
    for (const headers of [
      {} as Record<string, string>,
      { 'tipstream-platform': PLATFORM.platformId },
      { 'tipstream-platform': PLATFORM.platformId, 'tipstream-signature': 't=1,v2=00' },
    ]) {
      const response = await api.call('POST', '/v1/tips', { body, headers });
      expect(expectConforms<Problem>('POST', '/v1/tips', response).status).toBe(401);
    }
    expectConforms('GET', '/v1/nothing-here', await api.call('GET', '/v1/nothing-here'));
    expectConforms('DELETE', '/v1/tips', await api.call('DELETE', '/v1/tips', { headers: {} }));
    const tooBig = await api.call('POST', '/v1/tips', { body: 'x'.repeat(20_000) });
    expect(expectConforms<Problem>('POST', '/v1/tips', tooBig).status).toBe(413);
    const missing = await api.call('GET', '/v1/tips/nobody%3Ahere');
    expect(expectConforms<Problem>('GET', '/v1/tips/{tipId}', missing).type).toMatch(
      /tip-not-found$/,
    );
    const noBatch = await api.call('GET', '/v1/payouts/nobody-here');
    expect(expectConforms<Problem>('GET', '/v1/payouts/{batchId}', noBatch).status).toBe(404);
  });

  it('splits and payouts: 202, batch progress 200, 422 for bad rows or a bad request', async () => {
    const split = {
      amountMsat: 10_000,
      recipients: [
        { pubkey: G, split: 90, name: 'host' },
        { pubkey: HOP, split: 10, fee: true },
      ],
      message: 'great show',
    };
    expect(requestConforms('POST', '/v1/splits', split)).toBe(true);
    const accepted = expectConforms<BatchAccepted>(
      'POST',
      '/v1/splits',
      await api.call('POST', '/v1/splits', { body: JSON.stringify(split) }),
    );
    const progress = () => api.call('GET', accepted.statusUrl);
    expect(
      expectConforms<BatchStatus>('GET', '/v1/payouts/{batchId}', await progress()).status,
    ).toBe('IN_PROGRESS');
    // DONE, with every row, is checked on the real stack: the fakes keep batch counters apart.
    const badSplit = await api.call('POST', '/v1/splits', {
      body: JSON.stringify({ ...split, unknownField: 1 }),
    });
    expect(expectConforms<Problem>('POST', '/v1/splits', badSplit).status).toBe(422);

    const csv = `pubkey,amount_sats,memo\n${G},21,thanks\n${HOP},0,nothing\n`;
    expect(requestConforms('POST', '/v1/payouts', csv, 'text/csv')).toBe(true);
    const call = (url: string) =>
      api.call('POST', url, {
        body: csv,
        headers: {
          'content-type': 'text/csv',
          ...signedHeaders({
            secret: SECRET.secret,
            platformId: PLATFORM.platformId,
            method: 'POST',
            url,
            idempotencyKey: url,
            body: csv,
            now: api.clock.now(),
          }),
          'idempotency-key': url,
        },
      });
    const badRows = await call('/v1/payouts');
    expect(expectConforms<Problem>('POST', '/v1/payouts', badRows).errors?.[0]?.line).toBe(3);
    const partial = await call('/v1/payouts?allowPartial=true');
    expect(expectConforms<BatchAccepted>('POST', '/v1/payouts', partial).skipped).toHaveLength(1);
  });

  it('lists and dashboards: tips, recipient payouts and the summary (200) and their 422s', async () => {
    expectConforms('GET', '/v1/tips', await api.call('GET', '/v1/tips?limit=5'));
    const foreign = await api.call('GET', '/v1/tips?cursor=not-ours');
    expect(expectConforms<Problem>('GET', '/v1/tips', foreign).errors?.[0]?.field).toBe('cursor');
    expectConforms(
      'GET',
      '/v1/recipients/{pubkey}/payouts',
      await api.call('GET', `/v1/recipients/${G}/payouts`),
    );
    const notAKey = await api.call('GET', '/v1/recipients/02zz/payouts');
    expect(expectConforms<Problem>('GET', '/v1/recipients/{pubkey}/payouts', notAKey).status).toBe(
      422,
    );
    expectConforms('GET', '/v1/summary', await api.call('GET', '/v1/summary?window=7d'));
    const window = await api.call('GET', '/v1/summary?window=1y');
    expect(expectConforms<Problem>('GET', '/v1/summary', window).errors?.[0]?.field).toBe('window');
  });

  it('serves its document unsigned at /v1/openapi.json', async () => {
    const response = await api.call('GET', '/v1/openapi.json', { headers: {} });
    expect(response.status).toBe(200);
    expect((response.body as { openapi: string }).openapi).toBe('3.1.0');
  });
});
