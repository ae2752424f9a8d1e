import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TlvRecord } from '../../domain/keysend-records.js';
import { LedgerConflictError } from '../../ports/errors.js';
import {
  firstRecord,
  type NewTip,
  type RecipientTotals,
  type Rejection,
  type TipLedger,
  type TipRecord,
} from '../../ports/tip-ledger.js';
import { inChunks } from '../in-chunks.js';
import {
  decodeCursor,
  documentClient,
  encodeCursor,
  isConditionFailure,
  transactWithRetry,
  untilProcessed,
} from './common.js';
import { IN_FLIGHT_INDEX, platformRecipientKey, type TableNames } from './tables.js';

/** Stored shape: msat as decimal strings (exact), records as type/hex pairs. */
interface TipItem extends Omit<TipRecord, 'amountMsat' | 'records' | 'feeMsat'> {
  amountMsat: string;
  records: Array<{ type: string; value: string }>;
  feeMsat?: string;
  inFlight?: string;
  /** Index key of a settled tip (`platformRecipientKey`). */
  platformRecipient?: string;
}

const toItem = (record: TipRecord): TipItem => ({
  ...record,
  amountMsat: record.amountMsat.toString(),
  records: record.records.map(encodeRecord),
  feeMsat: record.feeMsat?.toString(),
});

const encodeRecord = (record: TlvRecord) => ({
  type: record.type.toString(),
  value: Buffer.from(record.value).toString('hex'),
});

export const tipFromItem = (item: Record<string, unknown>): TipRecord => {
  const { inFlight: _inFlight, platformRecipient: _index, ...rest } = item as unknown as TipItem;
  return {
    ...rest,
    amountMsat: BigInt(rest.amountMsat),
    records: rest.records.map((record) => ({
      type: BigInt(record.type),
      value: new Uint8Array(Buffer.from(record.value, 'hex')),
    })),
    feeMsat: rest.feeMsat === undefined ? undefined : BigInt(rest.feeMsat),
  };
};

/** The payouts ledger on DynamoDB: tips, recipient totals and batch progress. */
export const createDynamoTipLedger = (client: DynamoDBClient, tables: TableNames): TipLedger => {
  const doc = documentClient(client);

  const getTip = async (tipId: string) => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tables.tips, Key: { tipId }, ConsistentRead: true }),
    );
    return Item ? tipFromItem(Item) : undefined;
  };

  // BatchGetItem takes 100 keys: a 10,000-row payout is 100 calls.
  const getTips = async (tipIds: readonly string[]) => {
    const found = new Map<string, TipRecord>();
    await inChunks([...new Set(tipIds)], 100, (chunk) =>
      untilProcessed(
        chunk.map((tipId): Record<string, unknown> => ({ tipId })),
        async (keys) => {
          const { Responses, UnprocessedKeys } = await doc.send(
            new BatchGetCommand({
              RequestItems: { [tables.tips]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of Responses?.[tables.tips] ?? []) {
            const tip = tipFromItem(item);
            found.set(tip.tipId, tip);
          }
          return (UnprocessedKeys?.[tables.tips]?.Keys ?? []) as typeof keys;
        },
        'a batch read of tips',
      ),
    );
    return found;
  };

  const conflict = (tipId: string, wanted: string, error: unknown) =>
    new LedgerConflictError(`tip ${tipId} changed under us (wanted ${wanted})`, { cause: error });

  type TransactItem = NonNullable<
    ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
  >[number];

  /**
   * SENDING → `state`, guarded by state and attempt: the guard that makes the totals and batch
   * progress written in the same transaction apply exactly once.
   */
  const leaveSending = (
    tip: TipRecord,
    state: 'SUCCEEDED' | 'FAILED',
    at: string,
    fields: Record<string, string>,
  ): TransactItem => {
    const names = Object.keys(fields);
    return {
      Update: {
        TableName: tables.tips,
        Key: { tipId: tip.tipId },
        UpdateExpression: `SET #state = :to, updatedAt = :at, ${names.map((name) => `${name} = :${name}`).join(', ')} REMOVE inFlight`,
        ConditionExpression: '#state = :sending AND attempt = :attempt',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':to': state,
          ':sending': 'SENDING',
          ':attempt': tip.attempt,
          ':at': at,
          ...Object.fromEntries(names.map((name) => [`:${name}`, fields[name]])),
        },
      },
    };
  };

  const batchProgress = (
    batchId: string,
    at: string,
    countField: string,
    amountField: string,
    amountMsat: bigint,
    feeMsat: bigint,
  ): TransactItem => ({
    Update: {
      TableName: tables.batches,
      Key: { batchId },
      UpdateExpression: `ADD ${countField} :one, ${amountField} :amount, feeMsat :fee SET updatedAt = :at`,
      ExpressionAttributeValues: {
        ':one': 1,
        ':amount': Number(amountMsat),
        ':fee': Number(feeMsat),
        ':at': at,
      },
    },
  });

  const transact = async (tipId: string, wanted: string, items: TransactItem[]) => {
    try {
      // Tips of one batch share its progress item: concurrent transactions are retried here
      // rather than after SQS's visibility timeout.
      await transactWithRetry(doc, items);
    } catch (error) {
      if (isConditionFailure(error)) throw conflict(tipId, wanted, error);
      throw error;
    }
  };

  /**
   * The budget a tip that came through the API reserved (its amount and routing-fee limit), if
   * not yet settled: items that settle it in the transaction that ends the tip, so exactly once.
   * `keptMsat` stays spent (the amount and actual fee of a paid tip, nothing of a failed one).
   */
  const settleBudget = async (tip: TipRecord, keptMsat: bigint): Promise<TransactItem[]> => {
    const { Item: accepted } = await doc.send(
      new GetCommand({
        TableName: tables.requests,
        Key: { tipId: tip.tipId },
        ConsistentRead: true,
      }),
    );
    if (accepted?.released !== false) return [];
    const reservedMsat = BigInt(accepted.amountMsat) + BigInt(accepted.feeLimitMsat ?? 0);
    const release = reservedMsat - keptMsat;
    return [
      {
        Update: {
          TableName: tables.requests,
          Key: { tipId: tip.tipId },
          UpdateExpression: 'SET released = :yes',
          ConditionExpression: 'released = :no',
          ExpressionAttributeValues: { ':yes': true, ':no': false },
        },
      },
      ...(release === 0n
        ? []
        : ((accepted.budgetKeys ?? []) as string[]).map(
            (budgetKey): TransactItem => ({
              Update: {
                TableName: tables.budgets,
                Key: { budgetKey },
                UpdateExpression: 'ADD reservedMsat :release',
                ExpressionAttributeValues: { ':release': -Number(release) },
              },
            }),
          )),
    ];
  };

  /** What a tip's failure changes besides the tip: its batch's failure count, its budget released. */
  const failureEffects = async (tip: TipRecord, at: string): Promise<TransactItem[]> => [
    ...(tip.batchId
      ? [batchProgress(tip.batchId, at, 'failedCount', 'failedMsat', tip.amountMsat, 0n)]
      : []),
    ...(await settleBudget(tip, 0n)),
  ];

  /** A create refused because the tip exists: what is stored instead. */
  const storedInstead = async (tipId: string, wanted: string, error: unknown) => {
    if (!isConditionFailure(error)) throw error;
    const existing = await getTip(tipId);
    if (!existing) throw conflict(tipId, wanted, error);
    return existing;
  };

  return {
    getTip,
    getTips,

    async createTip(tip: NewTip, now: Date, leaseUntil?: Date) {
      const record = firstRecord(tip, now, { leaseUntil });
      try {
        await doc.send(
          new PutCommand({
            TableName: tables.tips,
            // In the reconciler's index from the start: a tip whose message is lost before
            // it reaches SENDING (DLQ, a killed invocation) is still found and paid.
            Item: { ...toItem(record), inFlight: '1' },
            ConditionExpression: 'attribute_not_exists(tipId)',
          }),
        );
        return { created: true, record };
      } catch (error) {
        return { created: false, record: await storedInstead(tip.tipId, 'create', error) };
      }
    },

    async markSending(tipId, from, expectedAttempt, now, leaseUntil) {
      const at = now.toISOString();
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId },
            UpdateExpression:
              'SET #state = :sending, attempt = :next, sendingSince = :at, updatedAt = :at, leaseUntil = :lease, inFlight = :one',
            ConditionExpression: '#state = :from AND attempt = :attempt',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':sending': 'SENDING',
              ':from': from,
              ':attempt': expectedAttempt,
              ':next': expectedAttempt + 1,
              ':at': at,
              ':lease': leaseUntil.toISOString(),
              ':one': '1',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return tipFromItem(Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) throw conflict(tipId, `${from} → SENDING`, error);
        throw error;
      }
    },

    async releaseLease(tip) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId: tip.tipId },
            UpdateExpression: 'REMOVE leaseUntil ADD unsentAttempts :one',
            // Only while the lease is still there: a second release must not count twice.
            ConditionExpression:
              '#state = :sending AND attempt = :attempt AND attribute_exists(leaseUntil)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':sending': 'SENDING',
              ':attempt': tip.attempt,
              ':one': 1,
            },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async markSucceeded(tip, outcome, now) {
      const at = now.toISOString();
      const items: TransactItem[] = [
        leaveSending(tip, 'SUCCEEDED', at, {
          receipt: outcome.receipt,
          feeMsat: outcome.feeMsat.toString(),
          settledAt: outcome.settledAt,
          platformRecipient: platformRecipientKey(tip.platformId, tip.recipient),
        }),
        // The recipient's totals of every platform, and of this tip's platform.
        ...[tip.recipient, platformRecipientKey(tip.platformId, tip.recipient)].map(
          (recipient): TransactItem => ({
            Update: {
              TableName: tables.payouts,
              Key: { recipient },
              UpdateExpression:
                'ADD paidMsat :amount, feeMsat :fee, tipCount :one SET lastPaidAt = :at',
              ExpressionAttributeValues: {
                ':amount': Number(tip.amountMsat),
                ':fee': Number(outcome.feeMsat),
                ':one': 1,
                ':at': at,
              },
            },
          }),
        ),
      ];
      if (tip.batchId) {
        items.push(
          batchProgress(
            tip.batchId,
            at,
            'succeededCount',
            'succeededMsat',
            tip.amountMsat,
            outcome.feeMsat,
          ),
        );
      }
      // The fee limit reserved with the amount is trued up to the fee actually paid.
      items.push(...(await settleBudget(tip, tip.amountMsat + outcome.feeMsat)));
      await transact(tip.tipId, 'SENDING → SUCCEEDED', items);
    },

    async markFailed(tip, failure, now) {
      const at = now.toISOString();
      await transact(tip.tipId, 'SENDING → FAILED', [
        leaveSending(tip, 'FAILED', at, {
          failureCode: failure.code,
          failureReason: failure.reason,
        }),
        ...(await failureEffects(tip, at)),
      ]);
    },

    async createRefusedTip(tip, failure, now) {
      const record = firstRecord(tip, now, { failure });
      const at = record.createdAt;
      try {
        await transactWithRetry(doc, [
          {
            Put: {
              TableName: tables.tips,
              // Never in the reconciler's index: there is nothing to finish.
              Item: toItem(record),
              ConditionExpression: 'attribute_not_exists(tipId)',
            },
          },
          ...(await failureEffects(record, at)),
        ]);
        return { created: true, record };
      } catch (error) {
        return { created: false, record: await storedInstead(tip.tipId, 'create refused', error) };
      }
    },

    async recordRejection(rejection: Rejection, now: Date) {
      // Keyed by message id: redelivery of the same bad message writes the same item.
      await doc.send(
        new PutCommand({
          TableName: tables.tips,
          Item: {
            tipId: `rejected:${rejection.messageId}`,
            state: 'REJECTED',
            reason: rejection.reason,
            field: rejection.field,
            claimedTipId: rejection.claimedTipId,
            body: rejection.body.slice(0, 4_000),
            createdAt: now.toISOString(),
          },
        }),
      );
    },

    async listStuckSending(olderThan, page) {
      const { Items = [], LastEvaluatedKey } = await doc.send(
        new QueryCommand({
          TableName: tables.tips,
          IndexName: IN_FLIGHT_INDEX,
          KeyConditionExpression: 'inFlight = :one AND sendingSince < :cutoff',
          ExpressionAttributeValues: { ':one': '1', ':cutoff': olderThan.toISOString() },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor),
        }),
      );
      return {
        tips: Items.map(tipFromItem),
        cursor: encodeCursor(LastEvaluatedKey),
      };
    },

    async getRecipientTotals(recipient: string): Promise<RecipientTotals | undefined> {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tables.payouts, Key: { recipient }, ConsistentRead: true }),
      );
      if (!Item) return undefined;
      return {
        recipient,
        paidMsat: BigInt(Item.paidMsat ?? 0),
        feeMsat: BigInt(Item.feeMsat ?? 0),
        tipCount: Number(Item.tipCount ?? 0),
      };
    },
  };
};
