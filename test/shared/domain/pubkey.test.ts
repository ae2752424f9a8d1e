import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { parseNodePubkey } from '../../../shared/domain/pubkey.js';
import { G, pubkeyHex, thrown } from './helpers.js';

// x = 5: 5^3 + 7 = 132 is not a square mod p, so no point has this x.
const OFF_CURVE_X = `02${'5'.padStart(64, '0')}`;

describe('parseNodePubkey', () => {
  it.each([
    {
      description: 'a number is not a pubkey',
      args: 2,
      error: /pubkey must be a hex string, got number/,
    },
    { description: 'null is not a pubkey', args: null, error: /must be a hex string, got null/ },
    { description: 'undefined is not a pubkey', args: undefined, error: /got undefined/ },
    { description: 'empty string is too short', args: '', error: /is 0 chars, not 66/ },
    {
      description: 'an x-only (BIP-340) key is 64 chars',
      args: G.slice(2),
      error: /is 64 chars, not 66/,
    },
    {
      description: 'an uncompressed key is 130 chars',
      args: `04${'1'.repeat(128)}`,
      error: /is 130 chars, not 66: check it is the node's 33-byte compressed public key/,
    },
    { description: 'non-hex characters', args: `02${'g'.repeat(64)}`, error: /is not hex/ },
    { description: 'whitespace around the key', args: ` ${G.slice(1)}`, error: /is not hex/ },
    {
      description: 'prefix 04 (uncompressed marker)',
      args: `04${G.slice(2)}`,
      error: /starts with 04, not 02 or 03/,
    },
    { description: 'prefix 00', args: `00${G.slice(2)}`, error: /starts with 00, not 02 or 03/ },
    {
      description: 'x with no point on the curve',
      args: OFF_CURVE_X,
      error: /is not a point on secp256k1: check it is the node's 33-byte compressed public key/,
    },
    {
      description: 'x above the field prime',
      args: `03${'f'.repeat(64)}`,
      error: /is not a point on secp256k1/,
    },
    { description: 'x = 0', args: `02${'0'.repeat(64)}`, error: /is not a point on secp256k1/ },
  ])('rejects: $description', ({ args, error }) => {
    const e = thrown(() => parseNodePubkey(args));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toMatch(error);
  });

  it('names the field it was given', () => {
    const e = thrown(() => parseNodePubkey(OFF_CURVE_X, 'recipientPubkey'));
    expect(e).toMatchObject({ name: 'ValidationError', field: 'recipientPubkey' });
    expect(e.message).toBe(
      `recipientPubkey ${OFF_CURVE_X} is not a point on secp256k1: check it is the node's 33-byte compressed public key (66 hex chars)`,
    );
  });

  it.each([
    { description: 'the generator point (02)', args: G, expected: G },
    { description: 'an 02/03 key of a secret', args: pubkeyHex(3), expected: pubkeyHex(3) },
    { description: 'uppercase hex is lowercased', args: G.toUpperCase(), expected: G },
  ])('accepts: $description', ({ args, expected }) => {
    expect(parseNodePubkey(args)).toBe(expected);
  });

  it('accepts both y parities', () => {
    const keys = [1, 2, 3, 4, 5, 6].map(pubkeyHex);
    expect(new Set(keys.map((key) => key.slice(0, 2)))).toEqual(new Set(['02', '03']));
    for (const key of keys) expect(parseNodePubkey(key)).toBe(key);
  });

  it('answers the same when asked again (valid keys are remembered, invalid ones never)', () => {
    const flipped = `03${G.slice(2)}`; // G's x with the other parity: on the curve too
    for (let round = 0; round < 3; round += 1) {
      expect(parseNodePubkey(G)).toBe(G);
      expect(parseNodePubkey(flipped)).toBe(flipped);
      expect(thrown(() => parseNodePubkey(OFF_CURVE_X)).message).toMatch(/not a point/);
      expect(thrown(() => parseNodePubkey(`02${'f'.repeat(64)}`)).message).toMatch(/not a point/);
    }
  });
});
