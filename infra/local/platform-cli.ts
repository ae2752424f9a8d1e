/**
 * Platform administration (the platforms table in DynamoDB):
 *   npm run platform -- create <platformId> [--daily-limit-sats 1000000] [--name "Stream Co"]
 *   npm run platform -- rotate-secret <platformId>
 *   npm run platform -- list
 * Talks to the local stack (.tipstream/stack.json); with TIPSTREAM_DYNAMODB_ENDPOINT or real AWS
 * credentials and TIPSTREAM_PLATFORMS_TABLE it administers a deployed Tipstream instead.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { createPlatform, rotatePlatformSecret } from '../../shared/app/platforms.js';
import { readStackFile } from '../../shared/config/stack-file.js';
import { readTableNames } from '../../shared/config/tables.js';
import { readStackConfig, runPaths } from './config.js';
import { localDynamoDbClient } from './dynamodb-local.js';

const usage = `usage:
  npm run platform -- create <platformId> [--daily-limit-sats N] [--name NAME]
  npm run platform -- rotate-secret <platformId>
  npm run platform -- list`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'daily-limit-sats': { type: 'string' }, name: { type: 'string' } },
});
const [command, platformId] = positionals;

const client = async (): Promise<DynamoDBClient> => {
  if (process.env.TIPSTREAM_DYNAMODB_ENDPOINT || process.env.TIPSTREAM_PLATFORMS_TABLE) {
    return new DynamoDBClient({
      region: process.env.TIPSTREAM_AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(process.env.TIPSTREAM_DYNAMODB_ENDPOINT
        ? { endpoint: process.env.TIPSTREAM_DYNAMODB_ENDPOINT }
        : {}),
    });
  }
  const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
  if (!stack)
    throw new Error(
      'no local stack is running: start one with "npm start" (or set TIPSTREAM_DYNAMODB_ENDPOINT)',
    );
  return localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
};

const main = async () => {
  const dynamodb = await client();
  const store = createDynamoPlatformStore(dynamodb, readTableNames());
  switch (command) {
    case 'create': {
      if (!platformId) throw new Error(usage);
      const { platform, secret } = await createPlatform(store, {
        platformId,
        name: values.name,
        dailyLimitSats: Number(values['daily-limit-sats'] ?? 1_000_000),
      });
      process.stdout.write(
        `created platform ${platform.platformId} (daily limit ${platform.dailyLimitSats.toLocaleString('en-US')} sats)\n` +
          `signing secret (shown once; store it in the platform's backend):\n${secret}\n`,
      );
      break;
    }
    case 'rotate-secret': {
      if (!platformId) throw new Error(usage);
      const { platform, secret } = await rotatePlatformSecret(store, platformId);
      process.stdout.write(
        `new signing secret for ${platformId} (the previous one stays valid until the next rotation):\n${secret}\n` +
          `active secrets: ${platform.secrets.map((entry) => entry.secretId).join(', ')}\n`,
      );
      break;
    }
    case 'list':
      for (const platform of await store.listPlatforms()) {
        process.stdout.write(
          `${platform.platformId.padEnd(24)} ${platform.dailyLimitSats.toLocaleString('en-US').padStart(14)} sats/day  ${platform.secrets.length} active secret(s)  since ${platform.createdAt}\n`,
        );
      }
      break;
    default:
      process.stderr.write(`${usage}\n`);
      process.exit(2);
  }
  dynamodb.destroy();
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
