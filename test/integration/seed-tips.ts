import { createHash, randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { documentClient } from '../../shared/adapters/dynamodb/common.js';
import { secp } from '../../shared/domain/secp.js';
import type { StackClients } from './helpers.js';
import { TEST_TABLES } from './helpers.js';

/** Node keys of made-up recipients (valid points, no node behind them: never paid for real). */
export const fakeRecipients = (count: number, label = 'seed') =>
  Array.from({ length: count }, (_, index) =>
    Buffer.from(
      secp.getPublicKey(createHash('sha256').update(`${label}-${index}`).digest(), true),
    ).toString('hex'),
  );

export interface SeededTips {
  count: number;
  succeeded: { count: number; msat: bigint; feeMsat: bigint };
  failed: { count: number; msat: bigint };
  recipients: string[];
  elapsedMs: number;
}

/**
 * Writes `count` finished tips of `platformId` through the ledger adapter, as the payer does
 * (create → SENDING → SUCCEEDED with a receipt-sized receipt and the recipient totals, or FAILED
 * with a reason), spread over the last `spreadHours`. They go to made-up recipients, so no real
 * creator's totals change and no payment is made.
 *
 * Every write uses the real clock (a tip that looked stuck in SENDING would be taken over by a
 * reconciler running elsewhere); once finished, each tip is backdated to its place in the window.
 */
export const seedPlatformTips = async (
  clients: StackClients,
  platformId: string,
  {
    count,
    recipientCount = 200,
    failedEvery = 13,
    spreadHours = 23,
    concurrency = 16,
  }: {
    count: number;
    recipientCount?: number;
    failedEvery?: number;
    spreadHours?: number;
    concurrency?: number;
  },
): Promise<SeededTips> => {
  const started = Date.now();
  const recipients = fakeRecipients(recipientCount, platformId);
  const doc = documentClient(clients.dynamodb);
  const limit = pLimit(concurrency);
  const seeded: SeededTips = {
    count,
    succeeded: { count: 0, msat: 0n, feeMsat: 0n },
    failed: { count: 0, msat: 0n },
    recipients,
    elapsedMs: 0,
  };
  // A receipt as large as a real one (hops, hashes, signature); not verifiable, never read here.
  const receiptPadding = randomBytes(320).toString('hex');
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      limit(async () => {
        // Consecutive tips go to different recipients: concurrent transactions on one payouts
        // item would only conflict and retry.
        const recipient = recipients[index % recipients.length] ?? '';
        const amountMsat = BigInt((1 + ((index * 7919) % 50)) * 100) * 1000n;
        const createdAt = new Date(
          started - Math.floor(((index + 0.5) / count) * spreadHours * 3_600_000),
        );
        const finishedAt = new Date(createdAt.getTime() + 800 + (index % 5) * 300).toISOString();
        const tipId = `${platformId}:seed-${String(index).padStart(6, '0')}`;
        const { record } = await clients.ledger.createTip(
          {
            tipId,
            fingerprint: createHash('sha256').update(tipId).digest('hex'),
            platformId,
            recipient,
            amountMsat,
            records: [{ type: 34349334n, value: new TextEncoder().encode(`seeded tip ${index}`) }],
            paymentHash: randomBytes(32).toString('hex'),
            keyVersion: 1,
          },
          new Date(),
        );
        const sending = await clients.ledger.markSending(
          tipId,
          'RECEIVED',
          record.attempt,
          new Date(),
          new Date(),
        );
        if (index % failedEvery === failedEvery - 1) {
          await clients.ledger.markFailed(
            sending,
            {
              code: 'NO_ROUTE',
              reason: `no route to ${recipient.slice(0, 16)}… for ${amountMsat / 1000n} sats (seeded)`,
            },
            new Date(),
          );
          seeded.failed.count += 1;
          seeded.failed.msat += amountMsat;
        } else {
          const feeMsat = BigInt(index % 11) * 1000n;
          await clients.ledger.markSucceeded(
            sending,
            {
              receipt: JSON.stringify({
                receipt: { tipId, seeded: true, padding: receiptPadding },
              }),
              feeMsat,
              settledAt: finishedAt,
            },
            new Date(),
          );
          seeded.succeeded.count += 1;
          seeded.succeeded.msat += amountMsat;
          seeded.succeeded.feeMsat += feeMsat;
        }
        await doc.send(
          new UpdateCommand({
            TableName: TEST_TABLES.tips,
            Key: { tipId },
            UpdateExpression:
              'SET createdAt = :created, sendingSince = :created, updatedAt = :finished',
            ConditionExpression: 'attribute_exists(tipId)',
            ExpressionAttributeValues: {
              ':created': createdAt.toISOString(),
              ':finished': finishedAt,
            },
          }),
        );
      }),
    ),
  );
  seeded.elapsedMs = Date.now() - started;
  return seeded;
};
