import { ValidationError } from './errors.js';

/** One of a platform's request-signing secrets. */
export interface SigningSecret {
  secretId: string;
  secret: string;
  createdAt: string;
  /** Set on a secret a rotation replaced: from then on it no longer verifies anything. */
  expiresAt?: string;
}

/** How long a replaced secret keeps verifying by default: a day to switch every server over. */
export const DEFAULT_SECRET_GRACE_SECONDS = 24 * 60 * 60;
/** Older secrets a rotation keeps in their grace period (a second rotation retires the oldest). */
const MAX_PREVIOUS_SECRETS = 1;

/** Whether `secret` still verifies requests at `now`. */
const isSecretActive = (secret: SigningSecret, now: Date): boolean =>
  secret.expiresAt === undefined || Date.parse(secret.expiresAt) > now.getTime();

/** The secrets that verify requests at `now`, newest first; expired ones are ignored. */
export const activeSecrets = (secrets: readonly SigningSecret[], now: Date): SigningSecret[] =>
  secrets.filter((secret) => isSecretActive(secret, now));

/**
 * The secrets after a rotation: `fresh` first, then the still-active previous ones, each expiring
 * at the latest `graceSeconds` from `now` (0: at once, so they are dropped), at most
 * `MAX_PREVIOUS_SECRETS` of them; expired ones are dropped.
 */
export const rotateSecrets = (
  current: readonly SigningSecret[],
  fresh: SigningSecret,
  now: Date,
  graceSeconds: number,
): SigningSecret[] => {
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0) {
    throw new ValidationError('grace', `grace ${graceSeconds} must be whole seconds, 0 or more`);
  }
  const graceEnd = now.getTime() + graceSeconds * 1000;
  const previous = activeSecrets(current, now)
    .map((secret) => ({
      ...secret,
      expiresAt: new Date(
        Math.min(graceEnd, secret.expiresAt ? Date.parse(secret.expiresAt) : graceEnd),
      ).toISOString(),
    }))
    .filter((secret) => isSecretActive(secret, now))
    .slice(0, MAX_PREVIOUS_SECRETS);
  return [fresh, ...previous];
};

/**
 * The secrets without `secretId`, revoked at once (a leaked secret). The last active secret is
 * not revoked alone: the platform would be locked out; a rotation with no grace replaces it.
 */
export const revokeSecret = (
  current: readonly SigningSecret[],
  secretId: string,
  now: Date,
): SigningSecret[] => {
  const active = activeSecrets(current, now);
  if (!active.some((secret) => secret.secretId === secretId)) {
    throw new ValidationError(
      'secretId',
      `no active secret ${secretId}; active secrets: ${active.map((secret) => secret.secretId).join(', ') || 'none'}`,
    );
  }
  if (active.length === 1) {
    throw new ValidationError(
      'secretId',
      `${secretId} is the only active secret: rotate with no grace period instead ("rotate-secret <platformId> --grace 0" issues a new secret and revokes it in one step)`,
    );
  }
  return active.filter((secret) => secret.secretId !== secretId);
};

/** Parses a grace period such as `0`, `90s`, `30m`, `24h` or `7d` into whole seconds. */
export const parseGracePeriod = (raw: string, field = 'grace'): number => {
  const match = /^([0-9]{1,7})([smhd]?)$/.exec(raw.trim());
  const unit = { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 }[match?.[2] ?? ''];
  if (!match || unit === undefined) {
    throw new ValidationError(
      field,
      `${field} "${raw}" must be a whole number with an optional unit s, m, h or d (e.g. 0, 30m, 24h, 7d)`,
    );
  }
  return Number(match[1]) * unit;
};
