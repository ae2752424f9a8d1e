import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, documentClient, encodeCursor } from './common.js';

export { InvalidCursorError } from './common.js';

import { RECIPIENT_INDEX, type TableNames } from './tables.js';

export interface PayoutHistoryEntry {
  tipId: string;
  platformId: string;
  amountMsat: string;
  feeMsat?: string;
  settledAt: string;
  paymentHash: string;
  batchId?: string;
}

/** A recipient's settled payouts (newest first, paginated) and all-time totals. */
export const createDynamoPayoutHistory = (client: DynamoDBClient, tables: TableNames) => {
  const doc = documentClient(client);
  return {
    async list(recipient: string, page: { limit: number; cursor?: string; platformId?: string }) {
      const { Items = [], LastEvaluatedKey } = await doc.send(
        new QueryCommand({
          TableName: tables.tips,
          IndexName: RECIPIENT_INDEX,
          KeyConditionExpression: 'recipient = :recipient',
          ...(page.platformId
            ? {
                FilterExpression: 'platformId = :platform',
                ExpressionAttributeValues: {
                  ':recipient': recipient,
                  ':platform': page.platformId,
                },
              }
            : { ExpressionAttributeValues: { ':recipient': recipient } }),
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor),
        }),
      );
      return {
        payouts: Items.map(
          (item): PayoutHistoryEntry => ({
            tipId: item.tipId,
            platformId: item.platformId,
            amountMsat: item.amountMsat,
            feeMsat: item.feeMsat,
            settledAt: item.settledAt,
            paymentHash: item.paymentHash,
            ...(item.batchId ? { batchId: item.batchId } : {}),
          }),
        ),
        cursor: encodeCursor(LastEvaluatedKey),
      };
    },
    async totals(recipient: string) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tables.payouts, Key: { recipient }, ConsistentRead: true }),
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

export type PayoutHistory = ReturnType<typeof createDynamoPayoutHistory>;
