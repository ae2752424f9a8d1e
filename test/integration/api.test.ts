import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { tipIdFor } from '../../shared/app/accept-tip.js';
import { revokePlatformSecret, rotatePlatformSecret } from '../../shared/app/platforms.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import { signedHeaders } from '../../shared/domain/request-signature.js';
import {
  apiClient,
  newTestPlatform,
  receiptPublicKey,
  receivedBy,
  TEST_TABLES,
  useLocalService,
} from './helpers.js';

const stack = inject('stack');

describe.runIf(stack.lightning.network === 'regtest')('tip API over HTTP on the real stack', () => {
  const f = useLocalService(stack, 'api-test', () => ({
    reconcileEveryMs: 0,
    apiPort: 0,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
  }));
  let baseUrl: string;
  let platform: { platformId: string; secret: string };
  let receiptPubkey: string;
  const carol = () => stackNode(stack, 'carol').pubkey;

  /** A signed request as a platform's backend sends it (options break it on purpose). */
  const call = (...args: Parameters<ReturnType<typeof apiClient>>) =>
    apiClient(baseUrl, platform)(...args);

  const waitForStatus = (tipId: string, statuses: string[]) =>
    waitFor(
      `tip ${tipId} to reach ${statuses.join('/')}`,
      async () => {
        const { body } = await call('GET', `/v1/tips/${encodeURIComponent(tipId)}`);
        return statuses.includes(String(body.status)) ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

  beforeAll(async () => {
    baseUrl = f.service.api?.url ?? '';
    platform = await newTestPlatform(f.clients, 'it', 1_000_000);
    receiptPubkey = receiptPublicKey(f.service);
  });

  it('a signed tip reaches carol; its status ends SUCCEEDED with a receipt that verifies', async () => {
    const accepted = await call('POST', '/v1/tips', {
      recipientPubkey: carol(),
      amountMsat: 12_000,
      message: 'from the tip API',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED' });
    const tipId = String(accepted.body.tipId);
    expect(accepted.body.statusUrl).toBe(`/v1/tips/${encodeURIComponent(tipId)}`);

    const done = await waitForStatus(tipId, ['SUCCEEDED', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    expect(verifyReceipt(done.receipt, receiptPubkey)).toEqual({ ok: true });
    const receipt = (done.receipt as { receipt: { paymentHash: string; preimage: string } })
      .receipt;
    const invoices = await receivedBy(f.clients, 'carol', receipt.paymentHash);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.received_mtokens).toBe('12000');
    expect(invoices[0]?.secret).toBe(receipt.preimage);
  });

  it('answers a retried request as the first time, refuses the key with another body, pays once', async () => {
    const key = randomUUID();
    const body = { recipientPubkey: carol(), amountMsat: 13_000 };
    const first = await call('POST', '/v1/tips', body, { idempotencyKey: key });
    const again = await call('POST', '/v1/tips', body, { idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const other = await call(
      'POST',
      '/v1/tips',
      { ...body, amountMsat: 99_000 },
      { idempotencyKey: key },
    );
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(other.body.detail).toMatch(/already used for a different tip; send a new key/);

    const done = await waitForStatus(String(first.body.tipId), ['SUCCEEDED', 'FAILED']);
    const receipt = (done.receipt as { receipt: { paymentHash: string } }).receipt;
    const invoices = await receivedBy(f.clients, 'carol', receipt.paymentHash);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.received_mtokens).toBe('13000');
  });

  it('holds the platform daily budget under 50 concurrent requests (never overspent)', async () => {
    // 100 sats a day: room for exactly 5 tips of 10 sats, each with its 10-sat routing-fee limit.
    const tight = await newTestPlatform(f.clients, 'it', 100);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(
          'POST',
          '/v1/tips',
          { recipientPubkey: carol(), amountMsat: 10_000, message: `viewer ${i}` },
          { platformId: tight.platformId, secret: tight.secret },
        ),
      ),
    );
    const statuses = results.map((result) => result.status);
    // Room for 5 at their fee limits; a tip paid during the burst trues its fee limit down to
    // the fee paid, which can leave room for one or two more. Never more than the money allows.
    const accepted = statuses.filter((status) => status === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted * 10_000).toBeLessThanOrEqual(100_000);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50 - accepted);
    const refused = results.find((result) => result.status === 429);
    expect(refused?.body.detail).toMatch(
      /platform daily limit of 100 sats would be exceeded .* it resets at \d{4}-\d\d-\d\dT00:00:00/,
    );
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    const day = new Date().toISOString().slice(0, 10);
    const { Item } = await DynamoDBDocumentClient.from(f.clients.dynamodb).send(
      new GetCommand({
        TableName: TEST_TABLES.budgets,
        Key: { budgetKey: `platform#${tight.platformId}#day#${day}` },
      }),
    );
    // The accepted tips may be paid by now: their fee limits trued up to the fees paid.
    expect(Item?.reservedMsat).toBeGreaterThanOrEqual(accepted * 10_000);
    expect(Item?.reservedMsat).toBeLessThanOrEqual(100_000);
  });

  it('releases the reserved budget when a tip fails', async () => {
    const small = await newTestPlatform(f.clients, 'it', 50);
    const erin = stackNode(stack, 'erin').pubkey;
    const failed = await call(
      'POST',
      '/v1/tips',
      { recipientPubkey: erin, amountMsat: 40_000 },
      { platformId: small.platformId, secret: small.secret },
    );
    expect(failed.status).toBe(202);
    const status = await waitFor(
      'the erin tip to fail',
      async () => {
        const { body } = await call(
          'GET',
          `/v1/tips/${encodeURIComponent(String(failed.body.tipId))}`,
          undefined,
          {
            platformId: small.platformId,
            secret: small.secret,
          },
        );
        return body.status === 'FAILED' ? body : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(status.failure).toMatchObject({ code: 'REJECTED_BY_DESTINATION' });
    // The 40 sats are free again: another 40 sat tip fits the 50 sat day.
    const next = await call(
      'POST',
      '/v1/tips',
      { recipientPubkey: carol(), amountMsat: 40_000 },
      { platformId: small.platformId, secret: small.secret },
    );
    expect(next.status).toBe(202);
  });

  it('budgets count routing fees: the fee limit is reserved, then trued up to the fee paid', async () => {
    const platform = await newTestPlatform(f.clients, 'it', 1_000);
    const as = { platformId: platform.platformId, secret: platform.secret };
    const day = new Date().toISOString().slice(0, 10);
    const reserved = async () => {
      const { Item } = await DynamoDBDocumentClient.from(f.clients.dynamodb).send(
        new GetCommand({
          TableName: TEST_TABLES.budgets,
          Key: { budgetKey: `platform#${platform.platformId}#day#${day}` },
          ConsistentRead: true,
        }),
      );
      return Number(Item?.reservedMsat ?? 0);
    };
    // 1,000 sats a day: a 991-sat tip with its 10-sat fee limit (1,001) does not fit.
    const tooMuch = await call(
      'POST',
      '/v1/tips',
      { recipientPubkey: carol(), amountMsat: 991_000 },
      as,
    );
    expect(tooMuch.status).toBe(429);
    expect(tooMuch.body.detail).toMatch(/1,001 requested/);

    const accepted = await call(
      'POST',
      '/v1/tips',
      { recipientPubkey: carol(), amountMsat: 21_000 },
      as,
    );
    expect(accepted.status).toBe(202);
    const done = await waitFor(
      'the tip to settle',
      async () => {
        const { body } = await call(
          'GET',
          `/v1/tips/${encodeURIComponent(String(accepted.body.tipId))}`,
          undefined,
          as,
        );
        return body.status === 'SUCCEEDED' ? body : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const feeMsat = Number((done.receipt as { receipt: { feeMsat: string } }).receipt.feeMsat);
    expect(feeMsat).toBeLessThanOrEqual(10_000);
    // What left the node stays spent: the amount and the actual fee, not the fee limit.
    expect(await reserved()).toBe(21_000 + feeMsat);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const valid = () => ({ recipientPubkey: carol(), amountMsat: 1_000 });
  const badInput: Array<{
    description: string;
    request: () => Promise<Awaited<ReturnType<typeof call>>>;
    status: number;
    detail: RegExp;
  }> = [
    {
      description: 'no signature',
      request: () => call('POST', '/v1/tips', valid(), { signature: null }),
      status: 401,
      detail: /Tipstream-Signature/,
    },
    {
      description: 'a signature made with another secret',
      request: () =>
        call('POST', '/v1/tips', valid(), { secret: 'tss_not-the-platform-secret-0123456789' }),
      status: 401,
      detail: /signature/i,
    },
    {
      description: 'a stale signature (10 minutes old)',
      request: () => call('POST', '/v1/tips', valid(), { timestamp: now() - 600 }),
      status: 401,
      detail: /seconds|clock|timestamp/i,
    },
    {
      description: 'an unknown platform',
      request: () => call('POST', '/v1/tips', valid(), { platformId: 'nobody-here' }),
      status: 401,
      detail: /does not match this request for this platform/,
    },
    {
      description: 'malformed JSON',
      request: () => call('POST', '/v1/tips', undefined, { rawBody: '{"recipientPubkey": ' }),
      status: 400,
      detail: /not valid JSON/,
    },
    {
      description: 'no Idempotency-Key',
      request: () => call('POST', '/v1/tips', valid(), { idempotencyKey: null }),
      status: 400,
      detail: /Idempotency-Key/,
    },
    {
      description: 'an off-curve pubkey',
      request: () =>
        call('POST', '/v1/tips', { ...valid(), recipientPubkey: `02${'f'.repeat(64)}` }),
      status: 422,
      detail: /not a point on secp256k1|curve/,
    },
    {
      description: 'amount 0',
      request: () => call('POST', '/v1/tips', { ...valid(), amountMsat: 0 }),
      status: 422,
      detail: /amountMsat/,
    },
    {
      description: 'a negative amount',
      request: () => call('POST', '/v1/tips', { ...valid(), amountMsat: -1000 }),
      status: 422,
      detail: /amountMsat/,
    },
    {
      description: 'a fractional amount',
      request: () => call('POST', '/v1/tips', { ...valid(), amountMsat: 1000.5 }),
      status: 422,
      detail: /amountMsat/,
    },
    {
      description: 'a fraction of a sat',
      request: () => call('POST', '/v1/tips', { ...valid(), amountMsat: 1500 }),
      status: 422,
      detail: /whole number of sats/,
    },
    {
      description: 'an amount above the per-tip maximum',
      request: () => call('POST', '/v1/tips', { ...valid(), amountMsat: 2_000_000_000_000 }),
      status: 422,
      detail: /per-tip maximum/,
    },
    {
      description: 'a custom key below 65536',
      request: () =>
        call('POST', '/v1/tips', { ...valid(), customRecord: { type: '65535', value: 'x' } }),
      status: 422,
      detail: /65536/,
    },
    {
      description: 'the keysend record as custom key',
      request: () =>
        call('POST', '/v1/tips', { ...valid(), customRecord: { type: '5482373484', value: 'x' } }),
      status: 422,
      detail: /5482373484/,
    },
    {
      description: 'an oversized message',
      request: () => call('POST', '/v1/tips', { ...valid(), message: 'x'.repeat(600) }),
      status: 422,
      detail: /message/,
    },
    {
      description: 'an unknown field',
      request: () => call('POST', '/v1/tips', { ...valid(), tipAmount: 5 }),
      status: 422,
      detail: /tipAmount/,
    },
    {
      description: "a batchId on a single tip (it would count toward another batch's progress)",
      request: () => call('POST', '/v1/tips', { ...valid(), batchId: 'someone-elses-batch' }),
      status: 422,
      detail: /batchId is set by Tipstream/,
    },
    {
      description: 'a split amount that is not a number',
      request: () =>
        call('POST', '/v1/splits', {
          amountMsat: 'abc',
          recipients: [{ pubkey: carol(), split: 1 }],
        }),
      status: 422,
      detail: /amountMsat must be a whole number of sats/,
    },
    {
      description: 'a history cursor this API never returned',
      request: () => call('GET', `/v1/recipients/${carol()}/payouts?cursor=not-a-cursor`),
      status: 422,
      detail: /cursor is not one this API returned/,
    },
    {
      description: 'an oversized body',
      request: () => call('POST', '/v1/tips', { ...valid(), note: 'x'.repeat(20_000) }),
      status: 413,
      detail: /at most 16384/,
    },
  ];

  it.each(badInput)(
    'rejects $description with $status and a message; nothing enqueued',
    async ({ request, status, detail }) => {
      const response = await request();
      expect(response.status, JSON.stringify(response.body)).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(String(response.body.detail)).toMatch(detail);
    },
  );

  /** A header signed now with the platform's secret for exactly this request. */
  const signedAs = (method: string, target: string, rawBody: string, idempotencyKey?: string) =>
    signedHeaders({
      secret: platform.secret,
      platformId: platform.platformId,
      method,
      url: target,
      idempotencyKey,
      body: rawBody,
    })['tipstream-signature'] ?? '';

  it('accepts a captured signed tip once: another Idempotency-Key, a respelt header or v1 is refused', async () => {
    const rawBody = JSON.stringify({ ...valid(), message: `replay ${randomUUID()}` });
    const key = randomUUID();
    const signature = signedAs('POST', '/v1/tips', rawBody, key);
    const first = await call('POST', '/v1/tips', undefined, {
      rawBody,
      signature,
      idempotencyKey: key,
    });
    expect(first.status).toBe(202);
    // The key is signed: the captured header with a new key is a wrong signature, not a new tip.
    const otherKey = await call('POST', '/v1/tips', undefined, { rawBody, signature });
    expect(otherKey.status).toBe(401);
    expect(otherKey.body.type).toMatch(/bad-signature$/);
    // One spelling only: each respelling of the captured header, with a new key, is refused.
    const [t, mac] = signature.split(',');
    const respellings = [
      `${t}, ${mac}`,
      `${t},${mac?.toUpperCase().replace('V2', 'v2')}`,
      `${mac},${t}`,
      `${t},${mac},${mac}`,
      `${t},${mac},v9=x`,
      `${t},v1=${mac?.slice(3)}`,
      `${t?.replace('t=', 't=0')},${mac}`,
    ];
    for (const respelt of respellings) {
      const response = await call('POST', '/v1/tips', undefined, { rawBody, signature: respelt });
      expect(response.status, respelt).toBe(401);
      expect(response.body.type, respelt).toMatch(/malformed-signature$/);
    }
    const v1 = await call('POST', '/v1/tips', undefined, {
      rawBody,
      signature: `${t},v1=${mac?.slice(3)}`,
    });
    expect(v1.body.detail).toMatch(/v1 signatures are no longer accepted: sign with the v2 scheme/);
    // The identical request with its own key is a retry: answered as the first time.
    const again = await call('POST', '/v1/tips', undefined, {
      rawBody,
      signature,
      idempotencyKey: key,
    });
    expect(again.status).toBe(202);
    expect(again.body.tipId).toBe(first.body.tipId);
  });

  it('answers an unknown platform exactly as a wrong signature (no platform ids learnt unsigned)', async () => {
    const rawBody = JSON.stringify(valid());
    const options = { rawBody, idempotencyKey: 'same-key-for-both', timestamp: now() };
    const wrongSecret = await call('POST', '/v1/tips', undefined, {
      ...options,
      secret: 'tss_not-the-platform-secret-0123456789',
    });
    const unknownPlatform = await call('POST', '/v1/tips', undefined, {
      ...options,
      platformId: `nobody-${randomUUID().slice(0, 8)}`,
      secret: 'tss_not-the-platform-secret-0123456789',
    });
    expect(wrongSecret.status).toBe(401);
    expect(unknownPlatform.status).toBe(401);
    expect(unknownPlatform.body).toEqual(wrongSecret.body);
    expect(unknownPlatform.body.type).toMatch(/bad-signature$/);
  });

  it('rotates and revokes secrets in DynamoDB: the previous secret works for its grace period only, a revoked one at once stops', async () => {
    const store = createDynamoPlatformStore(f.clients.dynamodb, TEST_TABLES);
    const first = await newTestPlatform(f.clients, 'it-rotate', 1_000_000);
    const as = (secret: string) => (path: string) =>
      apiClient(baseUrl, { platformId: first.platformId, secret })('GET', path);
    const status = async (secret: string) => (await as(secret)('/v1/tips?limit=1')).status;

    // Rotated with the default grace: both secrets verify, the old one until its expiresAt.
    const second = await rotatePlatformSecret(store, first.platformId);
    expect(second.platform.secrets[1]?.expiresAt).toBeDefined();
    expect(await status(first.secret)).toBe(200);
    expect(await status(second.secret)).toBe(200);

    // The old secret leaked: revoked in one step, refused at once; the new one still works.
    const oldId = second.platform.secrets[1]?.secretId ?? '';
    const revoked = await revokePlatformSecret(store, first.platformId, oldId);
    expect(revoked.secrets.map((entry) => entry.secretId)).toEqual([
      second.platform.secrets[0]?.secretId,
    ]);
    expect(await status(first.secret)).toBe(401);
    expect(await status(second.secret)).toBe(200);
    await expect(
      revokePlatformSecret(store, first.platformId, revoked.secrets[0]?.secretId ?? ''),
    ).rejects.toThrow(/only active secret: rotate with no grace period instead/);

    // A grace period that has run out: the secret it covered is refused (stored, but expired).
    const longAgo = new Date(Date.now() - 3 * 86_400_000);
    const third = await rotatePlatformSecret(store, first.platformId, {
      graceSeconds: 86_400,
      now: longAgo,
    });
    expect(Date.parse(third.platform.secrets[1]?.expiresAt ?? '')).toBeLessThan(Date.now());
    expect(await status(second.secret)).toBe(401);
    expect(await status(third.secret)).toBe(200);

    // --grace 0: a new secret and the current one refused, in one step.
    const fourth = await rotatePlatformSecret(store, first.platformId, { graceSeconds: 0 });
    expect(fourth.platform.secrets).toHaveLength(1);
    expect(await status(third.secret)).toBe(401);
    expect(await status(fourth.secret)).toBe(200);
  });

  it('refuses a signature on any other route, resource, query or method than the one signed', async () => {
    const signedGet = (target: string) => signedAs('GET', target, '');
    const header = signedGet('/v1/tips/it-some-tip');
    const sameRoute = await call('GET', '/v1/tips/it-some-tip', undefined, { signature: header });
    expect(sameRoute.status).toBe(404); // authenticated: the tip just does not exist
    for (const path of ['/v1/tips/it-other-tip', '/v1/tips?limit=1', '/v1/summary']) {
      const reused = await call('GET', path, undefined, { signature: header });
      expect(reused.status, path).toBe(401);
      expect(reused.body.type, path).toMatch(/bad-signature$/);
    }
    const rawBody = JSON.stringify({ ...valid(), message: `route ${randomUUID()}` });
    const routeKey = randomUUID();
    const forTips = signedAs('POST', '/v1/tips', rawBody, routeKey);
    const onSplits = await call('POST', '/v1/splits', undefined, {
      rawBody,
      signature: forTips,
      idempotencyKey: routeKey,
    });
    expect(onSplits.status).toBe(401);
    expect(onSplits.body.detail).toMatch(/method is "POST", its target "\/v1\/splits"/);
  });

  it('enqueues nothing for rejected requests: no request record, no tip', async () => {
    const key = randomUUID();
    const response = await call(
      'POST',
      '/v1/tips',
      { ...valid(), amountMsat: 0, message: `nothing ${key}` },
      { idempotencyKey: key },
    );
    expect(response.status).toBe(422);
    const tipId = tipIdFor(platform.platformId, key);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { Item } = await DynamoDBDocumentClient.from(f.clients.dynamodb).send(
      new GetCommand({ TableName: TEST_TABLES.requests, Key: { tipId } }),
    );
    expect(Item).toBeUndefined();
    expect(await f.clients.ledger.getTip(tipId)).toBeUndefined();
  });
});
