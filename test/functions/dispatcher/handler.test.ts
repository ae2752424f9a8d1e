import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  type DispatcherRuntime,
  makeDispatcherHandler,
} from '../../../functions/dispatcher/handler.js';
import { createObservability } from '../../../functions/observability.js';
import { FakeWebhookDeliveries, FakeWebhookEndpoints } from '../../shared/app/webhook-fakes.js';

const context = {
  functionName: 'TipstreamService-Dispatcher',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:TipstreamService-Dispatcher',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

/** A stream record of a tip entering FAILED, as DynamoDB Streams hands it to Lambda. */
const failedTip: DynamoDBStreamEvent = {
  Records: [
    {
      eventName: 'MODIFY',
      dynamodb: {
        Keys: { tipId: { S: 'p1:tip-1' } },
        OldImage: {
          tipId: { S: 'p1:tip-1' },
          platformId: { S: 'p1' },
          state: { S: 'SENDING' },
          recipient: { S: `02${'ab'.repeat(32)}` },
          amountMsat: { N: '1000' },
          attempt: { N: '1' },
          records: { L: [] },
          updatedAt: { S: '2026-01-01T00:00:01.000Z' },
        },
        NewImage: {
          tipId: { S: 'p1:tip-1' },
          platformId: { S: 'p1' },
          state: { S: 'FAILED' },
          recipient: { S: `02${'ab'.repeat(32)}` },
          amountMsat: { N: '1000' },
          attempt: { N: '1' },
          failureCode: { S: 'NO_ROUTE' },
          failureReason: { S: 'no route' },
          records: { L: [] },
          updatedAt: { S: '2026-01-01T00:00:02.000Z' },
        },
      },
    },
  ],
};

describe('the dispatcher handler on a stream batch', () => {
  it('does not fail the batch when trying a recorded delivery fails: the sweep has it', async () => {
    const endpoints = new FakeWebhookEndpoints();
    await endpoints.putEndpoint({
      endpointId: 'we_1',
      platformId: 'p1',
      url: 'https://hooks.example/',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      enabled: true,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    const deliveries = new FakeWebhookDeliveries();
    // DynamoDB throttles the claim (or any write after recording).
    deliveries.claim = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const runtime: DispatcherRuntime = {
      ...createObservability('dispatcher', { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
      delivery: {
        endpoints,
        deliveries,
        sender: { send: async () => ({ ok: true, status: 204 }) },
        clock: () => new Date('2026-01-01T00:00:03.000Z'),
        leaseMs: 3_000,
        endpointConcurrency: 4,
        perEndpointLimit: 25,
        sweepLimit: 500,
        sweepQueues: 200,
        legacyStep: 100,
        retryScale: 1,
      },
    };
    const handler = makeDispatcherHandler(runtime);
    await expect(handler(failedTip, context)).resolves.toMatchObject({ skipped: 1 });
    // Recorded, due at once: the sweep's to try.
    expect([...deliveries.items.values()]).toMatchObject([
      { eventId: 'evt_p1:tip-1_failed_1', status: 'PENDING', attempts: 0 },
    ]);
    // The sweep, by contrast, may fail: the schedule runs it again.
    await expect(handler({}, context)).rejects.toThrow(/Throughput/);
  });
});
