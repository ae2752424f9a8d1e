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
import {
  type HourlyActivity,
  hourlyOutcome,
  type TipOutcome,
} from '../../domain/platform-summary.js';
import { LedgerConflictError } from '../../ports/errors.js';
import {
  firstRecord,
  type NewTip,
  type RecipientTotals,
  type Rejection,
  type ReservationHint,
  type TipLedger,
  type TipRecord,
} from '../../ports/tip-ledger.js';
import { inChunks } from '../in-chunks.js';
import {
  decodeCursor,
  documentClient,
  encodeCursor,
  isConditionFailure,
  onlyRequestCheckFailed,
  transactWithRetry,
  untilProcessed,
} from './common.js';
import { createGroupCommit, type TransactItem } from './group-commit.js';
import {
  hourlyActivityKey,
  IN_FLIGHT_INDEX,
  platformRecipientKey,
  type TableNames,
} from './tables.js';

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

/** Stored form of a tip (what `createTip` writes, without the reconciler's index flag). */
export const tipItem = (record: TipRecord): Record<string, unknown> => ({ ...toItem(record) });

type Update = NonNullable<
  NonNullable<
    ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
  >[number]['Update']
>;

/** Paid tips added to a recipient's totals (`key`: the pubkey, or `platformRecipientKey`). */
export const recipientTotalsUpdate = (
  tables: TableNames,
  key: string,
  paid: { count: number; msat: bigint; feeMsat: bigint; at: string },
): Update => ({
  TableName: tables.payouts,
  Key: { recipient: key },
  UpdateExpression: 'ADD paidMsat :amount, feeMsat :fee, tipCount :count SET lastPaidAt = :at',
  ExpressionAttributeValues: {
    ':amount': Number(paid.msat),
    ':fee': Number(paid.feeMsat),
    ':count': paid.count,
    ':at': paid.at,
  },
});

/**
 * Outcomes added to a platform's counters of one hour (the dashboard's totals, `HourlyActivity`).
 * Unconditional: the payer sends it in the transaction that ends a tip, whose condition on the
 * tip's state makes it apply exactly once.
 */
export const hourlyActivityUpdate = (
  tables: TableNames,
  platformId: string,
  added: HourlyActivity,
): Update => ({
  TableName: tables.payouts,
  Key: { recipient: hourlyActivityKey(platformId, added.hour) },
  UpdateExpression:
    'ADD succeededCount :succeeded, succeededMsat :succeededMsat, feeMsat :fee, failedCount :failed, failedMsat :failedMsat',
  ExpressionAttributeValues: {
    ':succeeded': added.succeededCount,
    ':succeededMsat': Number(added.succeededMsat),
    ':fee': Number(added.feeMsat),
    ':failed': added.failedCount,
    ':failedMsat': Number(added.failedMsat),
  },
});

/** One ended tip as an hourly counter increment (the domain's rule, with the tip's amount). */
const oneOutcome = (tip: TipRecord, outcome: TipOutcome): HourlyActivity =>
  hourlyOutcome(tip.amountMsat, outcome);

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

  /**
   * The items that settle the budget a tip's API request reserved (its amount and routing-fee
   * limit) in the transaction that ends the tip, so exactly once; `keptMsat` stays spent (the
   * amount and actual fee of a paid tip, nothing of a failed one). With the message's word
   * (`reservation`) nothing is read: the items check it against the request (the tag matches what
   * the request records and is not yet released, or no request exists) and cancel the transaction
   * if it does not hold (`endTip` then comes back without it). Without it the request is read.
   */
  const settleBudget = async (
    tip: TipRecord,
    keptMsat: bigint,
    reservation: ReservationHint | undefined,
  ): Promise<TransactItem[]> => {
    if (reservation?.kind === 'none') {
      return [
        {
          ConditionCheck: {
            TableName: tables.requests,
            Key: { tipId: tip.tipId },
            ConditionExpression: 'attribute_not_exists(tipId)',
          },
        },
      ];
    }
    if (reservation?.kind === 'reserved') {
      const { feeLimitMsat, budgetKeys } = reservation.tag;
      return releaseItems(tip.tipId, tip.amountMsat + feeLimitMsat - keptMsat, budgetKeys, {
        condition:
          'released = :no AND amountMsat = :amount AND feeLimitMsat = :feeLimit AND budgetKeys = :keys',
        values: {
          ':amount': tip.amountMsat.toString(),
          ':feeLimit': feeLimitMsat.toString(),
          ':keys': budgetKeys,
        },
      });
    }
    const { Item: accepted } = await doc.send(
      new GetCommand({
        TableName: tables.requests,
        Key: { tipId: tip.tipId },
        ConsistentRead: true,
      }),
    );
    if (accepted?.released !== false) return [];
    const reservedMsat = BigInt(accepted.amountMsat) + BigInt(accepted.feeLimitMsat ?? 0);
    return releaseItems(
      tip.tipId,
      reservedMsat - keptMsat,
      (accepted.budgetKeys ?? []) as string[],
      {
        condition: 'released = :no',
        values: {},
      },
    );
  };

  /** Marks the request released (once: `guard`) and gives `releaseMsat` back to its counters. */
  const releaseItems = (
    tipId: string,
    releaseMsat: bigint,
    budgetKeys: string[],
    guard: { condition: string; values: Record<string, unknown> },
  ): TransactItem[] => [
    {
      Update: {
        TableName: tables.requests,
        Key: { tipId },
        UpdateExpression: 'SET released = :yes',
        ConditionExpression: guard.condition,
        ExpressionAttributeValues: { ':yes': true, ':no': false, ...guard.values },
      },
    },
    ...(releaseMsat === 0n
      ? []
      : budgetKeys.map(
          (budgetKey): TransactItem => ({
            Update: {
              TableName: tables.budgets,
              Key: { budgetKey },
              UpdateExpression: 'ADD reservedMsat :release',
              ExpressionAttributeValues: { ':release': -Number(releaseMsat) },
            },
          }),
        )),
  ];

  /**
   * The transactions that end tips, committed in groups (`createGroupCommit`): while one is in
   * flight, the ends that come meanwhile go together in the next, counters on one item merged.
   * DynamoDB's cost is per request (DynamoDB Local's CPU, the SDK's per request), and on AWS the
   * paid tips of one platform no longer cancel each other's transactions on its hourly counter.
   * Each member keeps its own conditions in the group, so the group applies all or nothing; a
   * cancelled group is sent again member by member, so each tip gets exactly the answer it would
   * get alone. Tips of one batch share its progress item: concurrent transactions (other
   * processes) are retried here rather than after SQS's visibility timeout.
   */
  const commitEnd = createGroupCommit(
    (items) => transactWithRetry(doc, items),
    // A Put among a tip's end items creates the tip (createRefusedTip).
    (table, item) => (table === tables.tips ? { tipId: item.tipId } : item),
  );

  /**
   * Runs a transaction that ends a tip (`build` gives its items for the reservation word it is
   * given). A cancellation by the request's check alone means the message's word did not hold:
   * the transaction is built again from the request as read. Any other failed condition is the
   * tip's: `LedgerConflictError`.
   */
  const endTip = async (
    tipId: string,
    wanted: string,
    reservation: ReservationHint | undefined,
    build: (reservation: ReservationHint | undefined) => Promise<TransactItem[]>,
  ): Promise<void> => {
    const items = await build(reservation);
    try {
      await commitEnd(tipId, items);
    } catch (error) {
      if (reservation && onlyRequestCheckFailed(error, items, tables.requests)) {
        return endTip(tipId, wanted, undefined, build);
      }
      if (isConditionFailure(error)) throw conflict(tipId, wanted, error);
      throw error;
    }
  };

  /**
   * What a tip's failure changes besides the tip: its platform's hourly counters, its batch's
   * failure count, its budget released.
   */
  const failureEffects = async (
    tip: TipRecord,
    at: string,
    reservation: ReservationHint | undefined,
  ): Promise<TransactItem[]> => [
    {
      Update: hourlyActivityUpdate(tables, tip.platformId, oneOutcome(tip, { failed: true, at })),
    },
    ...(tip.batchId
      ? [batchProgress(tip.batchId, at, 'failedCount', 'failedMsat', tip.amountMsat, 0n)]
      : []),
    ...(await settleBudget(tip, 0n, reservation)),
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

    async markSending(tipId, from, expectedAttempt, expectedHash, now, leaseUntil) {
      const at = now.toISOString();
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId },
            UpdateExpression:
              'SET #state = :sending, attempt = :next, sendingSince = :at, updatedAt = :at, leaseUntil = :lease, inFlight = :one',
            ConditionExpression: '#state = :from AND attempt = :attempt AND paymentHash = :hash',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':sending': 'SENDING',
              ':from': from,
              ':attempt': expectedAttempt,
              ':hash': expectedHash,
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

    async replaceInvoice(tip, replacement, now) {
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId: tip.tipId },
            UpdateExpression:
              'SET invoice = :invoice, paymentHash = :hash, invoiceExpiresAt = :expires, destination = :destination, updatedAt = :at',
            ConditionExpression: '#state = :sending AND attempt = :attempt AND paymentHash = :old',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':invoice': replacement.invoice,
              ':hash': replacement.paymentHash,
              ':expires': replacement.invoiceExpiresAt,
              ':destination': replacement.destination,
              ':at': now.toISOString(),
              ':sending': 'SENDING',
              ':attempt': tip.attempt,
              ':old': tip.paymentHash,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return tipFromItem(Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) throw conflict(tip.tipId, 'a new invoice', error);
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
            // Only while the lease is still there: a second release must not count twice; nor
            // an attempt already counted as held (it is no send either way: once, not twice).
            ConditionExpression:
              '#state = :sending AND attempt = :attempt AND attribute_exists(leaseUntil) AND (attribute_not_exists(heldAttempt) OR heldAttempt < :attempt)',
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

    async markHeld(tip, at) {
      // An attempt whose lease was given up is counted in `unsentAttempts` already (its send never
      // reached LND): held, it is recorded as the held attempt but not counted a second time.
      const released = tip.leaseUntil === undefined;
      const since = `#state = :sending AND attempt = :attempt AND ${tip.heldSince === undefined ? 'attribute_not_exists(heldSince)' : 'heldSince = :since'} AND ${released ? 'attribute_not_exists(leaseUntil)' : 'attribute_exists(leaseUntil)'}`;
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId: tip.tipId },
            UpdateExpression:
              'SET heldSince = :since, heldAttempt = :attempt ADD heldAttempts :counted',
            // Each attempt counted once, however often it is held (each reconciler run); the
            // window runs from the tip's first hold: `heldSince` is written only where it is
            // absent, or rewritten with the value it has (the record read at this attempt).
            ConditionExpression: [
              `${since} AND attribute_not_exists(heldAttempt)`,
              `${since} AND heldAttempt < :attempt`,
            ].join(' OR '),
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':sending': 'SENDING',
              ':attempt': tip.attempt,
              ':since': tip.heldSince ?? at.toISOString(),
              ':counted': released ? 0 : 1,
            },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async markSucceeded(tip, outcome, now, reservation) {
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
            Update: recipientTotalsUpdate(tables, recipient, {
              count: 1,
              msat: tip.amountMsat,
              feeMsat: outcome.feeMsat,
              at,
            }),
          }),
        ),
      ];
      const paid = {
        succeeded: true as const,
        settledAt: outcome.settledAt,
        feeMsat: outcome.feeMsat,
      };
      items.push({ Update: hourlyActivityUpdate(tables, tip.platformId, oneOutcome(tip, paid)) });
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
      await endTip(tip.tipId, 'SENDING → SUCCEEDED', reservation, async (word) => [
        ...items,
        ...(await settleBudget(tip, tip.amountMsat + outcome.feeMsat, word)),
      ]);
    },

    async markFailed(tip, failure, now, reservation) {
      const at = now.toISOString();
      await endTip(tip.tipId, 'SENDING → FAILED', reservation, async (word) => [
        leaveSending(tip, 'FAILED', at, {
          failureCode: failure.code,
          failureReason: failure.reason,
        }),
        ...(await failureEffects(tip, at, word)),
      ]);
    },

    async createRefusedTip(tip, failure, now, reservation) {
      const record = firstRecord(tip, now, { failure });
      const at = record.createdAt;
      try {
        await endTip(tip.tipId, 'create refused', reservation, async (word) => [
          {
            Put: {
              TableName: tables.tips,
              // Never in the reconciler's index: there is nothing to finish.
              Item: toItem(record),
              ConditionExpression: 'attribute_not_exists(tipId)',
            },
          },
          ...(await failureEffects(record, at, word)),
        ]);
        return { created: true, record };
      } catch (error) {
        if (!(error instanceof LedgerConflictError)) throw error;
        return {
          created: false,
          record: await storedInstead(tip.tipId, 'create refused', error.cause),
        };
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
