import { createHash } from 'node:crypto';
import { schnorr } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { createReceiptSigner } from '../../../shared/adapters/crypto/receipt-signer.js';
import { ReceiptError } from '../../../shared/domain/errors.js';
import {
  canonicalReceiptBytes,
  RECEIPT_TAG,
  type Receipt,
  type ReceiptSigner,
  receiptDigest,
  type SignedReceipt,
  signReceipt,
  verifyReceipt,
} from '../../../shared/domain/receipt.js';
import { G, pubkeyHex, secretKey, thrown } from './helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

const operatorKey = secretKey(0x11);
const operatorPubkey = hex(schnorr.getPublicKey(operatorKey));
const operatorSigner = createReceiptSigner(operatorKey);
const otherKey = secretKey(0x22);
const otherSigner = createReceiptSigner(otherKey);
const otherPubkey = hex(schnorr.getPublicKey(otherKey));
const preimage = '07'.repeat(32);

const receipt: Receipt = {
  version: 1,
  tipId: 'stream.example:tip-1',
  platformId: 'stream.example',
  recipient: G,
  amountMsat: '21000',
  feeMsat: '3',
  paymentHash: sha256Hex(Buffer.from(preimage, 'hex')),
  preimage,
  hops: [pubkeyHex(5), G],
  settledAt: '2026-01-02T03:04:05.678Z',
  attempts: 1,
  operatorPubkey,
};
const signed = signReceipt(receipt, operatorSigner);

/** Flips the lowest bit of hex char `index`. */
const flipHex = (value: string, index = 0) =>
  value.slice(0, index) +
  (Number.parseInt(value[index] ?? '0', 16) ^ 1).toString(16) +
  value.slice(index + 1);

describe('canonicalReceiptBytes', () => {
  it('sorts keys and has no whitespace', () => {
    const text = new TextDecoder().decode(canonicalReceiptBytes(receipt));
    expect(text.startsWith('{"amountMsat":"21000","attempts":1,"feeMsat":"3","hops":[')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(JSON.parse(text)).toEqual(receipt);
  });

  it('does not depend on key order', () => {
    const reversed = Object.fromEntries(Object.entries(receipt).reverse()) as Receipt;
    expect(canonicalReceiptBytes(reversed)).toEqual(canonicalReceiptBytes(receipt));
  });
});

describe('receiptDigest', () => {
  it('is the BIP-340 tagged hash of the canonical bytes', () => {
    const tag = createHash('sha256').update(RECEIPT_TAG).digest();
    const expected = createHash('sha256')
      .update(tag)
      .update(tag)
      .update(canonicalReceiptBytes(receipt))
      .digest('hex');
    expect(RECEIPT_TAG).toBe('tipstream/receipt/v1');
    expect(hex(receiptDigest(receipt))).toBe(expected);
  });
});

describe('signReceipt', () => {
  it('signs with BIP-340 over the digest', () => {
    expect(signed.receipt).toEqual(receipt);
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(
      schnorr.verify(
        Buffer.from(signed.signature, 'hex'),
        receiptDigest(receipt),
        schnorr.getPublicKey(operatorKey),
      ),
    ).toBe(true);
  });

  it("fills operatorPubkey from the signer's key when it is left out", () => {
    const { operatorPubkey: _omitted, ...unsigned } = receipt;
    expect(signReceipt(unsigned, operatorSigner).receipt.operatorPubkey).toBe(operatorPubkey);
  });

  it.each([
    {
      description: 'a signer that returns a short signature',
      args: [receipt, { publicKey: operatorPubkey, sign: () => new Uint8Array(63) }],
      error: /signature must be exactly 64 bytes, got 63 bytes/,
    },
    {
      description: "a signer with another operator's key",
      args: [receipt, otherSigner],
      error:
        /^cannot sign: receipt\.operatorPubkey [0-9a-f]{64} is not the key's public key [0-9a-f]{64}$/,
    },
    {
      description: 'a preimage that does not match the hash',
      args: [{ ...receipt, preimage: '08'.repeat(32) }, operatorSigner],
      error: /^cannot sign: sha256\(receipt\.preimage\) does not equal receipt\.paymentHash$/,
    },
    {
      description: 'a malformed amount',
      args: [{ ...receipt, amountMsat: '21000.0' }, operatorSigner],
      error: /^cannot sign: amountMsat must be a positive decimal string of msat$/,
    },
    {
      description: 'an unknown field',
      args: [{ ...receipt, memo: 'x' }, operatorSigner],
      error: /^cannot sign: unknown field memo$/,
    },
  ] as { description: string; args: [Receipt, ReceiptSigner]; error: RegExp }[])(
    'refuses $description',
    ({ args, error }) => {
      const e = thrown(() => signReceipt(...args));
      expect(e.message).toMatch(error);
    },
  );

  it('throws ReceiptError for a receipt it cannot stand behind, before anything is signed', () => {
    const signedDigests: Uint8Array[] = [];
    const spy: ReceiptSigner = {
      publicKey: otherSigner.publicKey,
      sign: (digest) => {
        signedDigests.push(digest);
        return otherSigner.sign(digest);
      },
    };
    expect(thrown(() => signReceipt(receipt, spy))).toBeInstanceOf(ReceiptError);
    expect(signedDigests).toEqual([]);
  });
});

describe('verifyReceipt', () => {
  it.each([
    { description: 'a signed receipt', args: [signed] },
    { description: 'the same receipt from JSON', args: [JSON.parse(JSON.stringify(signed))] },
    { description: 'with the expected operator key', args: [signed, operatorPubkey] },
    {
      description: 'with the expected key in uppercase',
      args: [signed, operatorPubkey.toUpperCase()],
    },
    { description: 'no hops', args: [signReceipt({ ...receipt, hops: [] }, operatorSigner)] },
  ] as { description: string; args: [unknown, string?] }[])('accepts $description', ({ args }) => {
    expect(verifyReceipt(...args)).toEqual({ ok: true });
  });

  const resigned = (changes: Partial<Receipt>): SignedReceipt => ({
    receipt: { ...receipt, ...changes },
    signature: signed.signature,
  });
  const badSignature =
    /^signature does not verify for operatorPubkey [0-9a-f]{64}: the receipt was altered or signed with another key$/;

  it.each([
    // Altered after signing: only the signature can tell.
    {
      description: 'the amount raised',
      args: [resigned({ amountMsat: '210000' })],
      reason: badSignature,
    },
    { description: 'the fee changed', args: [resigned({ feeMsat: '0' })], reason: badSignature },
    {
      description: 'another recipient',
      args: [resigned({ recipient: pubkeyHex(9) })],
      reason: badSignature,
    },
    { description: 'another tip id', args: [resigned({ tipId: 'tip-2' })], reason: badSignature },
    {
      description: 'another settle time',
      args: [resigned({ settledAt: '2026-01-02T03:04:06.678Z' })],
      reason: badSignature,
    },
    { description: 'a hop removed', args: [resigned({ hops: [G] })], reason: badSignature },
    {
      description: 'a flipped signature bit',
      args: [{ ...signed, signature: flipHex(signed.signature, 127) }],
      reason: badSignature,
    },
    {
      description: 'a flipped bit in r',
      args: [{ ...signed, signature: flipHex(signed.signature, 0) }],
      reason: badSignature,
    },
    {
      description: "another operator's key claimed",
      args: [resigned({ operatorPubkey: otherPubkey })],
      reason: new RegExp(`^signature does not verify for operatorPubkey ${otherPubkey}`),
    },
    {
      description: "a receipt signed by someone else, checked against the operator's key",
      args: [signReceipt({ ...receipt, operatorPubkey: otherPubkey }, otherSigner), operatorPubkey],
      reason: new RegExp(
        `^receipt\\.operatorPubkey ${otherPubkey} is not the expected operator key ${operatorPubkey}$`,
      ),
    },
    // Inconsistent payment proof.
    {
      description: 'another preimage',
      args: [resigned({ preimage: '08'.repeat(32) })],
      reason:
        /^sha256\(receipt\.preimage\) does not equal receipt\.paymentHash [0-9a-f]{64}: the preimage does not prove this payment$/,
    },
    {
      description: 'another payment hash',
      args: [resigned({ paymentHash: flipHex(receipt.paymentHash, 63) })],
      reason: /^sha256\(receipt\.preimage\) does not equal receipt\.paymentHash/,
    },
    // Shape.
    {
      description: 'not an object',
      args: ['receipt'],
      reason: /^signed receipt must be an object$/,
    },
    {
      description: 'no signature',
      args: [{ receipt }],
      reason: /^signature must be a 64-byte signature as 128 hex chars$/,
    },
    {
      description: 'a short signature',
      args: [{ ...signed, signature: signed.signature.slice(2) }],
      reason: /^signature must be a 64-byte signature as 128 lowercase hex chars$/,
    },
    {
      description: 'an uppercase signature',
      args: [{ ...signed, signature: signed.signature.toUpperCase() }],
      reason: /^signature must be a 64-byte signature/,
    },
    {
      description: 'a numeric amount',
      args: [resigned({ amountMsat: 21000 as unknown as string })],
      reason: /^receipt\.amountMsat must be a decimal string$/,
    },
    {
      description: 'a zero amount',
      args: [resigned({ amountMsat: '0' })],
      reason: /^receipt\.amountMsat must be a positive decimal string of msat$/,
    },
    {
      description: 'a negative fee',
      args: [resigned({ feeMsat: '-1' })],
      reason: /^receipt\.feeMsat must be a non-negative decimal string of msat$/,
    },
    {
      description: 'a short preimage',
      args: [resigned({ preimage: '07'.repeat(31) })],
      reason: /^receipt\.preimage must be a 32-byte preimage as 64 lowercase hex chars$/,
    },
    {
      description: 'an uppercase payment hash',
      args: [resigned({ paymentHash: receipt.paymentHash.toUpperCase() })],
      reason: /^receipt\.paymentHash must be a 32-byte hash/,
    },
    {
      description: 'a compressed (33-byte) operator key',
      args: [resigned({ operatorPubkey: `02${operatorPubkey}` })],
      reason:
        /^receipt\.operatorPubkey must be an x-only \(BIP-340\) public key as 64 lowercase hex chars$/,
    },
    {
      description: 'an x-only recipient',
      args: [resigned({ recipient: G.slice(2) })],
      reason: /^receipt\.recipient must be a node pubkey or a Lightning Address$/,
    },
    {
      description: 'a malformed hop',
      args: [resigned({ hops: [G, 'x'] })],
      reason: /^receipt\.hops\.1 must be a node pubkey/,
    },
    {
      description: 'a settle time that is not ISO 8601',
      args: [resigned({ settledAt: 'yesterday' })],
      reason: /^receipt\.settledAt must be an ISO 8601 UTC time/,
    },
    {
      description: 'zero attempts',
      args: [resigned({ attempts: 0 })],
      reason: /^receipt\.attempts must be at least 1$/,
    },
    {
      description: 'version 2',
      args: [resigned({ version: 2 as 1 })],
      reason: /^receipt\.version must be 1$/,
    },
    {
      description: 'an added field',
      args: [{ ...signed, receipt: { ...receipt, bonus: '1' } }],
      reason: /^unknown field receipt\.bonus$/,
    },
    {
      description: 'an expected key that is not a key',
      args: [signed, 'nope'],
      reason: /is not the expected operator key nope$/,
    },
  ] as { description: string; args: [unknown, string?]; reason: RegExp }[])(
    'rejects $description',
    ({ args, reason }) => {
      const result = verifyReceipt(...args);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    },
  );
});
