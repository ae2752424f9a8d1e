import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const decodeCursor = (cursor: string): Record<string, unknown> => {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null) return value;
  } catch {}
  throw new InvalidCursorError('cursor is not one this API returned; use the `next` link as given');
};

/** A recipient's settled payouts (newest first, paginated) and all-time totals. */
export const createDynamoPayoutHistory = (client: DynamoDBClient, tables: TableNames) => {
  const doc = DynamoDBDocumentClient.from(client);
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
          ExclusiveStartKey: page.cursor ? decodeCursor(page.cursor) : undefined,
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
        cursor: LastEvaluatedKey
          ? Buffer.from(JSON.stringify(LastEvaluatedKey)).toString('base64url')
          : undefined,
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
