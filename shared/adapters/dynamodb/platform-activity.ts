import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HourlyActivity, SummaryTip } from '../../domain/platform-summary.js';
import type { BatchSummary, PlatformTipEntry } from '../../ports/activity.js';
import { inChunks } from '../in-chunks.js';
import { decodeCursor, documentClient, encodeCursor, untilProcessed } from './common.js';
import {
  hourlyActivityKey,
  PLATFORM_BATCHES_INDEX,
  PLATFORM_TIPS_INDEX,
  type TableNames,
} from './tables.js';

/** The summary's attributes: everything it aggregates, nothing more (`state` is reserved). */
const SUMMARY_PROJECTION =
  'tipId, #state, recipient, amountMsat, feeMsat, createdAt, updatedAt, settledAt, failureCode, failureReason, batchId';

const toSummaryTip = (item: Record<string, unknown>): SummaryTip => ({
  tipId: item.tipId as string,
  state: item.state as SummaryTip['state'],
  recipient: item.recipient as string,
  amountMsat: BigInt(item.amountMsat as string),
  feeMsat: item.feeMsat === undefined ? undefined : BigInt(item.feeMsat as string),
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string | undefined,
  settledAt: item.settledAt as string | undefined,
  failureCode: item.failureCode as string | undefined,
  failureReason: item.failureReason as string | undefined,
  batchId: item.batchId as string | undefined,
});

/**
 * A platform's tips and batches for its dashboard, read from the platform indexes of the tips and
 * batches tables. Only tips the payer has recorded are there (a tip still `ACCEPTED` is not).
 */
/** A batches-table item as the summary the API reports (counters absent until the first row ends). */
export const batchSummaryFromItem = (item: Record<string, unknown>): BatchSummary => ({
  batchId: item.batchId as string,
  platformId: item.platformId as string,
  kind: item.kind as BatchSummary['kind'],
  rowCount: Number(item.rowCount ?? 0),
  totalMsat: BigInt((item.totalMsat as string | undefined) ?? 0),
  feeLimitMsat: BigInt((item.feeLimitMsat as string | undefined) ?? 0),
  acceptedAt: item.acceptedAt as string,
  succeededCount: Number(item.succeededCount ?? 0),
  failedCount: Number(item.failedCount ?? 0),
  succeededMsat: BigInt(Number(item.succeededMsat ?? 0)),
  failedMsat: BigInt(Number(item.failedMsat ?? 0)),
  feeMsat: BigInt(Number(item.feeMsat ?? 0)),
  rowsWritten: item.rowsWritten !== false,
});

export const createDynamoPlatformActivity = (client: DynamoDBClient, tables: TableNames) => {
  const doc = documentClient(client);

  return {
    /** The platform's tips, newest first, a page at a time. */
    async listTips(
      platformId: string,
      page: { limit: number; cursor?: string },
    ): Promise<{ tips: PlatformTipEntry[]; cursor?: string }> {
      // A cursor is the last key read; one naming another platform would read that platform's tips.
      const start = decodeCursor(page.cursor, {
        keys: ['createdAt', 'platformId', 'tipId'],
        fixed: { platformId },
        what: 'this platform',
      });
      const { Items = [], LastEvaluatedKey } = await doc.send(
        new QueryCommand({
          TableName: tables.tips,
          IndexName: PLATFORM_TIPS_INDEX,
          KeyConditionExpression: 'platformId = :platform',
          ExpressionAttributeValues: { ':platform': platformId },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: start,
        }),
      );
      return {
        tips: Items.map((item) => ({
          tipId: item.tipId,
          state: item.state,
          recipient: item.recipient,
          amountMsat: item.amountMsat,
          feeMsat: item.feeMsat,
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
          settledAt: item.settledAt,
          failureCode: item.failureCode,
          failureReason: item.failureReason,
          batchId: item.batchId,
          attempt: Number(item.attempt ?? 0),
        })),
        cursor: encodeCursor(LastEvaluatedKey),
      };
    },

    /** The platform's hourly counters (written by the payer with each tip's outcome). */
    async hourlyActivity(platformId: string, hours: readonly string[]): Promise<HourlyActivity[]> {
      const found: HourlyActivity[] = [];
      const hourOfKey = new Map(hours.map((hour) => [hourlyActivityKey(platformId, hour), hour]));
      // BatchGetItem takes 100 keys: a 30-day window is 8 requests, sent at once.
      await inChunks([...hourOfKey.keys()], 100, (chunk) =>
        untilProcessed(
          chunk.map((recipient): Record<string, unknown> => ({ recipient })),
          async (keys) => {
            const { Responses, UnprocessedKeys } = await doc.send(
              new BatchGetCommand({ RequestItems: { [tables.payouts]: { Keys: keys } } }),
            );
            for (const item of Responses?.[tables.payouts] ?? []) {
              found.push({
                hour: hourOfKey.get(String(item.recipient)) ?? '',
                succeededCount: Number(item.succeededCount ?? 0),
                succeededMsat: BigInt(item.succeededMsat ?? 0),
                feeMsat: BigInt(item.feeMsat ?? 0),
                failedCount: Number(item.failedCount ?? 0),
                failedMsat: BigInt(item.failedMsat ?? 0),
              });
            }
            return (UnprocessedKeys?.[tables.payouts]?.Keys ?? []) as typeof keys;
          },
          'a batch read of hourly activity',
        ),
      );
      return found;
    },

    /** The tips created since `from`, newest first: one query of at most `limit` items. */
    async recentTips(
      platformId: string,
      from: Date,
      limit: number,
    ): Promise<{ tips: SummaryTip[]; more: boolean }> {
      const { Items = [], LastEvaluatedKey } = await doc.send(
        new QueryCommand({
          TableName: tables.tips,
          IndexName: PLATFORM_TIPS_INDEX,
          KeyConditionExpression: 'platformId = :platform AND createdAt >= :from',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':platform': platformId, ':from': from.toISOString() },
          ProjectionExpression: SUMMARY_PROJECTION,
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return { tips: Items.map(toSummaryTip), more: LastEvaluatedKey !== undefined };
    },

    /** The platform's batches accepted since `from`, newest first, with their progress. */
    async batchesSince(platformId: string, from: Date, limit = 100): Promise<BatchSummary[]> {
      const { Items: keys = [] } = await doc.send(
        new QueryCommand({
          TableName: tables.batches,
          IndexName: PLATFORM_BATCHES_INDEX,
          KeyConditionExpression: 'platformId = :platform AND acceptedAt >= :from',
          ExpressionAttributeValues: { ':platform': platformId, ':from': from.toISOString() },
          ScanIndexForward: false,
          Limit: Math.min(100, limit),
        }),
      );
      if (keys.length === 0) return [];
      const items: Record<string, unknown>[] = [];
      let pending: Array<Record<string, unknown>> = keys.map((key) => ({ batchId: key.batchId }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 10) throw new Error('DynamoDB kept throttling the batch reads; retry');
        const { Responses, UnprocessedKeys } = await doc.send(
          new BatchGetCommand({
            RequestItems: {
              [tables.batches]: {
                Keys: pending,
                ProjectionExpression:
                  'batchId, platformId, kind, rowCount, totalMsat, feeLimitMsat, acceptedAt, succeededCount, failedCount, succeededMsat, failedMsat, feeMsat, rowsWritten',
              },
            },
          }),
        );
        items.push(...(Responses?.[tables.batches] ?? []));
        pending = (UnprocessedKeys?.[tables.batches]?.Keys ?? []) as typeof pending;
        if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
      return items
        .map(batchSummaryFromItem)
        .sort((a, b) => (a.acceptedAt === b.acceptedAt ? 0 : a.acceptedAt > b.acceptedAt ? -1 : 1));
    },
  };
};
