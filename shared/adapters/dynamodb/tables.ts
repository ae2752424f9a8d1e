import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  paginateListTables,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';

/** Names of the ledger's tables (CDK generates them in AWS; locally they are fixed). */
export interface TableNames {
  /** Tips and their state machine, receipts; rejected messages. */
  tips: string;
  /**
   * Payout totals per recipient, and per platform and recipient; a platform's outcomes per hour
   * (`hourlyActivityKey`).
   */
  payouts: string;
  /** Payout batches and their progress counters. */
  batches: string;
  /** Platforms and their request-signing secrets. */
  platforms: string;
  /** Accepted API requests by tip id: idempotency, the message sent, the budget reserved. */
  requests: string;
  /** Budget counters per window (platform per day, global per hour). */
  budgets: string;
  /** Platforms' webhook endpoints and their signing secrets. */
  webhookEndpoints: string;
  /** Webhook deliveries: one per event and endpoint, with its attempts (the retry queue). */
  webhookDeliveries: string;
}

export const TABLE_KEYS = [
  'tips',
  'payouts',
  'batches',
  'platforms',
  'requests',
  'budgets',
  'webhookEndpoints',
  'webhookDeliveries',
] as const;

export const LOCAL_TABLE_NAMES: TableNames = {
  tips: 'tipstream-tips',
  payouts: 'tipstream-payouts',
  batches: 'tipstream-batches',
  platforms: 'tipstream-platforms',
  requests: 'tipstream-requests',
  budgets: 'tipstream-budgets',
  webhookEndpoints: 'tipstream-webhook-endpoints',
  webhookDeliveries: 'tipstream-webhook-deliveries',
};

/**
 * A run's own set of tables (a benchmark's, a soak's): `<prefix><key>` for every table, so a
 * running `npm start` never reads them and a prefix deletes them all (`deleteTablesByPrefix`).
 */
export const prefixedTableNames = (prefix: string): TableNames =>
  Object.fromEntries(TABLE_KEYS.map((key) => [key, `${prefix}${key}`])) as unknown as TableNames;

/**
 * The tables whose changes are webhook events: their streams feed the dispatcher. New images only
 * would not do: an event is a transition (entering SUCCEEDED), told by the old image beside the new.
 */
const STREAMED_TABLES = ['tips', 'batches'] as const;
const STREAM = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

/** A platform's webhook endpoints, oldest first. */
export const PLATFORM_ENDPOINTS_INDEX = 'platformId-createdAt';
/**
 * The retry queue as it was first laid out: PENDING deliveries recorded by earlier versions carry
 * `due` = 'due' (one partition for every endpoint). Nothing writes it any more; the sweep moves
 * what is left of it to the per-endpoint queues below, a bounded step each run. Drop it in a
 * later deploy once it is empty.
 */
export const DUE_DELIVERIES_INDEX = 'due-nextAttemptAt';
/**
 * The retry queues, one per endpoint: only PENDING deliveries carry `dueShard` (a hash of the
 * endpoint id into a few partitions) and `dueKey` (`<endpointId>#<nextAttemptAt>`), so within a
 * shard each endpoint's deliveries sort together, soonest due first. The sweep walks the endpoints
 * of each shard (one query finds the next endpoint with pending deliveries: endpoints without any
 * cost nothing) and reads a bounded number from each, so no backlog hides another endpoint's.
 */
export const ENDPOINT_QUEUES_INDEX = 'dueShard-dueKey';
/** A platform's deliveries, newest first. */
export const PLATFORM_DELIVERIES_INDEX = 'platformId-createdAt';
/**
 * Pending deliveries of one subject (a tip) to one endpoint (`pendingOrder` = endpoint#subject,
 * only while PENDING), by when their change happened: a later event waits for an earlier one.
 */
export const PENDING_ORDER_INDEX = 'pendingOrder-occurredAt';

/** Sparse index of tips in SENDING: only they carry `inFlight`, so the reconciler reads only them. */
export const IN_FLIGHT_INDEX = 'inFlight-sendingSince';

/**
 * A recipient's settled payouts of every platform, newest first (only SUCCEEDED tips carry
 * settledAt). Read by nothing since the per-platform index below replaced it; kept for one
 * release because CloudFormation creates or deletes only one index of a table per update.
 */
const RECIPIENT_INDEX = 'recipient-settledAt';
/**
 * One platform's settled payouts to one recipient, newest first: `platformRecipient` (see
 * `platformRecipientKey`) and settledAt are written together when a tip succeeds, so the index
 * holds settled tips only, and a platform's page is never filled or emptied by other platforms.
 */
export const PLATFORM_RECIPIENT_INDEX = 'platformRecipient-settledAt';
/** What a payout history page shows besides the index keys. */
const PLATFORM_RECIPIENT_ATTRIBUTES = [
  'platformId',
  'amountMsat',
  'feeMsat',
  'paymentHash',
  'batchId',
] as const;
/**
 * `<platformId>#<recipient>`: the partition of a platform's payouts to a recipient in the tips
 * table's index and the key of its totals in the payouts table (beside the recipient's totals of
 * every platform, keyed by the bare pubkey). Platform ids cannot contain `#`.
 */
export const platformRecipientKey = (platformId: string, recipient: string) =>
  `${platformId}#${recipient}`;
/**
 * `#hour#<platformId>#<hour start>`: the key, in the payouts table, of a platform's outcomes in
 * one UTC hour (the dashboard's counters). It starts with `#`, which neither a platform id nor a
 * recipient does, so it never meets a recipient's totals.
 */
export const hourlyActivityKey = (platformId: string, hour: string) =>
  `#hour#${platformId}#${hour}`;
/** The requests of one payout batch, by line. */
export const BATCH_INDEX = 'batchId-line';

/** A platform's tips, newest first (dashboard lists and summaries); only the listed attributes. */
export const PLATFORM_TIPS_INDEX = 'platformId-createdAt';
/**
 * What the platform index carries besides its keys: enough for lists and summaries, without the
 * records, fingerprint and receipt that make up most of a tip item (reads stay small and fast).
 */
export const PLATFORM_TIPS_ATTRIBUTES = [
  'state',
  'recipient',
  'amountMsat',
  'feeMsat',
  'settledAt',
  'updatedAt',
  'failureCode',
  'failureReason',
  'batchId',
  'attempt',
] as const;
/**
 * A platform's payout batches by acceptance time. Keys only: batch progress counters change with
 * every paid row, and a keys-only index is not rewritten by those updates.
 */
export const PLATFORM_BATCHES_INDEX = 'platformId-acceptedAt';

/** Key schemas shared by the local stack and the CDK stack, so both build the same tables. */
export const tableDefinitions = (names: TableNames): CreateTableCommandInput[] => [
  {
    TableName: names.tips,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'tipId', AttributeType: 'S' },
      { AttributeName: 'inFlight', AttributeType: 'S' },
      { AttributeName: 'sendingSince', AttributeType: 'S' },
      { AttributeName: 'recipient', AttributeType: 'S' },
      { AttributeName: 'settledAt', AttributeType: 'S' },
      { AttributeName: 'platformId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
      { AttributeName: 'platformRecipient', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'tipId', KeyType: 'HASH' }],
    StreamSpecification: STREAM,
    GlobalSecondaryIndexes: [
      {
        IndexName: IN_FLIGHT_INDEX,
        KeySchema: [
          { AttributeName: 'inFlight', KeyType: 'HASH' },
          { AttributeName: 'sendingSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: RECIPIENT_INDEX,
        KeySchema: [
          { AttributeName: 'recipient', KeyType: 'HASH' },
          { AttributeName: 'settledAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: PLATFORM_TIPS_INDEX,
        KeySchema: [
          { AttributeName: 'platformId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: [...PLATFORM_TIPS_ATTRIBUTES],
        },
      },
      {
        IndexName: PLATFORM_RECIPIENT_INDEX,
        KeySchema: [
          { AttributeName: 'platformRecipient', KeyType: 'HASH' },
          { AttributeName: 'settledAt', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: [...PLATFORM_RECIPIENT_ATTRIBUTES],
        },
      },
    ],
  },
  {
    TableName: names.payouts,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'recipient', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'recipient', KeyType: 'HASH' }],
  },
  {
    TableName: names.batches,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'batchId', AttributeType: 'S' },
      { AttributeName: 'platformId', AttributeType: 'S' },
      { AttributeName: 'acceptedAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'batchId', KeyType: 'HASH' }],
    StreamSpecification: STREAM,
    GlobalSecondaryIndexes: [
      {
        IndexName: PLATFORM_BATCHES_INDEX,
        KeySchema: [
          { AttributeName: 'platformId', KeyType: 'HASH' },
          { AttributeName: 'acceptedAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  },
  {
    TableName: names.platforms,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'platformId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'platformId', KeyType: 'HASH' }],
  },
  {
    TableName: names.requests,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'tipId', AttributeType: 'S' },
      { AttributeName: 'batchId', AttributeType: 'S' },
      { AttributeName: 'line', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: 'tipId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: BATCH_INDEX,
        KeySchema: [
          { AttributeName: 'batchId', KeyType: 'HASH' },
          { AttributeName: 'line', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
  {
    TableName: names.budgets,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'budgetKey', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'budgetKey', KeyType: 'HASH' }],
  },
  {
    TableName: names.webhookEndpoints,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'endpointId', AttributeType: 'S' },
      { AttributeName: 'platformId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'endpointId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: PLATFORM_ENDPOINTS_INDEX,
        KeySchema: [
          { AttributeName: 'platformId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
  {
    TableName: names.webhookDeliveries,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'deliveryId', AttributeType: 'S' },
      { AttributeName: 'due', AttributeType: 'S' },
      { AttributeName: 'nextAttemptAt', AttributeType: 'S' },
      { AttributeName: 'dueShard', AttributeType: 'S' },
      { AttributeName: 'dueKey', AttributeType: 'S' },
      { AttributeName: 'platformId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
      { AttributeName: 'pendingOrder', AttributeType: 'S' },
      { AttributeName: 'occurredAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'deliveryId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_DELIVERIES_INDEX,
        KeySchema: [
          { AttributeName: 'due', KeyType: 'HASH' },
          { AttributeName: 'nextAttemptAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: PLATFORM_DELIVERIES_INDEX,
        KeySchema: [
          { AttributeName: 'platformId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: PENDING_ORDER_INDEX,
        KeySchema: [
          { AttributeName: 'pendingOrder', KeyType: 'HASH' },
          { AttributeName: 'occurredAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      // Added after the three above: a deployed table gets it in an update of its own (DynamoDB
      // creates one GSI per table update).
      {
        IndexName: ENDPOINT_QUEUES_INDEX,
        KeySchema: [
          { AttributeName: 'dueShard', KeyType: 'HASH' },
          { AttributeName: 'dueKey', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
];

/**
 * Creates any missing table, and adds any index a table lacks (DynamoDB Local keeps its data
 * across restarts, so tables made by an older version of this code get the new indexes).
 */
export const ensureTables = async (client: DynamoDBClient, names: TableNames): Promise<void> => {
  await Promise.all(
    tableDefinitions(names).map(async (definition) => {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: definition.TableName });
      if (definition.StreamSpecification) {
        // A table made before its stream was defined gets it now (once; racing creators agree).
        const { Table } = await client.send(
          new DescribeTableCommand({ TableName: definition.TableName }),
        );
        if (!Table?.StreamSpecification?.StreamEnabled) {
          try {
            await client.send(
              new UpdateTableCommand({
                TableName: definition.TableName,
                StreamSpecification: definition.StreamSpecification,
              }),
            );
          } catch (error) {
            const { Table: now } = await client.send(
              new DescribeTableCommand({ TableName: definition.TableName }),
            );
            if (!now?.StreamSpecification?.StreamEnabled) throw error;
          }
        }
      }
      for (const index of definition.GlobalSecondaryIndexes ?? []) {
        const indexStatus = async () => {
          const { Table } = await client.send(
            new DescribeTableCommand({ TableName: definition.TableName }),
          );
          return Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName)
            ?.IndexStatus;
        };
        let status = await indexStatus();
        if (status === 'ACTIVE') continue;
        if (status === undefined) {
          const attributes = new Set(index.KeySchema?.map((key) => key.AttributeName));
          try {
            await client.send(
              new UpdateTableCommand({
                TableName: definition.TableName,
                AttributeDefinitions: definition.AttributeDefinitions?.filter((a) =>
                  attributes.has(a.AttributeName),
                ),
                GlobalSecondaryIndexUpdates: [{ Create: index }],
              }),
            );
          } catch (error) {
            // Another process (a parallel test run, npm start) is adding the same index: wait for
            // it below instead of failing; anything else is a real problem.
            if ((await indexStatus()) === undefined) throw error;
          }
        }
        // Queries on an index that is still backfilling miss items: wait until it is ACTIVE.
        for (let tries = 0; tries < 240 && status !== 'ACTIVE'; tries += 1) {
          await sleep(250);
          status = await indexStatus();
        }
        if (status !== 'ACTIVE') {
          throw new Error(
            `index ${index.IndexName} of ${definition.TableName} is still ${status ?? 'missing'} after 60 s; check DynamoDB (npm run stack:status) and retry`,
          );
        }
      }
    }),
  );
};

/**
 * Deletes every table whose name starts with `prefix` (a test run's own tables) and waits until
 * they are gone; returns the names deleted. Refuses a prefix that any of `keep` (the service's
 * tables) starts with. A table another process deletes at the same time counts as gone.
 */
export const deleteTablesByPrefix = async (
  client: DynamoDBClient,
  prefix: string,
  keep: TableNames,
): Promise<string[]> => {
  const endangered = Object.values(keep).filter((name) => name.startsWith(prefix));
  if (prefix.length === 0 || endangered.length > 0) {
    throw new Error(
      `refusing to delete the tables named "${prefix}…": that would include ${endangered.join(', ') || 'every table'}`,
    );
  }
  const names: string[] = [];
  for await (const page of paginateListTables({ client }, {})) {
    names.push(...(page.TableNames ?? []).filter((name) => name.startsWith(prefix)));
  }
  await Promise.all(
    names.map(async (TableName) => {
      try {
        await client.send(new DeleteTableCommand({ TableName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      await waitUntilTableNotExists({ client, maxWaitTime: 120 }, { TableName });
    }),
  );
  return names;
};

/** The streams of the tables whose changes are webhook events (the dispatcher reads them). */
export const streamArns = async (client: DynamoDBClient, names: TableNames): Promise<string[]> =>
  Promise.all(
    STREAMED_TABLES.map(async (key) => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names[key] }));
      if (!Table?.LatestStreamArn) {
        throw new Error(`table ${names[key]} has no stream; run the stack's table setup again`);
      }
      return Table.LatestStreamArn;
    }),
  );
