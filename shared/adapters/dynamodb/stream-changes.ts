import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LedgerChange } from '../../ports/webhooks.js';
import { batchSummaryFromItem } from './platform-activity.js';
import { tipFromItem } from './tip-ledger.js';

/** A stream record as Lambda (or the local poller) hands it over. */
export interface StreamRecordLike {
  dynamodb?: {
    Keys?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    ApproximateCreationDateTime?: number | Date;
  };
}

const image = (raw: Record<string, unknown> | undefined) =>
  raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;

/** Tips table items that are tips (not the rejected-message records kept beside them). */
const isTip = (item: Record<string, unknown> | undefined) =>
  item !== undefined &&
  ['RECEIVED', 'SENDING', 'SUCCEEDED', 'FAILED'].includes(item.state as string);

/**
 * When a change happened: the `updatedAt` the ledger wrote with it (milliseconds, the clock that
 * also stamps an endpoint's `createdAt`), else the record's ApproximateCreationDateTime. That one
 * is coarse: rounded down to the second in AWS and to the minute by DynamoDB Local, so a batch
 * completed 40 s after an endpoint's registration would seem to predate it (and go untold).
 */
const changedAt = (record: StreamRecordLike, after: Record<string, unknown> | undefined) => {
  if (typeof after?.updatedAt === 'string') return after.updatedAt;
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return new Date(
    created instanceof Date ? created : typeof created === 'number' ? created * 1000 : Date.now(),
  ).toISOString();
};

/**
 * The ledger changes in a batch of stream records of the tips and batches tables, told apart by
 * their key (`tipId`, `batchId`). Items that are neither a tip nor a batch are skipped.
 */
export const ledgerChanges = (records: StreamRecordLike[]): LedgerChange[] =>
  records.flatMap((record): LedgerChange[] => {
    const keys = record.dynamodb?.Keys ?? {};
    const before = image(record.dynamodb?.OldImage);
    const after = image(record.dynamodb?.NewImage);
    const at = changedAt(record, after);
    if ('tipId' in keys) {
      return [
        {
          table: 'tips',
          before: isTip(before) && before ? tipFromItem(before) : undefined,
          after: isTip(after) && after ? tipFromItem(after) : undefined,
          at,
        },
      ];
    }
    if ('batchId' in keys) {
      return [
        {
          table: 'batches',
          before: before ? batchSummaryFromItem(before) : undefined,
          after: after ? batchSummaryFromItem(after) : undefined,
          at,
        },
      ];
    }
    return [];
  });
