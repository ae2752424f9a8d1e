import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  listDeadLetters,
  redriveDeadLetters,
  summariseDeadLetter,
} from '../../../../shared/adapters/sqs/dead-letter-queue.js';

const DLQ = 'http://sqs.local/dlq';
const QUEUE = 'http://sqs.local/tips';

/**
 * A hand-written SQS of two queues with the rules redrive depends on: a received message is
 * hidden until deleted or made visible, each receive gives a new receipt handle, and only the
 * latest handle of a message works. `hooks` break it on purpose.
 */
const fakeSqs = (
  bodies: string[],
  hooks: {
    onSend?: (call: number) => void;
    onDelete?: () => void;
    afterReceive?: (fake: { expireAll(): void }) => void;
    redrivePolicy?: string;
  } = {},
) => {
  let handles = 0;
  const dlq = bodies.map((body, i) => ({
    id: `m${i}`,
    body,
    visible: true,
    handle: undefined as string | undefined,
  }));
  const sentTo: string[] = [];
  let sends = 0;
  const fake = {
    expireAll() {
      for (const message of dlq) message.visible = true;
    },
  };
  const send = async (command: unknown) => {
    if (command instanceof GetQueueAttributesCommand) {
      return {
        Attributes: {
          ...(hooks.redrivePolicy ? { RedrivePolicy: hooks.redrivePolicy } : {}),
          ApproximateNumberOfMessages: String(dlq.filter((m) => m.visible).length),
          ApproximateNumberOfMessagesNotVisible: String(dlq.filter((m) => !m.visible).length),
        },
      };
    }
    if (command instanceof ReceiveMessageCommand) {
      const max = command.input.MaxNumberOfMessages ?? 1;
      const messages: Message[] = [];
      for (const message of dlq.filter((m) => m.visible).slice(0, max)) {
        message.visible = false;
        handles += 1;
        message.handle = `h${handles}`;
        messages.push({ MessageId: message.id, Body: message.body, ReceiptHandle: message.handle });
      }
      hooks.afterReceive?.(fake);
      return { Messages: messages };
    }
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      const Failed: Array<{ Id: string; Code: string }> = [];
      for (const entry of command.input.Entries ?? []) {
        const message = dlq.find((m) => m.handle === entry.ReceiptHandle);
        if (message) message.visible = true;
        else Failed.push({ Id: entry.Id ?? '', Code: 'ReceiptHandleIsInvalid' });
      }
      return { Failed };
    }
    if (command instanceof SendMessageBatchCommand) {
      sends += 1;
      hooks.onSend?.(sends);
      const entries = command.input.Entries ?? [];
      sentTo.push(...entries.map((entry) => entry.MessageBody ?? ''));
      return { Successful: entries.map((entry) => ({ Id: entry.Id })) };
    }
    if (command instanceof DeleteMessageBatchCommand) {
      hooks.onDelete?.();
      const entries = command.input.Entries ?? [];
      for (const entry of entries) {
        const index = dlq.findIndex((m) => m.handle === entry.ReceiptHandle);
        if (index >= 0) dlq.splice(index, 1);
      }
      return { Successful: entries.map((entry) => ({ Id: entry.Id })) };
    }
    throw new Error(`the fake does not do ${String(command)}`);
  };
  return { sqs: { send } as unknown as SQSClient, dlq, sentTo };
};

const bodies = (count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ tipId: `t${i}` }));

describe('redriveDeadLetters', () => {
  it('moves every message once: sent to the queue, then deleted from the DLQ', async () => {
    const fake = fakeSqs(bodies(23));
    const result = await redriveDeadLetters(fake.sqs, DLQ, QUEUE);
    expect(result.moved).toHaveLength(23);
    expect(result.stopped).toBeUndefined();
    expect([...fake.sentTo].sort()).toEqual(bodies(23).sort());
    expect(fake.dlq).toEqual([]);
  });

  it('on Ctrl-C finishes the batch in hand (sent and deleted) and stops before the next', async () => {
    const abort = new AbortController();
    const fake = fakeSqs(bodies(23), { onSend: (call) => call === 1 && abort.abort() });
    const result = await redriveDeadLetters(fake.sqs, DLQ, QUEUE, { signal: abort.signal });
    expect(result.moved).toHaveLength(10);
    expect(result.notDeleted).toEqual([]);
    expect(result.stopped).toMatch(/interrupted/);
    expect(fake.sentTo).toHaveLength(10);
    // The rest are still dead letters, and visible: nothing was lost or left half-moved.
    expect(fake.dlq).toHaveLength(13);
    expect(fake.dlq.every((message) => message.visible)).toBe(true);
  });

  it('reports messages sent but not deleted (a delete that throws) with what was moved, instead of throwing it all away', async () => {
    let deletes = 0;
    const fake = fakeSqs(bodies(15), {
      onDelete: () => {
        deletes += 1;
        if (deletes === 2) throw new Error('connection reset');
      },
    });
    const result = await redriveDeadLetters(fake.sqs, DLQ, QUEUE);
    expect(result.moved).toHaveLength(10);
    expect(result.notDeleted.map((letter) => letter.tipId)).toEqual([
      't10',
      't11',
      't12',
      't13',
      't14',
    ]);
    expect(result.stopped).toMatch(/deleting from .* failed after sending: connection reset/);
  });

  it('stops and reports when a send fails mid-way; the unsent messages go back to the DLQ at once', async () => {
    const fake = fakeSqs(bodies(15), {
      onSend: (call) => {
        if (call === 2) throw new Error('queue unreachable');
      },
    });
    const result = await redriveDeadLetters(fake.sqs, DLQ, QUEUE);
    expect(result.moved).toHaveLength(10);
    expect(result.failed.map((letter) => letter.error)).toEqual(Array(5).fill('queue unreachable'));
    expect(result.stopped).toMatch(/sending to .* failed/);
    expect(fake.dlq.every((message) => message.visible)).toBe(true);
  });
});

describe('a queue that is not a dead-letter queue (the tips queue itself)', () => {
  const policy = JSON.stringify({
    deadLetterTargetArn: 'arn:aws:sqs:r:0:tips-dlq',
    maxReceiveCount: 5,
  });

  it.each([
    { name: 'list', run: (sqs: SQSClient) => listDeadLetters(sqs, QUEUE) },
    { name: 'redrive', run: (sqs: SQSClient) => redriveDeadLetters(sqs, QUEUE, DLQ) },
  ])('is refused by $name before any message is received', async ({ run }) => {
    const fake = fakeSqs(bodies(3), { redrivePolicy: policy });
    await expect(run(fake.sqs)).rejects.toThrow(
      /is not a dead-letter queue: it dead-letters into another queue \(arn:aws:sqs:r:0:tips-dlq\)/,
    );
    expect(fake.dlq.every((message) => message.visible && !message.handle)).toBe(true);
  });
});

describe('listDeadLetters', () => {
  it('leaves every message visible, even one received again during the listing (its newest handle)', async () => {
    let receives = 0;
    const fake = fakeSqs(bodies(3), {
      // The visibility timeout runs out after the first receive: the next one gets them again.
      afterReceive: (sqs) => {
        receives += 1;
        if (receives === 1) sqs.expireAll();
      },
    });
    const letters = await listDeadLetters(fake.sqs, DLQ, { max: 10 });
    expect(letters.map((letter) => letter.tipId)).toEqual(['t0', 't1', 't2']);
    expect(fake.dlq.map((message) => message.visible)).toEqual([true, true, true]);
  });
});

describe('summariseDeadLetter', () => {
  it('reads a tip request and the receives before this look', () => {
    expect(
      summariseDeadLetter({
        MessageId: 'm1',
        Body: JSON.stringify({
          version: 1,
          tipId: 't1',
          platformId: 'p',
          recipientPubkey: '02ab',
          amountMsat: 21000,
        }),
        Attributes: { SentTimestamp: '1795514194372', ApproximateReceiveCount: '6' },
      }),
    ).toEqual({
      messageId: 'm1',
      sentAt: new Date(1795514194372).toISOString(),
      receiveCount: 5,
      tipId: 't1',
      platformId: 'p',
      recipient: '02ab',
      amountMsat: '21000',
      body: expect.any(String),
    });
  });

  it('still lists a body that is not a tip request', () => {
    expect(summariseDeadLetter({ MessageId: 'm2', Body: 'not json' })).toEqual({
      messageId: 'm2',
      body: 'not json',
    });
  });
});
