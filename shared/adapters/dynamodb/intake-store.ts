import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AcceptedRequest,
  type AcceptResult,
  type BudgetReservation,
  type IntakeStore,
  PlatformExistsError,
  type PlatformRecord,
  type PlatformStore,
} from '../../ports/intake.js';
import type { TableNames } from './tables.js';

const docClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Platforms and their secrets in DynamoDB; replayed signatures remembered in the budgets table. */
export const createDynamoPlatformStore = (
  client: DynamoDBClient,
  tables: TableNames,
): PlatformStore => {
  const doc = docClient(client);
  return {
    async getPlatform(platformId) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tables.platforms, Key: { platformId }, ConsistentRead: true }),
      );
      return Item as PlatformRecord | undefined;
    },

    async createPlatform(platform) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tables.platforms,
            Item: platform,
            ConditionExpression: 'attribute_not_exists(platformId)',
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new PlatformExistsError(`platform ${platform.platformId} already exists`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async addSecret(platformId, secret, keep) {
      // Read-modify-write guarded by the current secret list, so two rotations cannot interleave.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await this.getPlatform(platformId);
        if (!current) throw new Error(`no platform ${platformId}`);
        const secrets = [secret, ...current.secrets].slice(0, keep + 1);
        try {
          const { Attributes } = await doc.send(
            new UpdateCommand({
              TableName: tables.platforms,
              Key: { platformId },
              UpdateExpression: 'SET secrets = :secrets',
              ConditionExpression: 'secrets = :previous',
              ExpressionAttributeValues: { ':secrets': secrets, ':previous': current.secrets },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return Attributes as PlatformRecord;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new Error(`platform ${platformId} kept changing; try the rotation again`);
    },

    async listPlatforms() {
      const { Items = [] } = await doc.send(new ScanCommand({ TableName: tables.platforms }));
      return Items as PlatformRecord[];
    },

    async rememberSignature(platformId, signature, idempotencyKey, expiresAt) {
      const budgetKey = `signature#${platformId}#${signature}`;
      try {
        await doc.send(
          new PutCommand({
            TableName: tables.budgets,
            Item: {
              budgetKey,
              idempotencyKey,
              // DynamoDB TTL (seconds) removes it once the timestamp could no longer pass.
              expiresAt: Math.ceil(expiresAt.getTime() / 1000),
            },
            ConditionExpression: 'attribute_not_exists(budgetKey)',
          }),
        );
        return 'fresh';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const { Item } = await doc.send(
          new GetCommand({ TableName: tables.budgets, Key: { budgetKey }, ConsistentRead: true }),
        );
        return Item?.idempotencyKey === idempotencyKey ? 'same-request' : 'replay';
      }
    },
  };
};

interface RequestItem extends Omit<AcceptedRequest, 'amountMsat'> {
  amountMsat: string;
}

/** Accepted requests (idempotency) and budget counters, written in one transaction. */
export const createDynamoIntakeStore = (
  client: DynamoDBClient,
  tables: TableNames,
): IntakeStore => {
  const doc = docClient(client);
  const getRequest = async (tipId: string): Promise<AcceptedRequest | undefined> => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tables.requests, Key: { tipId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const item = Item as RequestItem;
    return { ...item, amountMsat: BigInt(item.amountMsat) };
  };
  return {
    getRequest,
    async accept(request, budgets): Promise<AcceptResult> {
      const amount = Number(request.amountMsat);
      for (const reservation of budgets) {
        if (request.amountMsat > reservation.limitMsat) {
          return { status: 'over-budget', reservation, usedMsat: 0n };
        }
      }
      const item: RequestItem = { ...request, amountMsat: request.amountMsat.toString() };
      // Concurrent requests on one budget counter cancel each other ("TransactionConflict"):
      // retry those with jitter; a failed condition is an answer, not a conflict.
      for (let attempt = 0; ; attempt += 1) {
        const result = await tryAccept(item, budgets, amount).catch((error: unknown) => {
          if (
            attempt < 20 &&
            error instanceof TransactionCanceledException &&
            (error.CancellationReasons ?? []).some(
              (reason) => reason.Code === 'TransactionConflict',
            ) &&
            !(error.CancellationReasons ?? []).some(
              (reason) => reason.Code === 'ConditionalCheckFailed',
            )
          ) {
            return undefined;
          }
          throw error;
        });
        if (result) return result;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
      }
    },
  };

  async function tryAccept(
    item: RequestItem,
    budgets: BudgetReservation[],
    amount: number,
  ): Promise<AcceptResult> {
    const request = { tipId: item.tipId, amountMsat: BigInt(item.amountMsat) };
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tables.requests,
                Item: { ...item, released: false },
                ConditionExpression: 'attribute_not_exists(tipId)',
              },
            },
            ...budgets.map((reservation) => ({
              Update: {
                TableName: tables.budgets,
                Key: { budgetKey: reservation.key },
                UpdateExpression: 'ADD reservedMsat :amount SET resetsAt = :resets',
                // Never overspent: the reservation applies only if it stays within the limit.
                ConditionExpression: 'attribute_not_exists(reservedMsat) OR reservedMsat <= :room',
                ExpressionAttributeValues: {
                  ':amount': amount,
                  ':room': Number(reservation.limitMsat - request.amountMsat),
                  ':resets': reservation.resetsAt.toISOString(),
                },
              },
            })),
          ],
        }),
      );
      return { status: 'accepted' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        const existing = await getRequest(request.tipId);
        if (existing) return { status: 'duplicate', existing };
      }
      const index = reasons.findIndex(
        (reason, i) => i > 0 && reason.Code === 'ConditionalCheckFailed',
      );
      const reservation = budgets[index - 1];
      if (reservation) {
        const { Item } = await doc.send(
          new GetCommand({ TableName: tables.budgets, Key: { budgetKey: reservation.key } }),
        );
        return { status: 'over-budget', reservation, usedMsat: BigInt(Item?.reservedMsat ?? 0) };
      }
      throw error;
    }
  }
};
