/**
 * Platform administration (the platforms table in DynamoDB):
 *   npm run platform -- create <platformId> [--daily-limit-sats 1000000] [--name "Stream Co"]
 *   npm run platform -- rotate-secret <platformId> [--grace 24h]
 *   npm run platform -- revoke-secret <platformId> <secretId>
 *   npm run platform -- list
 * Talks to the local stack (.tipstream/stack.json); with TIPSTREAM_DYNAMODB_ENDPOINT or real AWS
 * credentials and TIPSTREAM_PLATFORMS_TABLE it administers a deployed Tipstream instead.
 * `tipstream platform …` does the same (infra/local/platform-admin.ts).
 */
import { parseArgs } from 'node:util';
import { parseGracePeriod } from '../../shared/domain/platform-secrets.js';
import {
  describeCreated,
  describePlatform,
  describeRevoked,
  describeRotated,
  openPlatformAdmin,
} from './platform-admin.js';

const usage = `usage:
  npm run platform -- create <platformId> [--daily-limit-sats N] [--name NAME]
  npm run platform -- rotate-secret <platformId> [--grace 24h]   (previous secret valid for the grace period; 0 revokes it)
  npm run platform -- revoke-secret <platformId> <secretId>
  npm run platform -- list`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'daily-limit-sats': { type: 'string' },
    name: { type: 'string' },
    grace: { type: 'string' },
  },
});
const [command, platformId, secretId] = positionals;

const main = async () => {
  if (
    command !== 'create' &&
    command !== 'rotate-secret' &&
    command !== 'revoke-secret' &&
    command !== 'list'
  ) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const admin = await openPlatformAdmin();
  try {
    switch (command) {
      case 'create': {
        if (!platformId) throw new Error(usage);
        const { platform, secret } = await admin.create({
          platformId,
          name: values.name,
          dailyLimitSats: Number(values['daily-limit-sats'] ?? 1_000_000),
        });
        process.stdout.write(describeCreated(platform, secret));
        break;
      }
      case 'rotate-secret': {
        if (!platformId) throw new Error(usage);
        const { platform, secret } = await admin.rotateSecret(
          platformId,
          values.grace === undefined ? undefined : parseGracePeriod(values.grace, '--grace'),
        );
        process.stdout.write(describeRotated(platform, secret));
        break;
      }
      case 'revoke-secret': {
        if (!platformId || !secretId) throw new Error(usage);
        process.stdout.write(
          describeRevoked(await admin.revokeSecret(platformId, secretId), secretId),
        );
        break;
      }
      case 'list':
        for (const platform of await admin.list()) process.stdout.write(describePlatform(platform));
        break;
    }
  } finally {
    admin.close();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
