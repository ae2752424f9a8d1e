import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, untilProcessed } from '../../shared/adapters/dynamodb/common.js';
import { platformRecipientKey, type TableNames } from '../../shared/adapters/dynamodb/tables.js';
import {
  hourlyActivityUpdate,
  recipientTotalsUpdate,
  tipItem,
} from '../../shared/adapters/dynamodb/tip-ledger.js';
import { inChunks } from '../../shared/adapters/in-chunks.js';
import type { SummaryTip } from '../../shared/domain/platform-summary.js';
import { secp } from '../../shared/domain/secp.js';
import { firstRecord, type TipRecord } from '../../shared/ports/tip-ledger.js';
import { hourlyActivityOf } from './hourly-activity.js';

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

/** BatchWriteItem's limit of items per request. */
const BATCH_WRITE_ITEMS = 25;

/**
 * Writes `count` ended tips of `platformId` straight into the tables, as the payer leaves them
 * (SUCCEEDED with a receipt-sized receipt, or FAILED with a reason), spread over the last
 * `spreadHours`, with what ending them adds up: the recipients' totals and the platform's hourly
 * counters. Tips go out in BatchWriteItem requests of 25, `concurrency` at once, unprocessed
 * items sent again; the totals as one update per recipient and hour. Made-up recipients: no real
 * creator's totals change and no payment is made. (10,000 tips took minutes written one at a
 * time through the ledger; this takes seconds.)
 */
export const seedPlatformTips = async (
  dynamodb: DynamoDBClient,
  tables: TableNames,
  platformId: string,
  {
    count,
    recipientCount = 200,
    failedEvery = 13,
    spreadHours = 23,
    concurrency = 8,
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
  const doc = documentClient(dynamodb);
  const seeded: SeededTips = {
    count,
    succeeded: { count: 0, msat: 0n, feeMsat: 0n },
    failed: { count: 0, msat: 0n },
    recipients,
    elapsedMs: 0,
  };
  const paidTo = new Map<string, { count: number; msat: bigint; feeMsat: bigint; at: string }>();
  const ended: SummaryTip[] = [];
  // A receipt as large as a real one (hops, hashes, signature); not verifiable, never read here.
  const receiptPadding = randomBytes(320).toString('hex');
  const items = Array.from({ length: count }, (_, index) => {
    const recipient = recipients[index % recipients.length] ?? '';
    const amountMsat = BigInt((1 + ((index * 7919) % 50)) * 100) * 1000n;
    const createdAt = new Date(
      started - Math.floor(((index + 0.5) / count) * spreadHours * 3_600_000),
    );
    const finishedAt = new Date(createdAt.getTime() + 800 + (index % 5) * 300).toISOString();
    const tipId = `${platformId}:seed-${String(index).padStart(6, '0')}`;
    const created = firstRecord(
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
      createdAt,
    );
    const finished: TipRecord = { ...created, attempt: 1, updatedAt: finishedAt };
    if (index % failedEvery === failedEvery - 1) {
      seeded.failed.count += 1;
      seeded.failed.msat += amountMsat;
      const failed: TipRecord = {
        ...finished,
        state: 'FAILED',
        failureCode: 'NO_ROUTE',
        failureReason: `no route to ${recipient.slice(0, 16)}… for ${amountMsat / 1000n} sats (seeded)`,
      };
      ended.push(failed);
      return tipItem(failed);
    }
    const feeMsat = BigInt(index % 11) * 1000n;
    seeded.succeeded.count += 1;
    seeded.succeeded.msat += amountMsat;
    seeded.succeeded.feeMsat += feeMsat;
    for (const key of [recipient, platformRecipientKey(platformId, recipient)]) {
      const paid = paidTo.get(key) ?? { count: 0, msat: 0n, feeMsat: 0n, at: finishedAt };
      paid.count += 1;
      paid.msat += amountMsat;
      paid.feeMsat += feeMsat;
      if (finishedAt > paid.at) paid.at = finishedAt;
      paidTo.set(key, paid);
    }
    const paid: TipRecord = {
      ...finished,
      state: 'SUCCEEDED',
      feeMsat,
      settledAt: finishedAt,
      receipt: JSON.stringify({ receipt: { tipId, seeded: true, padding: receiptPadding } }),
    };
    ended.push(paid);
    return { ...tipItem(paid), platformRecipient: platformRecipientKey(platformId, recipient) };
  });

  await inChunks(
    items,
    BATCH_WRITE_ITEMS,
    (chunk) =>
      untilProcessed(
        chunk.map((Item) => ({ PutRequest: { Item } })),
        async (requests) => {
          const { UnprocessedItems } = await doc.send(
            new BatchWriteCommand({ RequestItems: { [tables.tips]: requests } }),
          );
          return (UnprocessedItems?.[tables.tips] ?? []) as typeof requests;
        },
        'seeding tips',
      ),
    concurrency,
  );
  const updates = [
    ...[...paidTo].map(([key, paid]) => recipientTotalsUpdate(tables, key, paid)),
    ...hourlyActivityOf(ended).map((counter) => hourlyActivityUpdate(tables, platformId, counter)),
  ];
  await inChunks(
    updates,
    1,
    ([update]) => doc.send(new UpdateCommand(update as never)).then(() => {}),
    concurrency,
  );
  seeded.elapsedMs = Date.now() - started;
  return seeded;
};
