import { createHash } from 'node:crypto';
import { schnorr } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  boostDigest,
  signBoost,
  verifyBoostSignature,
} from '../../../shared/domain/nostr-boost.js';
import { secretKey, thrown } from './helpers.js';
import '../../../shared/domain/secp.js';

const nostrKey = secretKey(0x11);
const boost = {
  action: 'boost',
  app_name: 'Fountain',
  message: 'great show',
  value_msat_total: 21_000,
};
const signed = signBoost(boost, nostrKey);

describe('boostDigest', () => {
  it('is sha256 of the canonical JSON without the signature (keys sorted, no whitespace)', () => {
    const expected = createHash('sha256')
      .update(
        `{"action":"boost","app_name":"Fountain","message":"great show","sender_id":"${signed.sender_id}","value_msat_total":21000}`,
      )
      .digest('hex');
    expect(Buffer.from(boostDigest(signed)).toString('hex')).toBe(expected);
  });

  it('does not depend on key order', () => {
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(boostDigest(reordered)).toEqual(boostDigest(signed));
  });
});

describe('signBoost / verifyBoostSignature', () => {
  it('signs with the x-only Nostr key and verifies with sender_id', () => {
    expect(signed.sender_id).toBe(Buffer.from(schnorr.getPublicKey(nostrKey)).toString('hex'));
    expect(verifyBoostSignature(signed)).toBe(signed.sender_id);
  });

  it('leaves an unsigned boost alone', () => {
    expect(verifyBoostSignature(boost)).toBeUndefined();
  });

  const other = signBoost(boost, secretKey(0x22));
  it.each([
    {
      description: 'a signature without sender_id',
      args: { ...boost, signature: signed.signature },
      field: 'boostagram.sender_id',
      error: /is required with boostagram.signature/,
    },
    {
      description: 'sender_id without a signature',
      args: { ...boost, sender_id: signed.sender_id },
      field: 'boostagram.signature',
      error: /an unsigned sender_id is a claim no one can check/,
    },
    {
      description: 'an npub instead of hex',
      args: { ...signed, sender_id: 'npub1xyz' },
      field: 'boostagram.sender_id',
      error: /64 lowercase hex chars \(not npub…\)/,
    },
    {
      description: 'upper-case hex sender_id',
      args: { ...signed, sender_id: signed.sender_id.toUpperCase() },
      field: 'boostagram.sender_id',
      error: /64 lowercase hex/,
    },
    {
      description: 'a sender_id off the curve',
      args: { ...signed, sender_id: 'ff'.repeat(32) },
      field: 'boostagram.sender_id',
      error: /not a point on secp256k1/,
    },
    {
      description: 'a number as signature',
      args: { ...signed, signature: 7 },
      field: 'boostagram.signature',
      error: /128 lowercase hex/,
    },
    {
      description: 'a DER ECDSA signature',
      args: { ...signed, signature: `3044${'00'.repeat(68)}` },
      field: 'boostagram.signature',
      error: /128 lowercase hex/,
    },
    {
      description: 'a changed message',
      args: { ...signed, message: 'other show' },
      field: 'boostagram.signature',
      error: /does not verify with sender_id/,
    },
    {
      description: 'an added sender_name',
      args: { ...signed, sender_name: 'satoshi' },
      field: 'boostagram.signature',
      error: /does not verify/,
    },
    {
      description: "another key's signature",
      args: { ...signed, signature: other.signature },
      field: 'boostagram.signature',
      error: /does not verify/,
    },
    {
      description: "another key's sender_id",
      args: { ...signed, sender_id: other.sender_id },
      field: 'boostagram.signature',
      error: /does not verify/,
    },
  ])('refuses $description, naming $field', ({ args, field, error }) => {
    const e = thrown(() => verifyBoostSignature(args as never));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e).toMatchObject({ field });
    expect(e.message).toMatch(error);
  });
});
