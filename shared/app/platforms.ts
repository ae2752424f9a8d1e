import { randomBytes } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';
import { PLATFORM_ID_PATTERN, PLATFORM_ID_RULE } from '../domain/ids.js';
import {
  DEFAULT_SECRET_GRACE_SECONDS,
  revokeSecret,
  rotateSecrets,
  type SigningSecret,
} from '../domain/platform-secrets.js';
import type { PlatformRecord, PlatformStore } from '../ports/intake.js';

export class PlatformAdminError extends Error {
  override name = 'PlatformAdminError';
}

/** A new signing secret: 32 random bytes, base64url, with a prefix that says what it is. */
export const newPlatformSecret = (now: Date): SigningSecret => ({
  secretId: `sec_${randomBytes(6).toString('hex')}`,
  secret: `tss_${randomBytes(32).toString('base64url')}`,
  createdAt: now.toISOString(),
});

/** Registers a platform with its first signing secret; returns the secret (shown once). */
export const createPlatform = async (
  store: PlatformStore,
  input: {
    platformId: string;
    name?: string;
    dailyLimitSats: number;
    /** Shared-secret preimages by default (on unless said otherwise). */
    authenticatedTips?: boolean;
  },
  now = new Date(),
): Promise<{ platform: PlatformRecord; secret: string }> => {
  if (!PLATFORM_ID_PATTERN.test(input.platformId)) {
    throw new PlatformAdminError(`platform id must be ${PLATFORM_ID_RULE}`);
  }
  if (!Number.isSafeInteger(input.dailyLimitSats) || input.dailyLimitSats <= 0) {
    throw new PlatformAdminError('daily limit must be a whole number of sats greater than 0');
  }
  const secret = newPlatformSecret(now);
  const platform: PlatformRecord = {
    platformId: input.platformId,
    name: input.name ?? input.platformId,
    secrets: [secret],
    dailyLimitSats: input.dailyLimitSats,
    createdAt: now.toISOString(),
    authenticatedTips: input.authenticatedTips ?? true,
  };
  await store.createPlatform(platform);
  return { platform, secret: secret.secret };
};

/**
 * Adds a new signing secret; the previous one keeps verifying for `graceSeconds` (default a day),
 * so the platform can switch its servers over without a failed request, then expires. Grace 0
 * replaces a leaked secret in one step.
 */
export const rotatePlatformSecret = async (
  store: PlatformStore,
  platformId: string,
  { graceSeconds = DEFAULT_SECRET_GRACE_SECONDS, now = new Date() } = {},
): Promise<{ platform: PlatformRecord; secret: string }> => {
  await requirePlatform(store, platformId);
  const secret = newPlatformSecret(now);
  const platform = await store.updateSecrets(platformId, (current) =>
    adminRule(() => rotateSecrets(current, secret, now, graceSeconds)),
  );
  return { platform, secret: secret.secret };
};

/** Revokes one secret at once (a leaked one): requests signed with it are refused from now on. */
export const revokePlatformSecret = async (
  store: PlatformStore,
  platformId: string,
  secretId: string,
  now = new Date(),
): Promise<PlatformRecord> => {
  await requirePlatform(store, platformId);
  return store.updateSecrets(platformId, (current) =>
    adminRule(() => revokeSecret(current, secretId, now)),
  );
};

const requirePlatform = async (store: PlatformStore, platformId: string) => {
  if (!(await store.getPlatform(platformId))) {
    throw new PlatformAdminError(`no platform ${platformId}; create it first`);
  }
};

/** A domain rule's refusal, said to the operator as an admin error (a usage error in the CLI). */
const adminRule = <T>(step: () => T): T => {
  try {
    return step();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new PlatformAdminError(error.message, { cause: error });
    throw error;
  }
};
