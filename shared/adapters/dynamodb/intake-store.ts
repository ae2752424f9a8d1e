import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AcceptedBatch,
  type AcceptedRequest,
  type AcceptResult,
  type BudgetReservation,
  type IntakeStore,
  PlatformExistsError,
  type PlatformRecord,
  type PlatformStore,
} from '../../ports/intake.js';
import { inChunks } from '../in-chunks.js';
import { documentClient, transactWithRetry } from './common.js';
import { BATCH_INDEX, type TableNames } from './tables.js';

/** Platforms and their secrets in DynamoDB; replayed signatures remembered in the budgets table. */
export const createDynamoPlatformStore = (
  client: DynamoDBClient,
  tables: TableNames,
): PlatformStore => {
  const doc = documentClient(client);
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

    async updateSecrets(platformId, change) {
      // Read-modify-write guarded by the current secret list, so two rotations cannot interleave.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await this.getPlatform(platformId);
        if (!current) throw new Error(`no platform ${platformId}`);
        try {
          const { Attributes } = await doc.send(
            new UpdateCommand({
              TableName: tables.platforms,
              Key: { platformId },
              UpdateExpression: 'SET secrets = :secrets',
              ConditionExpression: 'secrets = :previous',
              ExpressionAttributeValues: {
                ':secrets': change(current.secrets),
                ':previous': current.secrets,
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return Attributes as PlatformRecord;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new Error(`platform ${platformId} kept changing; try again`);
    },

    async listPlatforms() {
      const { Items = [] } = await doc.send(new ScanCommand({ TableName: tables.platforms }));
      return Items as PlatformRecord[];
    },

    async rememberSignature(platformId, macHex, idempotencyKey, expiresAt) {
      // Keyed on the verified MAC: every spelling of one signature is one record.
      const budgetKey = `signature-v2#${platformId}#${macHex}`;
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

interface RequestItem extends Omit<AcceptedRequest, 'amountMsat' | 'feeLimitMsat'> {
  amountMsat: string;
  feeLimitMsat?: string;
}

const fromRequestItem = (item: RequestItem): AcceptedRequest => ({
  ...item,
  amountMsat: BigInt(item.amountMsat),
  feeLimitMsat: BigInt(item.feeLimitMsat ?? 0),
});

const toRequestItem = (request: AcceptedRequest): RequestItem => ({
  ...request,
  amountMsat: request.amountMsat.toString(),
  feeLimitMsat: request.feeLimitMsat.toString(),
});

type ReserveResult =
  | { status: 'accepted' }
  | { status: 'exists' }
  | { status: 'over-budget'; reservation: BudgetReservation; usedMsat: bigint };

/** Accepted requests and batches (idempotency) and budget counters, written in one transaction. */
export const createDynamoIntakeStore = (
  client: DynamoDBClient,
  tables: TableNames,
): IntakeStore => {
  const doc = documentClient(client);

  const getRequest = async (tipId: string): Promise<AcceptedRequest | undefined> => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tables.requests, Key: { tipId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return fromRequestItem(Item as RequestItem);
  };

  /**
   * Puts `item` (unless its key exists) and reserves `amountMsat` on every budget counter, each
   * conditional on staying within its limit: never overspent. Concurrent requests on a counter
   * cancel each other ("TransactionConflict"): those are retried with jitter.
   */
  const reserve = async (
    put: { table: string; key: string; item: Record<string, unknown> },
    amountMsat: bigint,
    budgets: BudgetReservation[],
  ): Promise<ReserveResult> => {
    for (const reservation of budgets) {
      if (amountMsat > reservation.limitMsat)
        return { status: 'over-budget', reservation, usedMsat: 0n };
    }
    try {
      // Concurrent requests on one counter cancel each other: transactWithRetry retries those.
      await transactWithRetry(doc, [
        {
          Put: {
            TableName: put.table,
            Item: put.item,
            ConditionExpression: `attribute_not_exists(${put.key})`,
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
              ':amount': Number(amountMsat),
              ':room': Number(reservation.limitMsat - amountMsat),
              ':resets': reservation.resetsAt.toISOString(),
            },
          },
        })),
      ]);
      return { status: 'accepted' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return { status: 'exists' };
      const index = reasons.findIndex(
        (reason, i) => i > 0 && reason.Code === 'ConditionalCheckFailed',
      );
      const reservation = budgets[index - 1];
      if (!reservation) throw error;
      const { Item } = await doc.send(
        new GetCommand({ TableName: tables.budgets, Key: { budgetKey: reservation.key } }),
      );
      return { status: 'over-budget', reservation, usedMsat: BigInt(Item?.reservedMsat ?? 0) };
    }
  };

  const getBatch = async (batchId: string) => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tables.batches, Key: { batchId }, ConsistentRead: true }),
    );
    if (!Item?.fingerprint) return undefined;
    return {
      ...(Item as unknown as AcceptedBatch),
      totalMsat: BigInt(Item.totalMsat),
      feeLimitMsat: BigInt(Item.feeLimitMsat ?? 0),
      succeededCount: Number(Item.succeededCount ?? 0),
      failedCount: Number(Item.failedCount ?? 0),
      succeededMsat: BigInt(Item.succeededMsat ?? 0),
      failedMsat: BigInt(Item.failedMsat ?? 0),
      feeMsat: BigInt(Item.feeMsat ?? 0),
      // Batches from before the marker existed were written whole by one request.
      rowsWritten: Item.rowsWritten !== false,
    };
  };

  /**
   * Puts each row unless its tip id exists, up to 100 in one transaction (100 per call, as many
   * calls as `inChunks` runs at once): a row already there (written by an earlier, interrupted
   * request, and perhaps released by the payer since) cancels its transaction and is dropped from
   * the retry, so it is never overwritten.
   */
  const putRowsIfAbsent = (rows: AcceptedRequest[]) =>
    inChunks(rows, 100, async (chunk) => {
      let pending = chunk;
      while (pending.length > 0) {
        try {
          await transactWithRetry(
            doc,
            pending.map((row) => ({
              Put: {
                TableName: tables.requests,
                Item: { ...toRequestItem(row), released: false },
                ConditionExpression: 'attribute_not_exists(tipId)',
              },
            })),
          );
          return;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const reasons = error.CancellationReasons ?? [];
          const absent = pending.filter((_, i) => reasons[i]?.Code !== 'ConditionalCheckFailed');
          if (absent.length === pending.length) throw error;
          pending = absent;
        }
      }
    });

  return {
    getRequest,
    getBatch,

    async accept(request, budgets): Promise<AcceptResult> {
      const result = await reserve(
        {
          table: tables.requests,
          key: 'tipId',
          item: { ...toRequestItem(request), released: false },
        },
        request.amountMsat + request.feeLimitMsat,
        budgets,
      );
      if (result.status !== 'exists') return result;
      const existing = await getRequest(request.tipId);
      if (!existing) throw new Error(`request ${request.tipId} vanished`);
      return { status: 'duplicate', existing };
    },

    async acceptBatch(batch, budgets) {
      const result = await reserve(
        {
          table: tables.batches,
          key: 'batchId',
          item: {
            ...batch,
            totalMsat: batch.totalMsat.toString(),
            feeLimitMsat: batch.feeLimitMsat.toString(),
            rowsWritten: false,
          },
        },
        batch.totalMsat + batch.feeLimitMsat,
        budgets,
      );
      if (result.status === 'exists') {
        const existing = await getBatch(batch.batchId);
        if (!existing) throw new Error(`batch ${batch.batchId} vanished`);
        return { status: 'duplicate', existing };
      }
      return result;
    },

    async getBudgetUsed(key) {
      const { Item } = await doc.send(
        new GetCommand({
          TableName: tables.budgets,
          Key: { budgetKey: key },
          ConsistentRead: true,
        }),
      );
      return BigInt(Number(Item?.reservedMsat ?? 0));
    },

    async recordBatchRows(batchId, rows) {
      await putRowsIfAbsent(rows);
      await doc.send(
        new UpdateCommand({
          TableName: tables.batches,
          Key: { batchId },
          UpdateExpression: 'SET rowsWritten = :yes',
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
    },

    async listBatchRequests(batchId) {
      const rows: AcceptedRequest[] = [];
      let cursor: Record<string, unknown> | undefined;
      do {
        const { Items = [], LastEvaluatedKey } = await doc.send(
          new QueryCommand({
            TableName: tables.requests,
            IndexName: BATCH_INDEX,
            KeyConditionExpression: 'batchId = :batch',
            ExpressionAttributeValues: { ':batch': batchId },
            ExclusiveStartKey: cursor,
          }),
        );
        for (const item of Items as RequestItem[]) rows.push(fromRequestItem(item));
        cursor = LastEvaluatedKey;
      } while (cursor);
      return rows;
    },
  };
};
