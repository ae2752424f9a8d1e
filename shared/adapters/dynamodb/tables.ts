import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Names of the ledger's tables (CDK generates them in AWS; locally they are fixed). */
export interface TableNames {
  tips: string;
  payouts: string;
  batches: string;
}

export const LOCAL_TABLE_NAMES: TableNames = {
  tips: 'tipstream-tips',
  payouts: 'tipstream-payouts',
  batches: 'tipstream-batches',
};

/** Sparse index of tips in SENDING: only they carry `inFlight`, so the reconciler reads only them. */
export const IN_FLIGHT_INDEX = 'inFlight-sendingSince';

/** Key schemas shared by the local stack and the CDK stack, so both build the same tables. */
export const tableDefinitions = (names: TableNames): CreateTableCommandInput[] => [
  {
    TableName: names.tips,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'tipId', AttributeType: 'S' },
      { AttributeName: 'inFlight', AttributeType: 'S' },
      { AttributeName: 'sendingSince', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'tipId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: IN_FLIGHT_INDEX,
        KeySchema: [
          { AttributeName: 'inFlight', KeyType: 'HASH' },
          { AttributeName: 'sendingSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
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
    AttributeDefinitions: [{ AttributeName: 'batchId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'batchId', KeyType: 'HASH' }],
  },
];

/** Creates any missing table (local stack and tests); existing tables are left as they are. */
export const ensureTables = async (client: DynamoDBClient, names: TableNames): Promise<void> => {
  await Promise.all(
    tableDefinitions(names).map(async (definition) => {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: definition.TableName });
    }),
  );
};
