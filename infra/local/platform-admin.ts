/**
 * Platform administration shared by `npm run platform` and `tipstream platform`: which DynamoDB
 * to talk to (the local stack, or a deployed Tipstream's table) and how results are described.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import {
  createPlatform,
  revokePlatformSecret,
  rotatePlatformSecret,
} from '../../shared/app/platforms.js';
import { readStackFile } from '../../shared/config/stack-file.js';
import { readTableNames } from '../../shared/config/tables.js';
import { activeSecrets } from '../../shared/domain/platform-secrets.js';
import type { PlatformRecord, PlatformStore } from '../../shared/ports/intake.js';
import { readStackConfig, runPaths } from './config.js';
import { localDynamoDbClient } from './dynamodb-local.js';

/** No stack and no deployed table configured. */
export class NoPlatformTableError extends Error {
  override name = 'NoPlatformTableError';
}

type Env = Record<string, string | undefined>;

/**
 * The DynamoDB holding the platforms table: TIPSTREAM_DYNAMODB_ENDPOINT or
 * TIPSTREAM_PLATFORMS_TABLE (a deployed Tipstream, AWS credentials from the environment), else
 * the local stack of `projectDir`.
 */
export const platformsDynamoDb = async (env: Env = process.env, projectDir?: string) => {
  if (env.TIPSTREAM_DYNAMODB_ENDPOINT || env.TIPSTREAM_PLATFORMS_TABLE) {
    return new DynamoDBClient({
      region: env.TIPSTREAM_AWS_REGION ?? env.AWS_REGION ?? 'us-east-1',
      ...(env.TIPSTREAM_DYNAMODB_ENDPOINT ? { endpoint: env.TIPSTREAM_DYNAMODB_ENDPOINT } : {}),
    });
  }
  const stack = await readStackFile(runPaths(readStackConfig(env, projectDir).runDir).stackFile);
  if (!stack) {
    throw new NoPlatformTableError(
      'no local stack is running: start one with "npm start" (or "npm run stack:up"), or set TIPSTREAM_PLATFORMS_TABLE (and AWS credentials) for a deployed Tipstream, or TIPSTREAM_DYNAMODB_ENDPOINT',
    );
  }
  return localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
};

/** A platform store on that DynamoDB; `close()` releases the client. */
export const openPlatformAdmin = async (env: Env = process.env, projectDir?: string) => {
  const dynamodb = await platformsDynamoDb(env, projectDir);
  const store: PlatformStore = createDynamoPlatformStore(dynamodb, readTableNames(env));
  return {
    store,
    create: (input: { platformId: string; name?: string; dailyLimitSats: number }) =>
      createPlatform(store, input),
    rotateSecret: (platformId: string, graceSeconds?: number) =>
      rotatePlatformSecret(store, platformId, { graceSeconds }),
    revokeSecret: (platformId: string, secretId: string) =>
      revokePlatformSecret(store, platformId, secretId),
    list: () => store.listPlatforms(),
    close: () => dynamodb.destroy(),
  };
};

/** What `create` prints: the secret is shown once. */
export const describeCreated = (platform: PlatformRecord, secret: string) =>
  `created platform ${platform.platformId} (daily limit ${platform.dailyLimitSats.toLocaleString('en-US')} sats)\n` +
  `signing secret (shown once; store it in the platform's backend):\n${secret}\n`;

/** The active secrets of a platform as `id` or `id (expires <time>)`, never the secrets. */
const describeSecrets = (platform: PlatformRecord, now = new Date()) =>
  activeSecrets(platform.secrets, now)
    .map((entry) =>
      entry.expiresAt ? `${entry.secretId} (expires ${entry.expiresAt})` : entry.secretId,
    )
    .join(', ');

/** What `rotate-secret` prints. */
export const describeRotated = (platform: PlatformRecord, secret: string) => {
  const previous = platform.secrets[1];
  return (
    `new signing secret for ${platform.platformId} (${previous?.expiresAt ? `the previous one stays valid until ${previous.expiresAt}` : 'the previous one is revoked'}):\n${secret}\n` +
    `active secrets: ${describeSecrets(platform)}\n`
  );
};

/** What `revoke-secret` prints. */
export const describeRevoked = (platform: PlatformRecord, secretId: string) =>
  `revoked ${secretId} of ${platform.platformId}: requests signed with it are refused from now on\n` +
  `active secrets: ${describeSecrets(platform)}\n`;

/** One line of `list`. */
export const describePlatform = (platform: PlatformRecord) =>
  `${platform.platformId.padEnd(24)} ${platform.dailyLimitSats.toLocaleString('en-US').padStart(14)} sats/day  ${activeSecrets(platform.secrets, new Date()).length} active secret(s)  since ${platform.createdAt}\n`;

/** A platform for output: never its secrets, only the active ones' ids and expiry. */
export const platformSummary = (platform: PlatformRecord) => ({
  platformId: platform.platformId,
  name: platform.name,
  dailyLimitSats: platform.dailyLimitSats,
  createdAt: platform.createdAt,
  secretIds: activeSecrets(platform.secrets, new Date()).map((entry) => entry.secretId),
  secrets: activeSecrets(platform.secrets, new Date()).map(
    ({ secretId, createdAt, expiresAt }) => ({
      secretId,
      createdAt,
      ...(expiresAt ? { expiresAt } : {}),
    }),
  ),
});
