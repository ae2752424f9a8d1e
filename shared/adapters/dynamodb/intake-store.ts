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
import { leaseCaughtUp, leaseGrantMsat, leaseShortfallMsat } from '../../domain/budget-lease.js';
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

/** Rounds of growing a lease (tips of the same platform may take a new chunk meanwhile). */
const LEASE_ATTEMPTS = 16;

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
   * The update reserving `amountMsat` on one counter, conditional on staying within its limit:
   * a plain counter's own limit, a lease's grant (its net counter stays ≤ 0).
   */
  const reserveOn = (reservation: BudgetReservation, amountMsat: bigint) => ({
    Update: {
      TableName: tables.budgets,
      Key: { budgetKey: reservation.key },
      UpdateExpression: 'ADD reservedMsat :amount SET resetsAt = :resets',
      // Never overspent: the reservation applies only if it stays within the limit. A lease
      // never granted anything has no counter, so nothing fits in it.
      ConditionExpression: reservation.leasedFrom
        ? 'reservedMsat <= :room'
        : 'attribute_not_exists(reservedMsat) OR reservedMsat <= :room',
      ExpressionAttributeValues: {
        ':amount': Number(amountMsat),
        ':room': Number((reservation.leasedFrom ? 0n : reservation.limitMsat) - amountMsat),
        ':resets': reservation.resetsAt.toISOString(),
      },
    },
  });

  const readCounter = async (budgetKey: string) => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tables.budgets, Key: { budgetKey }, ConsistentRead: true }),
    );
    return Item;
  };

  /**
   * Grows a lease until `amountMsat` fits in it: a chunk of the shared budget is granted by one
   * conditional update of the shared item (never past its limit; the grant recorded there per
   * lease), then the lease catches up with its recorded total by a compare-and-set on what it was
   * granted, so a grant is applied to the lease exactly once even if the process dies in between
   * (the next growth applies it). `over-budget` with what the shared budget has leased out when
   * what is left cannot cover the tip.
   */
  const growLease = async (
    reservation: BudgetReservation & { leasedFrom: string },
    amountMsat: bigint,
  ): Promise<{ status: 'grown' } | { status: 'over-budget'; usedMsat: bigint }> => {
    const grantName = `grant#${reservation.key}`;
    for (let attempt = 0; attempt < LEASE_ATTEMPTS; attempt += 1) {
      const leaseItem = await readCounter(reservation.key);
      const lease = {
        grantedMsat: BigInt(leaseItem?.grantedMsat ?? 0),
        netMsat: BigInt(leaseItem?.reservedMsat ?? 0),
      };
      const shortfallMsat = leaseShortfallMsat(lease, amountMsat);
      if (shortfallMsat === 0n) return { status: 'grown' };
      const shared = await readCounter(reservation.leasedFrom);
      const leasedMsat = BigInt(shared?.reservedMsat ?? 0);
      const grantMsat = leaseGrantMsat({
        limitMsat: reservation.limitMsat,
        leasedMsat,
        lease,
        shortfallMsat,
      });
      if (grantMsat === undefined) return { status: 'over-budget', usedMsat: leasedMsat };
      let grantedTotalMsat: bigint;
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName: tables.budgets,
            Key: { budgetKey: reservation.leasedFrom },
            UpdateExpression: 'ADD reservedMsat :grant, #grant :grant SET resetsAt = :resets',
            ConditionExpression: 'attribute_not_exists(reservedMsat) OR reservedMsat <= :room',
            ExpressionAttributeNames: { '#grant': grantName },
            ExpressionAttributeValues: {
              ':grant': Number(grantMsat),
              ':room': Number(reservation.limitMsat - grantMsat),
              ':resets': reservation.resetsAt.toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        grantedTotalMsat = BigInt(Attributes?.[grantName] ?? 0);
      } catch (error) {
        // Another lease took part of what was left meanwhile: look again.
        if (error instanceof ConditionalCheckFailedException) continue;
        throw error;
      }
      await catchUpLease(reservation, lease, grantedTotalMsat);
      return { status: 'grown' };
    }
    throw new Error(`the lease ${reservation.key} kept changing; try again`);
  };

  /** Applies to the lease what the shared budget records for it, once (compare-and-set). */
  const catchUpLease = async (
    reservation: BudgetReservation,
    read: { grantedMsat: bigint; netMsat: bigint },
    grantedTotalMsat: bigint,
  ) => {
    let lease = read;
    for (let attempt = 0; attempt < LEASE_ATTEMPTS; attempt += 1) {
      const next = leaseCaughtUp(lease, grantedTotalMsat);
      if (!next) return;
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tables.budgets,
            Key: { budgetKey: reservation.key },
            UpdateExpression:
              'SET grantedMsat = :granted, resetsAt = :resets ADD reservedMsat :less',
            ConditionExpression:
              lease.grantedMsat === 0n ? 'attribute_not_exists(grantedMsat)' : 'grantedMsat = :was',
            ExpressionAttributeValues: {
              ':granted': Number(next.grantedMsat),
              ':less': Number(next.netMsat - lease.netMsat),
              ':resets': reservation.resetsAt.toISOString(),
              ...(lease.grantedMsat === 0n ? {} : { ':was': Number(lease.grantedMsat) }),
            },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const item = await readCounter(reservation.key);
        lease = {
          grantedMsat: BigInt(item?.grantedMsat ?? 0),
          netMsat: BigInt(item?.reservedMsat ?? 0),
        };
      }
    }
    throw new Error(`the lease ${reservation.key} kept changing; try again`);
  };

  /**
   * Puts `item` (unless its key exists) and reserves `amountMsat` on every budget counter, each
   * conditional on staying within its limit: never overspent. Concurrent requests on a counter
   * cancel each other ("TransactionConflict"): those are retried with jitter. A lease too small
   * for the tip is grown from its shared budget and the transaction tried again.
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
    for (let round = 0; ; round += 1) {
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
          ...budgets.map((reservation) => reserveOn(reservation, amountMsat)),
        ]);
        return { status: 'accepted' };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return { status: 'exists' };
        const short = budgets.filter((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed');
        const own = short.find((reservation) => !reservation.leasedFrom);
        if (own) {
          const Item = await readCounter(own.key);
          return {
            status: 'over-budget',
            reservation: own,
            usedMsat: BigInt(Item?.reservedMsat ?? 0),
          };
        }
        if (short.length === 0 || round >= LEASE_ATTEMPTS) throw error;
        for (const reservation of short) {
          const { leasedFrom } = reservation;
          if (!leasedFrom) continue;
          const grown = await growLease({ ...reservation, leasedFrom }, amountMsat);
          if (grown.status === 'over-budget') return { ...grown, reservation };
        }
      }
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
