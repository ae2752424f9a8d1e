import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SqsHandler, startPoller } from '../../infra/local/emulators/poller.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createTestQueue, enqueue, type StackClients, stackClients } from './helpers.js';

const stack = inject('stack');

/**
 * The local poller must give handlers what Lambda's SQS event source mapping gives them, on the
 * real ElasticMQ: batches, partial batch responses, whole-batch retry on a throw, DLQ redrive.
 */
describe('local SQS poller (Lambda event source semantics)', () => {
  let clients: StackClients;
  const pollers: Array<ReturnType<typeof startPoller>> = [];

  beforeAll(async () => {
    clients = await stackClients(stack);
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  });
  afterAll(() => clients?.destroy());

  /** Runs `handler` on a fresh queue; returns every event it saw. */
  const run = async (
    handler: SqsHandler,
    maxReceiveCount = 5,
    shape: { batchSize?: number; maxConcurrency?: number } = {},
  ) => {
    const queue = await createTestQueue(clients, 'poller-test', maxReceiveCount);
    const events: SQSEvent[] = [];
    pollers.push(
      startPoller({
        sqs: clients.sqs,
        queueUrl: queue.queueUrl,
        region: stack.region,
        batchSize: shape.batchSize ?? 10,
        maxConcurrency: shape.maxConcurrency,
        functionTimeoutMs: 5_000,
        visibilityTimeoutSeconds: 1,
        handler: async (event, context) => {
          events.push(event);
          return handler(event, context);
        },
      }),
    );
    return { queue, events };
  };

  const bodiesSeen = (events: SQSEvent[]) =>
    events.flatMap((event) => event.Records.map((r) => r.body));

  it('delivers Lambda-shaped records and deletes the ones the handler did not report', async () => {
    const { queue, events } = await run(
      async (event): Promise<SQSBatchResponse> => ({
        batchItemFailures: event.Records.filter(
          (record) =>
            record.body === 'fail-once' && record.attributes.ApproximateReceiveCount === '1',
        ).map((record) => ({ itemIdentifier: record.messageId })),
      }),
    );
    await enqueue(queue.queueUrl, clients, ['a', 'b', 'fail-once']);
    await waitFor(
      'fail-once to be redelivered',
      async () => bodiesSeen(events).filter((body) => body === 'fail-once').length >= 2,
    );
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({ eventSource: 'aws:sqs', awsRegion: stack.region });
    expect(record?.eventSourceARN).toMatch(/^arn:aws:sqs:.+:tipstream-test-poller-test-/);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // a and b were acknowledged: seen exactly once; fail-once came back once more, then was deleted.
    expect(bodiesSeen(events).filter((body) => body === 'a')).toHaveLength(1);
    expect(bodiesSeen(events).filter((body) => body === 'b')).toHaveLength(1);
    expect(bodiesSeen(events).filter((body) => body === 'fail-once')).toHaveLength(2);
  });

  it('retries the whole batch when the handler throws', async () => {
    // SQS may hand the three messages over in one batch or several: the function "crashes" on
    // any batch holding a first delivery, so every message goes through a thrown batch.
    const thrown = new Set<string>();
    const acknowledged = new Set<string>();
    const { queue } = await run(async (event) => {
      if (event.Records.some((record) => record.attributes.ApproximateReceiveCount === '1')) {
        for (const record of event.Records) thrown.add(record.body);
        throw new Error('function crashed');
      }
      for (const record of event.Records) acknowledged.add(record.body);
      return { batchItemFailures: [] };
    });
    await enqueue(queue.queueUrl, clients, ['x', 'y', 'z']);
    await waitFor(
      'every message to come back after the crash and be acknowledged',
      async () => ['x', 'y', 'z'].every((body) => acknowledged.has(body)),
      { timeoutMs: 30_000 },
    );
    // Nothing of a thrown batch was deleted: every message was delivered again.
    expect([...thrown].sort()).toEqual(['x', 'y', 'z']);
    expect([...acknowledged].sort()).toEqual(['x', 'y', 'z']);
  });

  it('moves a message that always fails to the dead-letter queue after maxReceiveCount', async () => {
    const { queue, events } = await run(
      async (event) => ({
        batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
      }),
      2,
    );
    await enqueue(queue.queueUrl, clients, ['poison']);
    const dead = await waitFor(
      'the message in the dead-letter queue',
      async () =>
        (
          await clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queue.dlqUrl,
              WaitTimeSeconds: 1,
              MaxNumberOfMessages: 1,
            }),
          )
        ).Messages?.[0],
      { timeoutMs: 20_000 },
    );
    expect(dead.Body).toBe('poison');
    expect(bodiesSeen(events).filter((body) => body === 'poison')).toHaveLength(2);
  });

  it('runs up to maxConcurrency invocations at once, each on its own batch', async () => {
    // Each invocation waits until another is running beside it (or 5 s pass): with one batch at
    // a time they would run one after the other.
    let running = 0;
    let most = 0;
    const { queue, events } = await run(
      async () => {
        running += 1;
        most = Math.max(most, running);
        const until = Date.now() + 5_000;
        while (most < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        running -= 1;
        return { batchItemFailures: [] };
      },
      5,
      { batchSize: 1, maxConcurrency: 3 },
    );
    await enqueue(queue.queueUrl, clients, ['p', 'q', 'r', 's']);
    await waitFor('every message handled', async () => bodiesSeen(events).length >= 4, {
      timeoutMs: 20_000,
    });
    expect(most).toBe(3);
    expect(events.every((event) => event.Records.length === 1)).toBe(true);
  });
});
