import type { Command } from 'commander';
import type { openPlatformAdmin } from '../../infra/local/platform-admin.js';
import { PlatformAdminError } from '../../shared/app/platforms.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { parseGracePeriod } from '../../shared/domain/platform-secrets.js';
import { PlatformExistsError } from '../../shared/ports/intake.js';
import type { CliContext } from '../context.js';
import { UnreachableError, UsageError } from '../errors.js';
import { projectDir } from '../target.js';
import { type ActionRunner, parsePositiveInt } from './common.js';

const platformAdmin = () => import('../../infra/local/platform-admin.js');

/** Runs one platform admin step with the DynamoDB client closed after, errors mapped to exit codes. */
const withAdmin = async <T>(
  ctx: CliContext,
  step: (admin: Awaited<ReturnType<typeof openPlatformAdmin>>) => Promise<T>,
): Promise<T> => {
  // The DynamoDB client is loaded only by the platform commands (start-up time of the others).
  const { NoPlatformTableError, openPlatformAdmin } = await platformAdmin();
  let admin: Awaited<ReturnType<typeof openPlatformAdmin>>;
  try {
    admin = await openPlatformAdmin(ctx.env, projectDir);
  } catch (error) {
    if (error instanceof NoPlatformTableError) throw new UnreachableError(error.message);
    throw error;
  }
  try {
    return await step(admin);
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
    .action(
      run(
        async (
          ctx: CliContext,
          platformId: string,
          options: { dailyLimitSats: string; name?: string },
        ) => {
          const dailyLimitSats = parsePositiveInt(options.dailyLimitSats, '--daily-limit-sats');
          const { platform: created, secret } = await withAdmin(ctx, (admin) =>
            admin.create({ platformId, name: options.name, dailyLimitSats }),
          );
          const { describeCreated, platformSummary } = await platformAdmin();
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
        const { platform: rotated, secret } = await withAdmin(ctx, (admin) =>
          admin.rotateSecret(platformId, graceSeconds),
        );
        const { describeRotated, platformSummary } = await platformAdmin();
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
        const revoked = await withAdmin(ctx, (admin) => admin.revokeSecret(platformId, secretId));
        const { describeRevoked, platformSummary } = await platformAdmin();
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
        const platforms = await withAdmin(ctx, (admin) => admin.list());
        const { describePlatform, platformSummary } = await platformAdmin();
        ctx.printJson({ platforms: platforms.map(platformSummary) });
        if (!ctx.json) for (const entry of platforms) ctx.io.stdout.write(describePlatform(entry));
      }),
    );
  return platform;
};
