import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QueueChoiceError } from '../../ports/errors.js';

/** One dead-lettered tip request, summarised for people (the body is kept whole too). */
export interface DeadLetter {
  messageId: string;
  sentAt?: string;
  /** Times it was received before this look (by the payer, and earlier listings). */
  receiveCount?: number;
  sourceQueueArn?: string;
  tipId?: string;
  platformId?: string;
  recipient?: string;
  amountMsat?: string;
  batchId?: string;
  body: string;
}

/** Reads what it can of a tip request message; a body that is not one is still listed. */
export const summariseDeadLetter = (message: Message): DeadLetter => {
  const body = message.Body ?? '';
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      parsed = value as Record<string, unknown>;
    }
  } catch {
    // not JSON: listed with its raw body only
  }
  const text = (key: string) => {
    const value = parsed[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
  const attributes = message.Attributes ?? {};
  const sent = Number(attributes.SentTimestamp);
  return {
    messageId: message.MessageId ?? '?',
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    // Receiving it to list it counted as one receive: report the ones before.
    ...(attributes.ApproximateReceiveCount
      ? { receiveCount: Math.max(0, Number(attributes.ApproximateReceiveCount) - 1) }
      : {}),
    ...(attributes.DeadLetterQueueSourceArn
      ? { sourceQueueArn: attributes.DeadLetterQueueSourceArn }
      : {}),
    ...(text('tipId') ? { tipId: text('tipId') } : {}),
    ...(text('platformId') ? { platformId: text('platformId') } : {}),
    ...(text('recipientPubkey') ? { recipient: text('recipientPubkey') } : {}),
    ...(text('amountMsat') ? { amountMsat: text('amountMsat') } : {}),
    ...(text('batchId') ? { batchId: text('batchId') } : {}),
    body,
  };
};

/** Messages waiting in a queue (visible, and received but not yet deleted). */
export const queueDepth = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
};

/**
 * Refuses a queue that has a redrive policy of its own: that is a source queue (the tips queue),
 * not a dead-letter queue, and receiving from it would hide tips from the payer and count
 * towards their maxReceiveCount, sending healthy tips to the DLQ.
 */
export const assertDeadLetterQueue = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  if (Attributes.RedrivePolicy) {
    let target = '';
    try {
      target = ` (${(JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn})`;
    } catch {
      // an unreadable policy still marks a source queue
    }
    throw new QueueChoiceError(
      `${queueUrl} is not a dead-letter queue: it dead-letters into another queue${target}. Reading it would hide its messages from the payer; give the DLQ's URL (stack output TipsDeadLetterQueueUrl)`,
    );
  }
};

/** Where a redrive sends messages: `--to`, else the DLQ's one source queue, else the configured tips queue. */
export const redriveTarget = async (
  sqs: SQSClient,
  dlqUrl: string,
  to: string | undefined,
  configuredQueue: string | undefined,
): Promise<string> => {
  if (to) return to;
  const sources = await sqs
    .send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))
    .then((answer) => answer.queueUrls ?? [])
    .catch(() => [] as string[]);
  if (sources.length === 1 && sources[0]) return sources[0];
  if (configuredQueue) return configuredQueue;
  throw new QueueChoiceError(
    sources.length > 1
      ? `${dlqUrl} is the dead-letter queue of ${sources.length} queues (${sources.join(', ')}): pass --to <queue url>`
      : `cannot tell which queue ${dlqUrl} belongs to: pass --to <queue url>`,
  );
};

const returnToQueue = async (sqs: SQSClient, queueUrl: string, messages: readonly Message[]) => {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
};

const receive = (sqs: SQSClient, queueUrl: string, count: number, visibilityTimeout: number) =>
  sqs
    .send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, count)),
        VisibilityTimeout: visibilityTimeout,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    )
    .then((answer) => answer.Messages ?? []);

/**
 * Lists dead letters without consuming them: each is received with a visibility timeout just
 * long enough to page past it, and all are made visible again at once when the listing ends.
 */
export const listDeadLetters = async (
  sqs: SQSClient,
  dlqUrl: string,
  { max = 1000, visibilityTimeoutSeconds = 30 } = {},
): Promise<DeadLetter[]> => {
  // By message id, the latest receipt: a message received again (its timeout ran out during a
  // long listing) can be made visible only with its newest receipt handle.
  await assertDeadLetterQueue(sqs, dlqUrl);
  const held = new Map<string, Message>();
  let empty = 0;
  try {
    // Two empty answers in a row: SQS samples servers, so one empty answer can be a miss.
    while (held.size < max && empty < 2) {
      const messages = await receive(sqs, dlqUrl, max - held.size, visibilityTimeoutSeconds);
      const fresh = messages.filter((message) => !held.has(message.MessageId ?? ''));
      for (const message of messages) held.set(message.MessageId ?? '', message);
      if (fresh.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
    }
  } finally {
    await returnToQueue(sqs, dlqUrl, [...held.values()]);
  }
  return [...held.values()].map(summariseDeadLetter);
};

export interface RedriveResult {
  moved: DeadLetter[];
  /** Sent to the queue but not deleted from the DLQ: it will be listed again. */
  notDeleted: DeadLetter[];
  /** Not sent (still in the DLQ). */
  failed: Array<DeadLetter & { error: string }>;
  /** Stopped early (Ctrl-C, or SQS failed mid-way): the DLQ may hold more than was handled. */
  stopped?: string;
}

/**
 * Moves dead letters back to `queueUrl`: each is sent, and deleted from the DLQ only once the
 * send succeeded, so none is lost. Only the messages there when it starts are moved (at most
 * `max`), so a message that fails again and returns is not looped. If a delete fails after a
 * send (or the process dies between the two), the message is in the DLQ again once its 60 s
 * visibility timeout ends; sending it a second time is harmless, because the payer pays a tip
 * id at most once (its payment hash derives from the tip id). `signal` (Ctrl-C) stops before
 * the next batch of 10, never between a batch's send and its delete. An SQS error once some
 * messages were handled stops the redrive and is reported in `stopped`, with what was done.
 */
export const redriveDeadLetters = async (
  sqs: SQSClient,
  dlqUrl: string,
  queueUrl: string,
  { max = Number.MAX_SAFE_INTEGER, signal }: { max?: number; signal?: AbortSignal } = {},
): Promise<RedriveResult> => {
  await assertDeadLetterQueue(sqs, dlqUrl);
  const result: RedriveResult = { moved: [], notDeleted: [], failed: [] };
  const { visible } = await queueDepth(sqs, dlqUrl);
  const cap = Math.min(max, visible);
  const seen = new Set<string>();
  let empty = 0;
  const handled = () => result.moved.length + result.notDeleted.length + result.failed.length;
  const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
  while (handled() < cap && empty < 2) {
    if (signal?.aborted) {
      result.stopped = 'interrupted (Ctrl-C)';
      break;
    }
    let received: Message[];
    try {
      received = await receive(sqs, dlqUrl, cap - handled(), 60);
    } catch (error) {
      if (handled() === 0) throw error;
      result.stopped = `receiving from ${dlqUrl} failed: ${errorText(error)}`;
      break;
    }
    const fresh = received.filter((message) => !seen.has(message.MessageId ?? ''));
    const again = received.filter((message) => seen.has(message.MessageId ?? ''));
    if (again.length > 0) await returnToQueue(sqs, dlqUrl, again);
    if (fresh.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    for (const message of fresh) seen.add(message.MessageId ?? '');
    let sent: Awaited<ReturnType<typeof sendBatch>>;
    try {
      sent = await sendBatch(sqs, queueUrl, fresh);
    } catch (error) {
      // Not sent (or not known to be): give the messages back to the DLQ at once, not after 60 s.
      await returnToQueue(sqs, dlqUrl, fresh).catch(() => {});
      if (handled() === 0) throw error;
      for (const message of fresh) {
        result.failed.push({ ...summariseDeadLetter(message), error: errorText(error) });
      }
      result.stopped = `sending to ${queueUrl} failed: ${errorText(error)}`;
      break;
    }
    const sentIndexes = new Set((sent.Successful ?? []).map((entry) => Number(entry.Id)));
    const unsent = fresh.filter((_, index) => !sentIndexes.has(index));
    for (const failure of sent.Failed ?? []) {
      const message = fresh[Number(failure.Id)];
      if (message) {
        result.failed.push({
          ...summariseDeadLetter(message),
          error: failure.Message ?? failure.Code ?? 'send failed',
        });
      }
    }
    if (unsent.length > 0) await returnToQueue(sqs, dlqUrl, unsent);
    const toDelete = fresh.filter((_, index) => sentIndexes.has(index));
    if (toDelete.length === 0) continue;
    let deletedIndexes: Set<number>;
    try {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: toDelete.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      deletedIndexes = new Set((deleted.Successful ?? []).map((entry) => Number(entry.Id)));
    } catch (error) {
      // Sent but still in the DLQ: reported, never thrown away with the rest of the result.
      deletedIndexes = new Set();
      result.stopped = `deleting from ${dlqUrl} failed after sending: ${errorText(error)}`;
    }
    toDelete.forEach((message, index) => {
      (deletedIndexes.has(index) ? result.moved : result.notDeleted).push(
        summariseDeadLetter(message),
      );
    });
    if (result.stopped) break;
  }
  return result;
};

const sendBatch = (sqs: SQSClient, queueUrl: string, messages: readonly Message[]) =>
  sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
          ? { MessageAttributes: message.MessageAttributes }
          : {}),
      })),
    }),
  );
