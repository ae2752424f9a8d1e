import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { TipQueue } from '../../ports/intake.js';

export class QueueSendError extends Error {
  override name = 'QueueSendError';
}

/** SendMessageBatch calls in flight at once: a 10,000-row payout is 1,000 of them. */
const SEND_CONCURRENCY = 8;

/**
 * The tips queue on SQS: batches of 10 (several in flight), failed entries retried twice, then an
 * error. Order between messages does not matter: each tip is paid on its own.
 */
export const createSqsTipQueue = (sqs: SQSClient, queueUrl: string): TipQueue => ({
  async send(messages) {
    const limit = pLimit(SEND_CONCURRENCY);
    const sendChunk = async (start: number) => {
      let entries = messages
        .slice(start, start + 10)
        .map((body, index) => ({ Id: String(index), MessageBody: body }));
      for (let attempt = 0; attempt < 3 && entries.length > 0; attempt += 1) {
        const { Failed = [] } = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        const failed = new Set(Failed.map((failure) => failure.Id));
        if (failed.size === 0) {
          entries = [];
          break;
        }
        if (Failed.some((failure) => failure.SenderFault)) {
          throw new QueueSendError(`SQS refused a tip message: ${Failed[0]?.Message}`);
        }
        entries = entries.filter((entry) => failed.has(entry.Id));
      }
      if (entries.length > 0) {
        throw new QueueSendError(`SQS did not take ${entries.length} tip message(s) after 3 tries`);
      }
    };
    const starts = Array.from({ length: Math.ceil(messages.length / 10) }, (_, i) => i * 10);
    await Promise.all(starts.map((start) => limit(() => sendChunk(start))));
  },
});
