import { createDynamoPlatformStore } from '../adapters/dynamodb/intake-store.js';
import type { PlatformStore } from '../ports/intake.js';
import { dynamoDbFromEnv, localDynamoDbClient } from './aws.js';
import { readLocalStack } from './stack-file.js';
import { readTableNames } from './tables.js';

/** No stack and no deployed table configured. */
export class NoPlatformTableError extends Error {
  override name = 'NoPlatformTableError';
}

type Env = Record<string, string | undefined>;

/**
 * The platforms table for administration: TIPSTREAM_DYNAMODB_ENDPOINT or
 * TIPSTREAM_PLATFORMS_TABLE (a deployed Tipstream, AWS credentials from the environment), else
 * the local stack of `projectDir`. `close()` releases the client.
 */
export const openPlatformStore = async (
  env: Env = process.env,
  projectDir?: string,
): Promise<{ store: PlatformStore; close: () => void }> => {
  const dynamodb = await (async () => {
    if (env.TIPSTREAM_DYNAMODB_ENDPOINT || env.TIPSTREAM_PLATFORMS_TABLE)
      return dynamoDbFromEnv(env);
    const stack = await readLocalStack(env, projectDir);
    if (!stack) {
      throw new NoPlatformTableError(
        'no local stack is running: start one with "npm start" (or "npm run stack:up"), or set TIPSTREAM_PLATFORMS_TABLE (and AWS credentials) for a deployed Tipstream, or TIPSTREAM_DYNAMODB_ENDPOINT',
      );
    }
    return localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  })();
  return {
    store: createDynamoPlatformStore(dynamodb, readTableNames(env)),
    close: () => dynamodb.destroy(),
  };
};
