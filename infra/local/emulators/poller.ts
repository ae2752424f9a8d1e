import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  region: string;
  handler: SqsHandler;
  /** Messages per invocation, 1-10 (the event source mapping's BatchSize). */
  batchSize: number;
  /**
   * Invocations at once (the event source mapping's ScalingConfig.MaximumConcurrency; default 1):
   * each receives and handles its own batch, so one slow tip holds up only its own batch, and
   * receives the next as soon as its invocation ends (the deletes go on meanwhile).
   */
  maxConcurrency?: number;
  /** The function timeout: what `getRemainingTimeInMillis` counts down from. */
  functionTimeoutMs: number;
  /**
   * Long-poll wait per receive (5 s). The mapping waits 20 s; each empty receive costs ElasticMQ
   * CPU (1 s waits with 15 idle slots took a tenth of a core beside `bench:payer`), while a wait
   * cut short by `stop()` may still take a message on ElasticMQ's side, which then reappears only
   * after its visibility timeout: 5 s keeps both small.
   */
  waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout for received messages (tests use a short one). */
  visibilityTimeoutSeconds?: number;
  functionName?: string;
  onError?: (error: unknown) => void;
  onBatch?: (summary: {
    received: number;
    deleted: number;
    failed: number;
    threw: boolean;
  }) => void;
}

/** The ARN ElasticMQ's queue would have in AWS, for `eventSourceARN`. */
const queueArn = (queueUrl: string, region: string) => {
  const [account = '000000000000', name = 'queue'] = new URL(queueUrl).pathname
    .split('/')
    .filter(Boolean);
  return `arn:aws:sqs:${region}:${account}:${name}`;
};

/** Shapes an SQS message as Lambda's SQS event source delivers it. */
const toSqsRecord = (message: Message, arn: string, region: string): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp:
      message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue && Buffer.from(value.BinaryValue).toString('base64'),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: [],
      },
    ]),
  ),
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: arn,
  awsRegion: region,
});

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export const lambdaContext = (functionName: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
};

/**
 * Feeds a Lambda SQS handler from a real queue with the event source mapping's rules: a batch
 * per invocation, up to `maxConcurrency` invocations at once; delete only records not listed in
 * `batchItemFailures`; a thrown error leaves the whole batch to reappear after its visibility
 * timeout; the queue's redrive policy moves a message to the DLQ after maxReceiveCount receives.
 */
export const startPoller = (options: PollerOptions) => {
  const arn = queueArn(options.queueUrl, options.region);
  const functionName = options.functionName ?? 'tipstream-payer';
  let running = true;
  const abort = new AbortController();
  /** Deletes of finished batches still on their way. */
  const deletes = new Set<Promise<void>>();

  const pollOnce = async () => {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize,
        WaitTimeSeconds: options.waitTimeSeconds ?? 5,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    if (Messages.length === 0) return;
    const event: SQSEvent = {
      Records: Messages.map((message) => toSqsRecord(message, arn, options.region)),
    };
    let failedIds = new Set<string>();
    let threw = false;
    try {
      const response = await options.handler(
        event,
        lambdaContext(functionName, options.functionTimeoutMs),
      );
      failedIds = new Set(
        (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier),
      );
    } catch (error) {
      threw = true;
      options.onError?.(error);
    }
    const done = threw ? [] : event.Records.filter((record) => !failedIds.has(record.messageId));
    const summary = {
      received: Messages.length,
      deleted: done.length,
      failed: Messages.length - done.length,
      threw,
    };
    if (done.length === 0) {
      options.onBatch?.(summary);
      return;
    }
    // The invocation is over: its slot receives the next batch while the deletes travel (the
    // messages stay invisible meanwhile), as the mapping's pollers do not wait on them either.
    const deleting = options.sqs
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      )
      .then(
        () => options.onBatch?.(summary),
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => deletes.delete(deleting));
    deletes.add(deleting);
  };

  // Like the mapping's pollers: each slot receives a batch, invokes, and receives again.
  const loops = Array.from({ length: Math.max(1, options.maxConcurrency ?? 1) }, async () => {
    while (running) {
      try {
        await pollOnce();
      } catch (error) {
        if (!running) break;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  });

  return {
    /** Stops receiving; invocations in progress, and their deletes, finish first. */
    async stop() {
      running = false;
      abort.abort();
      await Promise.all(loops);
      await Promise.all(deletes);
    },
  };
};
