import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TipQueue } from '../../ports/intake.js';
import { inChunks } from '../in-chunks.js';
import { toSqsEntry } from './tip-message.js';

class QueueSendError extends Error {
  override name = 'QueueSendError';
}

/**
 * The tips queue on SQS: batches of 10 (several in flight), failed entries retried twice, then an
 * error. Order between messages does not matter: each tip is paid on its own.
 */
export const createSqsTipQueue = (sqs: SQSClient, queueUrl: string): TipQueue => ({
  async send(messages) {
    // SendMessageBatch takes 10 messages: a 10,000-row payout is 1,000 calls.
    await inChunks(messages, 10, async (chunk) => {
      let entries = chunk.map((tip, index) => toSqsEntry(tip, String(index)));
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
    });
  },
});
