import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { parsePlatformId, parseTipId } from '../../../shared/domain/ids.js';
import { thrown } from './helpers.js';

describe('parseTipId', () => {
  it.each([
    { description: 'a number', args: 1 },
    { description: 'empty', args: '' },
    { description: '256 chars', args: 't'.repeat(256) },
    { description: 'a space', args: 'a b' },
    { description: 'a slash', args: 'a/b' },
    { description: 'a newline', args: 'a\n' },
    { description: 'non-ASCII', args: 'tïp' },
  ])('rejects $description', ({ args }) => {
    const e = thrown(() => parseTipId(args));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe(
      'tipId must be 1 to 255 characters of A-Z a-z 0-9 . _ : @ - (it is the idempotency key)',
    );
  });

  it.each([
    't',
    'x'.repeat(255),
    'platform:user@host.tld_1-2',
    '550e8400-e29b-41d4-a716-446655440000',
  ])('accepts %s', (id) => {
    expect(parseTipId(id)).toBe(id);
  });
});

describe('parsePlatformId', () => {
  it.each([
    { description: 'a colon', args: 'a:b' },
    { description: 'an at sign', args: 'a@b' },
    { description: '65 chars', args: 'p'.repeat(65) },
    { description: 'empty', args: '' },
    { description: 'null', args: null },
  ])('rejects $description', ({ args }) => {
    expect(thrown(() => parsePlatformId(args)).message).toBe(
      'platformId must be 1 to 64 characters of A-Z a-z 0-9 . _ -',
    );
  });

  it('accepts a hostname-like id', () => {
    expect(parsePlatformId('stream.example_1-a')).toBe('stream.example_1-a');
  });
});
