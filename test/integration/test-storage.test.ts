import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createQueuePair, localSqsClient } from '../../infra/local/stack/elasticmq.js';
import {
  deleteTablesByPrefix,
  ensureTables,
  LOCAL_TABLE_NAMES,
  TABLE_KEYS,
  type TableNames,
} from '../../shared/adapters/dynamodb/tables.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { resetTestStorage, TEST_STORAGE_PREFIX } from './test-storage.js';

const stack = inject('stack');

/**
 * The global setup's reset (test-storage.ts) on DynamoDB Local and ElasticMQ, on names of this
 * file's own: a run's test tables and a stand-in for the service's, sharing the platforms table
 * as the real ones do. (Resetting the run's real `tipstream-test-*` tables here would pull them
 * from under the files that run after this one.)
 */
describe('resetting the integration tests’ tables and queues', () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `${TEST_STORAGE_PREFIX}reset-${run}-`;
  const names = (first: string) =>
    Object.fromEntries(TABLE_KEYS.map((key) => [key, `${first}${key}`])) as unknown as TableNames;
  const service = names(`tipstream-reset-service-${run}-`);
  const tests: TableNames = { ...names(prefix), platforms: service.platforms };
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;

  const itemsIn = async (TableName: string) =>
    (await dynamodb.send(new ScanCommand({ TableName, ConsistentRead: true }))).Items ?? [];
  const exists = async (TableName: string) => {
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  };
  const queuesNamed = async (first: string) =>
    (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: first }))).QueueUrls ?? [];
  /** A tip, a budget counter and a platform in `tables`, as a test run leaves them. */
  const fill = async (tables: TableNames, tag: string) => {
    await dynamodb.send(
      new PutItemCommand({ TableName: tables.tips, Item: { tipId: { S: `${tag}-tip` } } }),
    );
    await dynamodb.send(
      new PutItemCommand({ TableName: tables.budgets, Item: { budgetKey: { S: `${tag}-day` } } }),
    );
    await dynamodb.send(
      new PutItemCommand({
        TableName: tables.platforms,
        Item: { platformId: { S: `${tag}-platform` } },
      }),
    );
  };

  beforeAll(async () => {
    dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
    sqs = localSqsClient(stack.sqs.endpoint, stack.region);
    await ensureTables(dynamodb, service);
    await ensureTables(dynamodb, tests);
  });
  afterAll(async () => {
    await deleteTablesByPrefix(dynamodb, prefix, LOCAL_TABLE_NAMES);
    await deleteTablesByPrefix(dynamodb, `tipstream-reset-service-${run}-`, LOCAL_TABLE_NAMES);
    dynamodb?.destroy();
    sqs?.destroy();
  });

  it('empties every test table and deletes leftover test tables and queues; the service’s tables keep their items', async () => {
    await fill(service, 'service');
    await fill(tests, 'test');
    // What a crashed run leaves: a table of a test's own (the sweep test's) and a queue pair
    // holding a message.
    const leftover = `${prefix}sweep-leftover`;
    await dynamodb.send(
      new CreateTableCommand({
        TableName: leftover,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: leftover });
    const { queueUrl } = await createQueuePair(sqs, `${prefix}queue`);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'left behind' }));
    const serviceQueue = await createQueuePair(sqs, `tipstream-reset-service-${run}-queue`);
    expect(await queuesNamed(prefix)).toHaveLength(2);
    const serviceTablesBefore = await Promise.all(
      TABLE_KEYS.map((key) => exists(LOCAL_TABLE_NAMES[key])),
    );

    const reset = await resetTestStorage({ dynamodb, sqs }, tests, service, prefix);

    expect(reset.tables.sort()).toEqual(
      [
        leftover,
        ...TABLE_KEYS.filter((key) => key !== 'platforms').map((key) => tests[key]),
      ].sort(),
    );
    expect(reset.queues).toHaveLength(2);
    expect(await queuesNamed(prefix)).toEqual([]);
    expect(await exists(leftover)).toBe(false);
    for (const key of TABLE_KEYS.filter((k) => k !== 'platforms')) {
      expect(await itemsIn(tests[key]), tests[key]).toEqual([]);
    }
    // Made anew from the project's definitions: streams and indexes as `ensureTables` makes them.
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tests.tips }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.StreamSpecification?.StreamEnabled).toBe(true);
    expect(Table?.GlobalSecondaryIndexes?.every((index) => index.IndexStatus === 'ACTIVE')).toBe(
      true,
    );
    // The service's tables, and the platforms table the tests share with it, are untouched.
    expect(await itemsIn(service.tips)).toEqual([{ tipId: { S: 'service-tip' } }]);
    expect(await itemsIn(service.budgets)).toEqual([{ budgetKey: { S: 'service-day' } }]);
    expect((await itemsIn(service.platforms)).map((item) => item.platformId?.S).sort()).toEqual([
      'service-platform',
      'test-platform',
    ]);
    expect(await queuesNamed(`tipstream-reset-service-${run}-queue`)).toEqual(
      expect.arrayContaining([serviceQueue.queueUrl, serviceQueue.dlqUrl]),
    );
    // And the real service's tables (a `npm start` beside the tests) are all still there.
    expect(await Promise.all(TABLE_KEYS.map((key) => exists(LOCAL_TABLE_NAMES[key])))).toEqual(
      serviceTablesBefore,
    );
  });

  it('refuses, deleting nothing, when the test tables are not all under the prefix or the prefix covers a service table', async () => {
    await fill(tests, 'kept');
    const rows: Array<{ description: string; testTables: TableNames; serviceTables: TableNames }> =
      [
        {
          description: 'a test table named outside the prefix',
          testTables: { ...tests, budgets: `tipstream-reset-other-${run}-budgets` },
          serviceTables: service,
        },
        {
          description: 'the tests on the service’s own tips table',
          testTables: { ...tests, tips: service.tips },
          serviceTables: service,
        },
        {
          description: 'a service table under the prefix',
          testTables: tests,
          serviceTables: { ...service, tips: `${prefix}service-tips` },
        },
      ];
    for (const row of rows) {
      await expect(
        resetTestStorage({ dynamodb, sqs }, row.testTables, row.serviceTables, prefix),
        row.description,
      ).rejects.toThrow(/refusing|must be named/);
      expect(await itemsIn(tests.tips), row.description).toEqual([{ tipId: { S: 'kept-tip' } }]);
    }
    await expect(deleteTablesByPrefix(dynamodb, 'tipstream-', LOCAL_TABLE_NAMES)).rejects.toThrow(
      /refusing.*tipstream-tips/,
    );
    // The platforms table the tests share with the service (the global setup ensured it) stays.
    expect(await exists(LOCAL_TABLE_NAMES.platforms)).toBe(true);
  });
});
