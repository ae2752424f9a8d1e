import { randomBytes } from 'node:crypto';
import { PLATFORM_ID_PATTERN, PLATFORM_ID_RULE } from '../domain/ids.js';
import type { PlatformRecord, PlatformStore } from '../ports/intake.js';

export class PlatformAdminError extends Error {
  override name = 'PlatformAdminError';
}

/** A new signing secret: 32 random bytes, base64url, with a prefix that says what it is. */
export const newPlatformSecret = (now: Date) => ({
  secretId: `sec_${randomBytes(6).toString('hex')}`,
  secret: `tss_${randomBytes(32).toString('base64url')}`,
  createdAt: now.toISOString(),
});

/** Registers a platform with its first signing secret; returns the secret (shown once). */
export const createPlatform = async (
  store: PlatformStore,
  input: { platformId: string; name?: string; dailyLimitSats: number },
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
  };
  await store.createPlatform(platform);
  return { platform, secret: secret.secret };
};

/**
 * Adds a new signing secret and keeps the previous one active, so the platform can switch its
 * servers over without a failed request; a second rotation retires the oldest.
 */
export const rotatePlatformSecret = async (
  store: PlatformStore,
  platformId: string,
  now = new Date(),
): Promise<{ platform: PlatformRecord; secret: string }> => {
  if (!(await store.getPlatform(platformId))) {
    throw new PlatformAdminError(`no platform ${platformId}; create it first`);
  }
  const secret = newPlatformSecret(now);
  const platform = await store.addSecret(platformId, secret, 1);
  return { platform, secret: secret.secret };
};
