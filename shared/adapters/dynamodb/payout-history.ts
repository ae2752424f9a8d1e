import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PayoutHistory, PayoutHistoryEntry } from '../../ports/activity.js';
import { decodeCursor, documentClient, encodeCursor } from './common.js';

import { PLATFORM_RECIPIENT_INDEX, platformRecipientKey, type TableNames } from './tables.js';

/** The key attributes of the platform+recipient index: what a history cursor holds. */
const CURSOR_KEYS = ['platformRecipient', 'settledAt', 'tipId'] as const;

/**
 * One platform's settled payouts to a recipient (newest first, paginated) and that platform's
 * all-time totals for the recipient. Other platforms' payouts are in other partitions of the
 * index, so they never show, fill or empty a page.
 */
export const createDynamoPayoutHistory = (
  client: DynamoDBClient,
  tables: TableNames,
): PayoutHistory => {
  const doc = documentClient(client);
  return {
    /**
     * A page of at most `limit` payouts, and a cursor only when more exist (one more item is
     * read to know): a page is never empty while payouts remain.
     */
    async list(platformId: string, recipient: string, page: { limit: number; cursor?: string }) {
      const partition = platformRecipientKey(platformId, recipient);
      let start = decodeCursor(page.cursor, {
        keys: CURSOR_KEYS,
        fixed: { platformRecipient: partition },
        what: 'this platform and recipient',
      });
      const items: Record<string, unknown>[] = [];
      // One query returns at most 1 MB: keep reading until the page and one more are in hand.
      do {
        const { Items = [], LastEvaluatedKey } = await doc.send(
          new QueryCommand({
            TableName: tables.tips,
            IndexName: PLATFORM_RECIPIENT_INDEX,
            KeyConditionExpression: 'platformRecipient = :partition',
            ExpressionAttributeValues: { ':partition': partition },
            ScanIndexForward: false,
            Limit: page.limit + 1 - items.length,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...Items);
        start = LastEvaluatedKey;
      } while (start && items.length <= page.limit);
      const shown = items.slice(0, page.limit);
      const last = shown.at(-1);
      return {
        payouts: shown.map(
          (item): PayoutHistoryEntry => ({
            tipId: item.tipId as string,
            platformId: item.platformId as string,
            amountMsat: item.amountMsat as string,
            feeMsat: item.feeMsat as string | undefined,
            settledAt: item.settledAt as string,
            paymentHash: item.paymentHash as string,
            ...(item.batchId ? { batchId: item.batchId as string } : {}),
          }),
        ),
        cursor:
          items.length > page.limit && last
            ? encodeCursor(Object.fromEntries(CURSOR_KEYS.map((key) => [key, last[key]])))
            : undefined,
      };
    },

    /** The platform's all-time totals for the recipient. */
    async totals(platformId: string, recipient: string) {
      const { Item } = await doc.send(
        new GetCommand({
          TableName: tables.payouts,
          Key: { recipient: platformRecipientKey(platformId, recipient) },
          ConsistentRead: true,
        }),
      );
      return {
        paidMsat: String(Item?.paidMsat ?? 0),
        feeMsat: String(Item?.feeMsat ?? 0),
        tipCount: Number(Item?.tipCount ?? 0),
        lastPaidAt: Item?.lastPaidAt as string | undefined,
      };
    },
  };
};
