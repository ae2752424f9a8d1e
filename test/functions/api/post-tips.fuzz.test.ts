import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../../functions/api/handler.js';
import { type ApiDeps, DEFAULT_MAX_BODY_BYTES } from '../../../functions/api/runtime.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import {
  parseTipRequest,
  type TipPolicy,
  tipFingerprint,
} from '../../../shared/domain/tip-request.js';
import type { PayoutHistory, PlatformActivity } from '../../../shared/ports/activity.js';
import type {
  AcceptedRequest,
  IntakeStore,
  PlatformRecord,
  PlatformStore,
} from '../../../shared/ports/intake.js';
import { FakeTipLedger } from '../../shared/app/fakes.js';
import { fakeWebhookDeps } from '../../shared/app/webhook-fakes.js';
import {
  checkAsyncProperty,
  deeplyNestedJson,
  hostileJsonValue,
  hostileString,
  MAX_ERROR_MESSAGE_CHARS,
} from '../../support/fast-check.js';
import {
  expectPayable,
  mutatedRequest,
  tipJson,
  validRequest,
} from '../../support/tip-requests.js';

// POST /v1/tips parses its body in the handler (JSON object, no Tipstream-set fields) and then
// as a tips queue message in acceptTip: fuzzed here through the real handler, with in-memory
// ports, from the signed HTTP event to the message the payer will read.

const PLATFORM: PlatformRecord = {
  platformId: 'fuzz.example',
  name: 'Fuzz',
  secrets: [{ secretId: 's1', secret: 'fuzz-secret', createdAt: '2026-01-01T00:00:00.000Z' }],
  dailyLimitSats: 10 ** 12,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const NOW = new Date('2026-11-30T03:00:00.000Z');

const POLICIES: Record<'sats' | 'msat', TipPolicy> = {
  sats: { maxMsat: 10n ** 15n, allowMsat: false, customRecordsBudgetBytes: 1_300 },
  msat: { maxMsat: 10n ** 15n, allowMsat: true, customRecordsBudgetBytes: 1_300 },
};

/** The handler with in-memory ports; records what it accepted and enqueued. */
const harness = (policy: TipPolicy) => {
  const accepted: AcceptedRequest[] = [];
  const enqueued: string[] = [];
  const platforms: PlatformStore = {
    getPlatform: async (id) => (id === PLATFORM.platformId ? PLATFORM : undefined),
    createPlatform: async () => {},
    updateSecrets: async () => PLATFORM,
    listPlatforms: async () => [PLATFORM],
    rememberSignature: async () => 'fresh',
  };
  const unused = () => Promise.reject(new Error('not used by POST /v1/tips'));
  const intake: IntakeStore = {
    accept: async (request) => {
      accepted.push(request);
      return { status: 'accepted' };
    },
    acceptBatch: unused,
    getBatch: unused,
    listBatchRequests: unused,
    getRequest: unused,
    getBudgetUsed: unused,
    recordBatchRows: unused,
  };
  const deps: ApiDeps = {
    intake,
    webhooks: fakeWebhookDeps(),
    queue: { send: async (messages) => void enqueued.push(...messages.map((m) => m.body)) },
    ledger: new FakeTipLedger(),
    policy: {
      maxTipMsat: policy.maxMsat,
      allowMsat: policy.allowMsat,
      customRecordsBudgetBytes: policy.customRecordsBudgetBytes,
      feePpm: 5_000,
      minFeeSats: 10,
      globalHourlyLimitMsat: 10n ** 20n,
    },
    now: () => NOW,
    platforms,
    history: {} as PayoutHistory,
    activity: {} as PlatformActivity,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  };
  return { handler: makeApiHandler(deps), accepted, enqueued };
};

let requestCount = 0;

/** A signed POST /v1/tips event carrying `rawBody`, with a fresh Idempotency-Key. */
const postTip = (rawBody: string): APIGatewayProxyEventV2 => {
  requestCount += 1;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/tips',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      ...signedHeaders({
        secret: PLATFORM.secrets[0]?.secret ?? '',
        platformId: PLATFORM.platformId,
        method: 'POST',
        url: '/v1/tips',
        idempotencyKey: `fuzz-${requestCount}`,
        body: rawBody,
        now: NOW,
      }),
    },
    body: rawBody,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/v1/tips' } },
  } as unknown as APIGatewayProxyEventV2;
};

/** Bodies: valid tips, tips with hostile fields, any JSON, any text, deep nesting. */
const TIPSTREAM_FIELDS = ['version', 'tipId', 'platformId', 'batchId', 'splitOf'];
const asBody = (request: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(request).filter(([key]) => !TIPSTREAM_FIELDS.includes(key)));

const body = fc.oneof(
  { weight: 3, arbitrary: validRequest.map(({ request }) => JSON.stringify(asBody(request))) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(mutatedRequest, fc.boolean())
      .map(([request, strip]) => JSON.stringify(strip ? asBody(request) : request)),
  },
  { weight: 1, arbitrary: hostileJsonValue().map((value) => JSON.stringify(value) ?? '') },
  { weight: 1, arbitrary: hostileString({ maxLength: 100 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 8_000 }), fc.constantFrom('amountMsat', 'message', 'x'))
      .map(([depth, field]) => `{"${field}":${deeplyNestedJson(depth)}}`),
  },
);

const parseAnswer = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(String(response.body)) as Record<string, unknown>;

describe('POST /v1/tips, fuzzed through the handler', () => {
  it('answers 202 or a 4xx problem, never 500; what it enqueues the payer reads as accepted', async () => {
    const statuses = new Map<number, number>();
    await checkAsyncProperty(
      fc.asyncProperty(
        body,
        fc.constantFrom('sats', 'msat') as fc.Arbitrary<'sats' | 'msat'>,
        async (rawBody, mode) => {
          const policy = POLICIES[mode];
          const { handler, accepted, enqueued } = harness(policy);
          const response = await handler(postTip(rawBody));
          const answer = parseAnswer(response);
          const status = response.statusCode ?? 0;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status !== 202) {
            expect([400, 413, 422]).toContain(status);
            expect(response.headers?.['content-type']).toBe('application/problem+json');
            expect(String(answer.detail).length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
            expect(enqueued).toEqual([]);
            return;
          }
          // The queue message is what the payer parses: it must accept it as the API did.
          expect(enqueued).toHaveLength(1);
          expect(accepted).toHaveLength(1);
          const paid = parseTipRequest(enqueued[0], policy);
          if (!paid.ok) throw paid.error;
          expectPayable(paid.tip, policy);
          expect(paid.tip.tipId).toBe(answer.tipId);
          expect(paid.tip.platformId).toBe(PLATFORM.platformId);
          expect(tipFingerprint(paid.tip)).toBe(accepted[0]?.fingerprint);
          expect(paid.tip.amountMsat).toBe(accepted[0]?.amountMsat);
          // The body alone, with the ids the API adds, is the same tip.
          const direct = parseTipRequest(
            {
              version: 1,
              tipId: paid.tip.tipId,
              platformId: PLATFORM.platformId,
              ...JSON.parse(rawBody),
            },
            policy,
          );
          if (!direct.ok) throw direct.error;
          expect(tipJson(direct.tip)).toBe(tipJson(paid.tip));
        },
      ),
      2_000,
    );
    // The run reached both sides: accepted tips and refused bodies.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(422) ?? 0).toBeGreaterThan(100);
  });
});
