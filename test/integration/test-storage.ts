import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { deleteQueuesByPrefix } from '../../infra/local/stack/elasticmq.js';
import {
  deleteTablesByPrefix,
  ensureTables,
  TABLE_KEYS,
  type TableNames,
} from '../../shared/adapters/dynamodb/tables.js';

/**
 * What every table and queue of the integration tests is named after (vitest.config.ts names the
 * tables, helpers.ts the queues): the reset below deletes exactly these.
 */
export const TEST_STORAGE_PREFIX = 'tipstream-test-';

/**
 * Gives an integration run empty tables and no leftover queues: deletes every `tipstream-test-*`
 * table (the run's own and any a crashed run left, e.g. a sweep test's) and queue, then creates
 * the run's tables anew from the project's definitions (`ensureTables`). Without it the tests'
 * tables only ever grew, and DynamoDB Local's one SQLite file with them (284 MB after many runs:
 * writes took 134–290 ms instead of ~15, then "too long waiting for a lock" failed tests).
 *
 * Never touches `serviceTables` (those of a `npm start` running beside the tests): the tests'
 * tables that share a service table's name (platforms, on purpose) are only ensured to exist.
 * Run it only while no other test run uses the stack (the global setup, before any file).
 */
export const resetTestStorage = async (
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient },
  testTables: TableNames,
  serviceTables: TableNames,
  prefix = TEST_STORAGE_PREFIX,
): Promise<{ tables: string[]; queues: string[] }> => {
  const unprefixed = TABLE_KEYS.filter(
    (key) => testTables[key] !== serviceTables[key] && !testTables[key].startsWith(prefix),
  );
  if (unprefixed.length > 0 || testTables.tips === serviceTables.tips) {
    throw new Error(
      `the integration tests' tables must be named ${prefix}* (vitest.config.ts), not ${TABLE_KEYS.map((key) => testTables[key]).join(', ')}`,
    );
  }
  const tables = await deleteTablesByPrefix(clients.dynamodb, prefix, serviceTables);
  await ensureTables(clients.dynamodb, testTables);
  const queues = await deleteQueuesByPrefix(clients.sqs, prefix);
  return { tables, queues };
};
