import type { Command } from 'commander';
import {
  createPlatform,
  PlatformAdminError,
  revokePlatformSecret,
  rotatePlatformSecret,
} from '../../shared/app/platforms.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { activeSecrets, parseGracePeriod } from '../../shared/domain/platform-secrets.js';
import {
  PlatformExistsError,
  type PlatformRecord,
  type PlatformStore,
} from '../../shared/ports/intake.js';
import type { CliContext } from '../context.js';
import { UnreachableError, UsageError } from '../errors.js';
import { projectDir } from '../target.js';
import { type ActionRunner, parsePositiveInt } from './common.js';

/** Runs one platform admin step with the DynamoDB client closed after, errors mapped to exit codes. */
const withAdmin = async <T>(
  ctx: CliContext,
  step: (store: PlatformStore) => Promise<T>,
): Promise<T> => {
  // The DynamoDB client is loaded only by the platform commands (start-up time of the others).
  const { NoPlatformTableError, openPlatformStore } = await import(
    '../../shared/config/platform-store.js'
  );
  let admin: Awaited<ReturnType<typeof openPlatformStore>>;
  try {
    admin = await openPlatformStore(ctx.env, projectDir);
  } catch (error) {
    if (error instanceof NoPlatformTableError) throw new UnreachableError(error.message);
    throw error;
  }
  try {
    return await step(admin.store);
  } catch (error) {
    if (error instanceof PlatformAdminError) throw new UsageError(error.message);
    if (error instanceof PlatformExistsError) {
      throw new UsageError(`${error.message}`, {
        hint: 'pick another id, or "tipstream platform rotate-secret <id>" for a new secret',
      });
    }
    throw error;
  } finally {
    admin.close();
  }
};

/** What `create` prints: the secret is shown once. */
const describeCreated = (platform: PlatformRecord, secret: string) =>
  `created platform ${platform.platformId} (daily limit ${platform.dailyLimitSats.toLocaleString('en-US')} sats, ${describeAuthentication(platform)})\n` +
  `signing secret (shown once; store it in the platform's backend):\n${secret}\n`;

/** The platform's default tip authentication, in words. */
const describeAuthentication = (platform: PlatformRecord) =>
  platform.authenticatedTips
    ? 'tips sender-authenticated (shared-secret preimages)'
    : 'plain keysend tips';

/** The active secrets of a platform as `id` or `id (expires <time>)`, never the secrets. */
const describeSecrets = (platform: PlatformRecord, now = new Date()) =>
  activeSecrets(platform.secrets, now)
    .map((entry) =>
      entry.expiresAt ? `${entry.secretId} (expires ${entry.expiresAt})` : entry.secretId,
    )
    .join(', ');

/** What `rotate-secret` prints. */
const describeRotated = (platform: PlatformRecord, secret: string) => {
  const previous = platform.secrets[1];
  return (
    `new signing secret for ${platform.platformId} (${previous?.expiresAt ? `the previous one stays valid until ${previous.expiresAt}` : 'the previous one is revoked'}):\n${secret}\n` +
    `active secrets: ${describeSecrets(platform)}\n`
  );
};

/** What `revoke-secret` prints. */
const describeRevoked = (platform: PlatformRecord, secretId: string) =>
  `revoked ${secretId} of ${platform.platformId}: requests signed with it are refused from now on\n` +
  `active secrets: ${describeSecrets(platform)}\n`;

/** One line of `list`. */
const describePlatform = (platform: PlatformRecord) =>
  `${platform.platformId.padEnd(24)} ${platform.dailyLimitSats.toLocaleString('en-US').padStart(14)} sats/day  ${activeSecrets(platform.secrets, new Date()).length} active secret(s)  since ${platform.createdAt}  ${describeAuthentication(platform)}\n`;

/** A platform for output: never its secrets, only the active ones' ids and expiry. */
const platformSummary = (platform: PlatformRecord) => ({
  platformId: platform.platformId,
  name: platform.name,
  dailyLimitSats: platform.dailyLimitSats,
  createdAt: platform.createdAt,
  authenticatedTips: platform.authenticatedTips ?? false,
  secretIds: activeSecrets(platform.secrets, new Date()).map((entry) => entry.secretId),
  secrets: activeSecrets(platform.secrets, new Date()).map(
    ({ secretId, createdAt, expiresAt }) => ({
      secretId,
      createdAt,
      ...(expiresAt ? { expiresAt } : {}),
    }),
  ),
});

/** `--grace` in seconds; a bad value is a usage error (exit 2). */
const parseGrace = (raw: string): number => {
  try {
    return parseGracePeriod(raw, '--grace');
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
};

export const registerPlatform = (program: Command, run: ActionRunner) => {
  const platform = program
    .command('platform')
    .description(
      'manage API platforms and their signing secrets (DynamoDB: the local stack, or TIPSTREAM_PLATFORMS_TABLE)',
    );
  platform
    .command('create')
    .description('register a platform; prints its signing secret once')
    .argument('<platformId>', '1-64 of A-Z a-z 0-9 . _ -')
    .option('--daily-limit-sats <sats>', "the platform's daily budget", '1000000')
    .option('--name <name>', 'display name')
    .option(
      '--no-authenticated-tips',
      'tips are plain keysend by default (default: shared-secret preimages creators can verify)',
    )
    .action(
      run(
        async (
          ctx: CliContext,
          platformId: string,
          options: { dailyLimitSats: string; name?: string; authenticatedTips: boolean },
        ) => {
          const dailyLimitSats = parsePositiveInt(options.dailyLimitSats, '--daily-limit-sats');
          const { platform: created, secret } = await withAdmin(ctx, (store) =>
            createPlatform(store, {
              platformId,
              name: options.name,
              dailyLimitSats,
              authenticatedTips: options.authenticatedTips,
            }),
          );
          ctx.printJson({ ...platformSummary(created), secret });
          if (!ctx.json) ctx.io.stdout.write(describeCreated(created, secret));
        },
      ),
    );
  platform
    .command('rotate-secret')
    .description(
      'issue a new signing secret; the previous one stays valid for the grace period, then expires (--grace 0: revoked at once, for a leaked secret)',
    )
    .argument('<platformId>')
    .option(
      '--grace <duration>',
      'how long the previous secret stays valid: 0, 90s, 30m, 24h, 7d',
      '24h',
    )
    .action(
      run(async (ctx: CliContext, platformId: string, options: { grace: string }) => {
        const graceSeconds = parseGrace(options.grace);
        const { platform: rotated, secret } = await withAdmin(ctx, (store) =>
          rotatePlatformSecret(store, platformId, { graceSeconds }),
        );
        ctx.printJson({ ...platformSummary(rotated), secret });
        if (!ctx.json) ctx.io.stdout.write(describeRotated(rotated, secret));
      }),
    );
  platform
    .command('revoke-secret')
    .description(
      'revoke one signing secret at once (a leaked one): requests signed with it are refused from now on',
    )
    .argument('<platformId>')
    .argument('<secretId>', 'the sec_… id "platform list" shows (never the secret itself)')
    .action(
      run(async (ctx: CliContext, platformId: string, secretId: string) => {
        const revoked = await withAdmin(ctx, (store) =>
          revokePlatformSecret(store, platformId, secretId),
        );
        ctx.printJson({ ...platformSummary(revoked), revoked: secretId });
        if (!ctx.json) ctx.io.stdout.write(describeRevoked(revoked, secretId));
      }),
    );
  platform
    .command('list')
    .description(
      'every platform with its daily limit and active secrets: ids and expiry, never the secrets',
    )
    .action(
      run(async (ctx: CliContext) => {
        const platforms = await withAdmin(ctx, (store) => store.listPlatforms());
        ctx.printJson({ platforms: platforms.map(platformSummary) });
        if (!ctx.json) for (const entry of platforms) ctx.io.stdout.write(describePlatform(entry));
      }),
    );
  return platform;
};
