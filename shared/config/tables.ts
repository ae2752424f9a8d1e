import { LOCAL_TABLE_NAMES, TABLE_KEYS, type TableNames } from '../adapters/dynamodb/tables.js';

const ENV_KEYS: Record<keyof TableNames, string> = {
  tips: 'TIPSTREAM_TIPS_TABLE',
  payouts: 'TIPSTREAM_PAYOUTS_TABLE',
  batches: 'TIPSTREAM_BATCHES_TABLE',
  platforms: 'TIPSTREAM_PLATFORMS_TABLE',
  requests: 'TIPSTREAM_REQUESTS_TABLE',
  budgets: 'TIPSTREAM_BUDGETS_TABLE',
  webhookEndpoints: 'TIPSTREAM_WEBHOOK_ENDPOINTS_TABLE',
  webhookDeliveries: 'TIPSTREAM_WEBHOOK_DELIVERIES_TABLE',
};

/** Table names from `TIPSTREAM_*_TABLE` (set by CDK in AWS), defaulting to the local names. */
export const readTableNames = (env: Record<string, string | undefined> = process.env): TableNames =>
  Object.fromEntries(
    TABLE_KEYS.map((key) => [key, env[ENV_KEYS[key]] || LOCAL_TABLE_NAMES[key]]),
  ) as unknown as TableNames;

/** The environment variables that carry the table names, for CDK and the local service. */
export const tableNameEnv = (names: TableNames): Record<string, string> =>
  Object.fromEntries(TABLE_KEYS.map((key) => [ENV_KEYS[key], names[key]]));
