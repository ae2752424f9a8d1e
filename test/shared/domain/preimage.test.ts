import { createHash, createHmac, randomBytes } from 'node:crypto';
import { getPublicKey, getSharedSecret, utils } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import type { Preimage, TipId } from '../../../shared/domain/brands.js';
import { ByteLengthError } from '../../../shared/domain/errors.js';
import { parseTipId } from '../../../shared/domain/ids.js';
import {
  derivePreimage,
  deriveSharedSecretPreimage,
  lndSharedSecret,
  parsePreimage,
  paymentHashOf,
} from '../../../shared/domain/preimage.js';
import { secretKey, thrown } from './helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const tipId = parseTipId('tip-1');

describe('derivePreimage', () => {
  it('matches a fixed vector', () => {
    // HMAC-SHA256(key = 00 01 … 1f, "tipstream:v1:tip-1"), computed once with node:crypto.
    expect(hex(derivePreimage(key, tipId))).toBe(
      '722fb585fa487379ebc2ee9d86f0e0eece005f0952f1b85709ad29edd9755e70',
    );
  });

  it.each([
    { description: 'an ascii id', args: 'tip-1' },
    { description: 'an id with every allowed punctuation', args: 'a.b_c:d@e-f' },
    { description: 'the longest id', args: 'x'.repeat(255) },
  ])('is HMAC-SHA256(key, "tipstream:v1:" + tipId) for $description', ({ args }) => {
    const expected = createHmac('sha256', key).update(`tipstream:v1:${args}`).digest('hex');
    expect(hex(derivePreimage(key, parseTipId(args)))).toBe(expected);
  });

  it('is deterministic per tip and differs between tips and keys', () => {
    const other = new Uint8Array(32).fill(9);
    expect(derivePreimage(key, tipId)).toEqual(derivePreimage(key, tipId));
    expect(derivePreimage(key, tipId)).not.toEqual(derivePreimage(key, parseTipId('tip-2')));
    expect(derivePreimage(key, tipId)).not.toEqual(derivePreimage(other, tipId));
  });

  it('accepts keys longer than 32 bytes', () => {
    const long = randomBytes(64);
    expect(hex(derivePreimage(long, tipId))).toBe(
      createHmac('sha256', long).update('tipstream:v1:tip-1').digest('hex'),
    );
  });

  it.each([
    { description: 'an empty key', args: new Uint8Array(), error: /got 0 bytes/ },
    { description: 'a 31-byte key', args: new Uint8Array(31), error: /got 31 bytes/ },
    { description: 'a hex string instead of bytes', args: 'ab'.repeat(32), error: /got string/ },
  ])('rejects $description', ({ args, error }) => {
    const e = thrown(() => derivePreimage(args as Uint8Array, tipId));
    expect(e).toBeInstanceOf(ByteLengthError);
    expect(e).toMatchObject({ field: 'preimageKey' });
    expect(e.message).toMatch(/preimageKey must be at least 32 random bytes/);
    expect(e.message).toMatch(error);
  });
});

describe('paymentHashOf', () => {
  it('is sha256 of the preimage', () => {
    const preimage = derivePreimage(key, tipId);
    expect(hex(paymentHashOf(preimage))).toBe(
      'bb4bb8accf240971e1bd9f90b4c82b3d2d123de0775c6fc58993fabbf359b503',
    );
    expect(hex(paymentHashOf(preimage))).toBe(createHash('sha256').update(preimage).digest('hex'));
  });

  it('rejects a preimage that is not 32 bytes', () => {
    expect(thrown(() => paymentHashOf(new Uint8Array(33) as Preimage)).message).toBe(
      'preimage must be exactly 32 bytes, got 33 bytes',
    );
  });
});

describe('parsePreimage', () => {
  it.each([
    {
      description: 'preimage of 0 bytes',
      fn: parsePreimage,
      args: new Uint8Array(),
      error: /^preimage must be exactly 32 bytes, got 0 bytes$/,
    },
    {
      description: 'preimage of 64 bytes',
      fn: parsePreimage,
      args: new Uint8Array(64),
      error: /got 64 bytes/,
    },
    {
      description: 'preimage as an array of numbers',
      fn: parsePreimage,
      args: Array(32).fill(0),
      error: /preimage must be a Uint8Array of 32 bytes, got object/,
    },
  ])('rejects $description', ({ fn, args, error }) => {
    expect(thrown(() => fn(args as Uint8Array)).message).toMatch(error);
  });

  it('brands 32 bytes unchanged', () => {
    const bytes = randomBytes(32);
    expect(parsePreimage(bytes)).toBe(bytes);
  });
});

describe('lndSharedSecret', () => {
  it('matches the BOLT 4 onion vector (sha256 of the compressed ECDH point)', () => {
    // BOLT 4 test vector: session key 0x41…41 with hop 0's node id gives this shared secret,
    // computed by LND's sphinx with the same ECDH as DeriveSharedKey.
    const hop0 = Buffer.from(
      '02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619',
      'hex',
    );
    expect(hex(lndSharedSecret(secretKey(0x41), hop0))).toBe(
      '53eb63ea8a3fec3b3cd433b85cd62a4b145e1dda09391b348c4e1cd36a03ea66',
    );
  });

  it('is the same on both sides', () => {
    const operator = utils.randomSecretKey();
    const creator = utils.randomSecretKey();
    const fromOperator = lndSharedSecret(operator, getPublicKey(creator));
    const fromCreator = lndSharedSecret(creator, getPublicKey(operator));
    expect(fromOperator).toEqual(fromCreator);
    expect(hex(fromOperator)).toBe(
      createHash('sha256')
        .update(getSharedSecret(operator, getPublicKey(creator), true))
        .digest('hex'),
    );
  });

  it.each([
    {
      description: 'a 31-byte private key',
      args: [new Uint8Array(31), getPublicKey(secretKey(1))],
      error: /privateKey must be exactly 32 bytes, got 31 bytes/,
    },
    {
      description: 'an uncompressed public key',
      args: [secretKey(1), getPublicKey(secretKey(2), false)],
      error: /publicKey must be exactly 33 bytes, got 65 bytes/,
    },
    {
      description: 'an x-only public key',
      args: [secretKey(1), getPublicKey(secretKey(2)).slice(1)],
      error: /publicKey must be exactly 33 bytes, got 32 bytes/,
    },
  ])('rejects $description', ({ args: [priv, pub], error }) => {
    expect(thrown(() => lndSharedSecret(priv as Uint8Array, pub as Uint8Array)).message).toMatch(
      error,
    );
  });
});

describe('deriveSharedSecretPreimage', () => {
  it('lets operator and recipient derive the same preimage from their own keys', () => {
    const operator = utils.randomSecretKey();
    const creator = utils.randomSecretKey();
    const id = parseTipId('boost:42');
    const operatorSide = deriveSharedSecretPreimage(
      lndSharedSecret(operator, getPublicKey(creator)),
      id,
    );
    const creatorSide = deriveSharedSecretPreimage(
      lndSharedSecret(creator, getPublicKey(operator)),
      id,
    );
    expect(operatorSide).toEqual(creatorSide);
    const stranger = utils.randomSecretKey();
    expect(
      deriveSharedSecretPreimage(lndSharedSecret(stranger, getPublicKey(creator)), id),
    ).not.toEqual(operatorSide);
  });

  it('is HMAC-SHA256(secret, "tipstream:ecdh:v1:" + tipId), not the plain-key derivation', () => {
    const secret = new Uint8Array(32).fill(0x5a);
    const expected = createHmac('sha256', secret).update('tipstream:ecdh:v1:tip-1').digest('hex');
    expect(hex(deriveSharedSecretPreimage(secret, tipId))).toBe(expected);
    expect(deriveSharedSecretPreimage(secret, tipId)).not.toEqual(derivePreimage(secret, tipId));
  });

  it.each([
    { description: 'the raw 33-byte noble point', args: new Uint8Array(33) },
    { description: 'a 16-byte secret', args: new Uint8Array(16) },
  ])('rejects $description', ({ args }) => {
    expect(thrown(() => deriveSharedSecretPreimage(args, 'tip-1' as TipId)).message).toMatch(
      /^sharedSecret must be exactly 32 bytes/,
    );
  });
});
