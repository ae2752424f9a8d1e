import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createObservability,
  type Observability,
  traced,
  tracingEnabled,
} from '../../../functions/observability.js';
import { makePayerHandler } from '../../../functions/payer/handler.js';
import type { PayerRuntime } from '../../../functions/payer/runtime.js';
import { makeReconcilerHandler } from '../../../functions/reconciler/handler.js';
import type { PayerDeps } from '../../../shared/app/pay-tip.js';
import { payTipMessage } from '../../../shared/app/pay-tip.js';
import { readPayerConfig } from '../../../shared/config/payer-config.js';
import { makePayer, tipMessage } from '../../shared/app/fakes.js';
import { malformedTipEvent as malformed } from '../../support/sqs-events.js';

/**
 * Powertools' own test affordance: with POWERTOOLS_DEV set, Logger and Metrics write through the
 * global console (metrics enabled again by POWERTOOLS_METRICS_DISABLED=false), so a test reads
 * the very lines CloudWatch would get. Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE (Powertools
 * counts cold starts of on-demand containers only); tracing is off outside Lambda.
 */
const lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines.length = 0;
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      try {
        lines.push(JSON.parse(String(line)));
      } catch {
        lines.push({ text: String(line) });
      }
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const context = (requestId: string) =>
  ({
    functionName: 'TipstreamService-Payer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:TipstreamService-Payer',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

/** Hand-written fakes: the paths here (a malformed message, no stuck tips) touch only these. */
const runtime = (observability: Observability): PayerRuntime => ({
  ...observability,
  dynamodb: undefined as never,
  lndCalls: new Map(),
  deps: {
    ledger: {
      recordRejection: async () => {},
      listStuckSending: async () => ({ tips: [] }),
    } as unknown as PayerDeps['ledger'],
    lightning: undefined as never,
    keys: undefined as never,
    policy: readPayerConfig({}).policy,
    now: () => new Date(),
  },
});

const coldStarts = () => lines.filter((line) => '_aws' in line && 'ColdStart' in line);
const logLines = () => lines.filter((line) => 'message' in line);

describe('payer handler: Powertools conventions', () => {
  it('logs with the Lambda context and counts the cold start once per container', async () => {
    const observability = createObservability('payer');
    const handler = makePayerHandler(runtime(observability));
    await handler(malformed, context('req-1'));
    await handler(malformed, context('req-2'));

    const rejected = logLines().filter((line) => line.message === 'tip rejected');
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({
      service: 'tipstream-payer',
      function_name: 'TipstreamService-Payer',
      function_request_id: 'req-1',
      cold_start: true,
    });
    expect(rejected[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });

    expect(coldStarts()).toHaveLength(1);
    expect(coldStarts()[0]).toMatchObject({
      ColdStart: 1,
      service: 'tipstream-payer',
      function_name: 'TipstreamService-Payer',
    });
    // The handler's own metrics still reach CloudWatch, once per invocation.
    expect(lines.filter((line) => 'TipsRejected' in line)).toHaveLength(2);
  });

  it('two invocations of one container at once (the local poller): each metric once, no empty-metrics warning', async () => {
    const observability = createObservability('payer');
    const handler = makePayerHandler(runtime(observability));
    await Promise.all([handler(malformed, context('req-1')), handler(malformed, context('req-2'))]);
    expect(lines.filter((line) => 'text' in line)).toEqual([]);
    const rejected = lines
      .filter((line) => 'TipsRejected' in line)
      .flatMap((line) => [line.TipsRejected].flat() as number[]);
    expect(rejected.reduce((sum, n) => sum + n, 0)).toBe(2);
  });

  it('keeps one cold start when the runtime is rebuilt after a secret rotation', async () => {
    const observability = createObservability('payer');
    await makePayerHandler(runtime(observability))(malformed, context('req-1'));
    await makePayerHandler(runtime(observability))(malformed, context('req-2'));
    expect(coldStarts()).toHaveLength(1);
  });
});

describe('reconciler handler: Powertools conventions', () => {
  it('logs with the Lambda context and counts the cold start once per container', async () => {
    const observability = createObservability('reconciler');
    const handler = makeReconcilerHandler(runtime(observability));
    await handler({}, context('req-1'));
    observability.logger.info('probe');
    await handler({}, context('req-2'));
    observability.logger.info('probe');

    const probes = logLines().filter((line) => line.message === 'probe');
    expect(probes[0]).toMatchObject({
      service: 'tipstream-reconciler',
      function_request_id: 'req-1',
      cold_start: true,
    });
    expect(probes[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(coldStarts()).toHaveLength(1);
    expect(coldStarts()[0]).toMatchObject({ service: 'tipstream-reconciler' });
    expect(lines.filter((line) => 'TipsReconciled' in line)).toHaveLength(2);
  });

  it('counts the tips it holds again in TipsHeld, as the payer counts its holds', async () => {
    const observability = createObservability('reconciler');
    const h = makePayer();
    // The operator node up, none of its channels re-established: the payer holds the tip.
    h.lightning.nodeState = {
      syncedToGraph: true,
      channels: [{ active: false, localBalanceMsat: 16_000_000_000n, offlineMs: 20_000 }],
    };
    h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
    expect((await payTipMessage(tipMessage(), h.deps)).kind).toBe('held');
    h.clock.advance(4 * 60_000);
    const { remainingMs: _remaining, ...deps } = h.deps;
    const handler = makeReconcilerHandler({ ...runtime(observability), deps });

    await handler({}, context('req-1'));

    const metrics = lines.filter((line) => '_aws' in line && 'TipsReconciled' in line);
    expect(metrics).toEqual([expect.objectContaining({ TipsReconciled: 1, TipsHeld: 1 })]);
  });
});

describe('tracingEnabled: Powertools own rule, decided before the X-Ray SDK is loaded', () => {
  const lambda = 'AWS_Lambda_nodejs24.x';
  it.each([
    { env: {}, on: false, why: 'outside Lambda' },
    { env: { AWS_EXECUTION_ENV: lambda }, on: true, why: 'in Lambda' },
    {
      env: { AWS_EXECUTION_ENV: lambda, POWERTOOLS_TRACE_ENABLED: 'false' },
      on: false,
      why: 'off',
    },
    {
      env: { AWS_EXECUTION_ENV: lambda, POWERTOOLS_TRACE_ENABLED: 'FALSE' },
      on: false,
      why: 'OFF',
    },
    { env: { AWS_EXECUTION_ENV: lambda, POWERTOOLS_TRACE_ENABLED: 'true' }, on: true, why: 'on' },
    { env: { AWS_EXECUTION_ENV: lambda, AWS_SAM_LOCAL: 'true' }, on: false, why: 'SAM local' },
    { env: { AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, on: false, why: "Amplify's mock" },
    { env: { POWERTOOLS_TRACE_ENABLED: 'true' }, on: false, why: 'asked, but outside Lambda' },
    // Powertools reads every variable trimmed (commons' getStringFromEnv).
    {
      env: { AWS_EXECUTION_ENV: lambda, POWERTOOLS_TRACE_ENABLED: ' false\n' },
      on: false,
      why: 'off, padded',
    },
    { env: { AWS_EXECUTION_ENV: lambda, AWS_SAM_LOCAL: ' ' }, on: true, why: 'SAM local blank' },
    { env: { AWS_EXECUTION_ENV: ' ' }, on: false, why: 'execution env blank' },
    { env: { AWS_EXECUTION_ENV: ' AWS_Lambda_amplify-mock ' }, on: false, why: 'mock, padded' },
  ])('$why: $on', ({ env, on }) => {
    expect(tracingEnabled(env)).toBe(on);
  });

  it("agrees with Powertools' own Tracer for any value of the variables it reads", () => {
    const keys = ['AWS_EXECUTION_ENV', 'AWS_SAM_LOCAL', 'POWERTOOLS_TRACE_ENABLED'] as const;
    const value = fc.option(
      fc.oneof(
        fc.constantFrom('', ' ', '\t', lambda, 'AWS_Lambda_amplify-mock', 'true', 'false', 'FALSE'),
        fc
          .tuple(
            fc.constantFrom('', ' ', '\n'),
            fc.constantFrom('false', 'False', 'AWS_Lambda_amplify-mock', lambda, 'x'),
            fc.constantFrom('', ' ', '\t'),
          )
          .map((parts) => parts.join('')),
        fc.string({ maxLength: 6 }),
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.record(Object.fromEntries(keys.map((key) => [key, value]))), (env) => {
        try {
          for (const key of keys) vi.stubEnv(key, env[key]);
          // captureHTTPsRequests off: the check must not patch this process's http module.
          const powertools = new Tracer({ captureHTTPsRequests: false }).isTracingEnabled();
          expect(tracingEnabled(env)).toBe(powertools);
        } finally {
          vi.unstubAllEnvs();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('here (no Lambda): no tracer, and clients are used as they are', () => {
    const observability = createObservability('payer');
    expect(observability.tracer).toBeUndefined();
    const client = { send: () => 1 };
    expect(traced(observability, client)).toBe(client);
  });
});
