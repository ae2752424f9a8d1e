import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  activeSecrets,
  parseGracePeriod,
  revokeSecret,
  rotateSecrets,
  type SigningSecret,
} from '../../../shared/domain/platform-secrets.js';
import { thrown } from './helpers.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const secret = (id: string, expiresAt?: string): SigningSecret => ({
  secretId: id,
  secret: `tss_${id}`,
  createdAt: '2026-11-01T00:00:00Z',
  ...(expiresAt ? { expiresAt } : {}),
});
const ids = (secrets: SigningSecret[]) =>
  secrets.map((entry) => `${entry.secretId}${entry.expiresAt ? `@${entry.expiresAt}` : ''}`);

describe('activeSecrets', () => {
  it.each([
    { description: 'no expiry', secrets: [secret('a')], active: ['a'] },
    {
      description: 'an expiry in the future',
      secrets: [secret('a'), secret('b', '2026-11-30T12:00:01Z')],
      active: ['a', 'b'],
    },
    {
      description: 'an expiry exactly now (expired)',
      secrets: [secret('a'), secret('b', '2026-11-30T12:00:00.000Z')],
      active: ['a'],
    },
    {
      description: 'an expiry in the past',
      secrets: [secret('a'), secret('b', '2026-11-29T12:00:00Z')],
      active: ['a'],
    },
  ])('ignores expired secrets: $description', ({ secrets, active }) => {
    expect(activeSecrets(secrets, NOW).map((entry) => entry.secretId)).toEqual(active);
  });
});

describe('rotateSecrets', () => {
  it.each([
    {
      description: 'the previous secret expires after the grace period (a day)',
      current: [secret('a')],
      grace: 86_400,
      after: ['new', 'a@2026-12-01T12:00:00.000Z'],
    },
    {
      description: 'grace 0 revokes the previous secret at once (a leaked secret)',
      current: [secret('a')],
      grace: 0,
      after: ['new'],
    },
    {
      description: 'an earlier expiry is kept (a rotation never extends a grace period)',
      current: [secret('a', '2026-11-30T13:00:00.000Z')],
      grace: 86_400,
      after: ['new', 'a@2026-11-30T13:00:00.000Z'],
    },
    {
      description: 'a second rotation retires the oldest (one previous secret at most)',
      current: [secret('b'), secret('a', '2026-12-01T00:00:00.000Z')],
      grace: 3_600,
      after: ['new', 'b@2026-11-30T13:00:00.000Z'],
    },
    {
      description: 'expired secrets are dropped',
      current: [secret('b', '2026-11-29T00:00:00.000Z')],
      grace: 3_600,
      after: ['new'],
    },
  ])('$description', ({ current, grace, after }) => {
    expect(ids(rotateSecrets(current, secret('new'), NOW, grace))).toEqual(after);
  });

  it('refuses a negative or fractional grace period', () => {
    for (const grace of [-1, 0.5, Number.NaN]) {
      expect(thrown(() => rotateSecrets([], secret('new'), NOW, grace))).toBeInstanceOf(
        ValidationError,
      );
    }
  });
});

describe('revokeSecret', () => {
  it('removes the secret at once', () => {
    expect(ids(revokeSecret([secret('b'), secret('a', '2026-12-01T00:00:00Z')], 'a', NOW))).toEqual(
      ['b'],
    );
    expect(ids(revokeSecret([secret('b'), secret('a', '2026-12-01T00:00:00Z')], 'b', NOW))).toEqual(
      ['a@2026-12-01T00:00:00Z'],
    );
  });

  it.each([
    {
      description: 'an unknown secret id',
      secrets: [secret('b'), secret('a')],
      id: 'zzz',
      error: /^no active secret zzz; active secrets: b, a$/,
    },
    {
      description: 'an expired secret (already inactive)',
      secrets: [secret('b'), secret('a', '2026-11-01T00:00:00Z')],
      id: 'a',
      error: /^no active secret a; active secrets: b$/,
    },
    {
      description: 'the only active secret (the platform would be locked out)',
      secrets: [secret('b'), secret('a', '2026-11-01T00:00:00Z')],
      id: 'b',
      error: /b is the only active secret: rotate with no grace period instead .*--grace 0/,
    },
  ])('refuses $description', ({ secrets, id, error }) => {
    const err = thrown(() => revokeSecret(secrets, id, NOW));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });
});

describe('parseGracePeriod', () => {
  it.each([
    { raw: '0', seconds: 0 },
    { raw: '90', seconds: 90 },
    { raw: '90s', seconds: 90 },
    { raw: '30m', seconds: 1_800 },
    { raw: '24h', seconds: 86_400 },
    { raw: '7d', seconds: 604_800 },
  ])('$raw is $seconds s', ({ raw, seconds }) => {
    expect(parseGracePeriod(raw)).toBe(seconds);
  });

  it.each(['', '-1', '1.5h', '24 hours', 'h', '1w', '99999999'])('refuses %j', (raw) => {
    expect(thrown(() => parseGracePeriod(raw, '--grace')).message).toMatch(
      /^--grace ".*" must be a whole number with an optional unit s, m, h or d/,
    );
  });
});
