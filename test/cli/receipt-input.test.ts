import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import {
  extractSignedReceipt,
  parseOperatorKey,
  parseReceiptText,
} from '../../cli/receipt-input.js';
import { createReceiptSigner } from '../../shared/adapters/crypto/receipt-signer.js';
import { signReceipt, verifyReceipt } from '../../shared/domain/receipt.js';
import { secp } from '../../shared/domain/secp.js';
import { pubkeyHex, secretKey, thrown } from '../shared/domain/helpers.js';

const operatorKey = secretKey(7);
const preimage = new Uint8Array(32).fill(9);
const signed = signReceipt(
  {
    version: 1,
    tipId: 'streamco:tip-1',
    platformId: 'streamco',
    recipient: pubkeyHex(3),
    amountMsat: '21000',
    feeMsat: '1000',
    paymentHash: bytesToHex(sha256(preimage)),
    preimage: bytesToHex(preimage),
    hops: [pubkeyHex(3)],
    settledAt: '2026-11-24T10:00:00.000Z',
    attempts: 1,
  },
  createReceiptSigner(operatorKey),
);
const operatorPubkey = bytesToHex(secp.schnorr.getPublicKey(operatorKey));

describe('extractSignedReceipt', () => {
  it('takes a signed receipt as it is, or out of a tip status', () => {
    expect(extractSignedReceipt(signed)).toBe(signed);
    const status = { tipId: 'streamco:tip-1', status: 'SUCCEEDED', receipt: signed };
    expect(extractSignedReceipt(status)).toBe(signed);
    expect(verifyReceipt(extractSignedReceipt(JSON.parse(JSON.stringify(status))))).toEqual({
      ok: true,
    });
  });

  it('leaves anything else for verifyReceipt to describe', () => {
    expect(extractSignedReceipt([1])).toEqual([1]);
    const verification = verifyReceipt(extractSignedReceipt({ tipId: 'x', status: 'FAILED' }));
    expect(verification.ok).toBe(false);
  });

  it('lets a tampered amount, preimage or key be caught with a reason', () => {
    const copy = () => JSON.parse(JSON.stringify(signed));
    const amount = copy();
    amount.receipt.amountMsat = '210000';
    expect(verifyReceipt(extractSignedReceipt(amount))).toEqual({
      ok: false,
      reason: expect.stringMatching(/signature does not verify.*altered/),
    });
    const preimageChanged = copy();
    preimageChanged.receipt.preimage = '00'.repeat(32);
    expect(verifyReceipt(preimageChanged)).toEqual({
      ok: false,
      reason: expect.stringMatching(/sha256\(receipt.preimage\) does not equal/),
    });
    expect(verifyReceipt(signed, 'ab'.repeat(32))).toEqual({
      ok: false,
      reason: expect.stringMatching(/is not the expected operator key/),
    });
  });
});

describe('parseReceiptText', () => {
  it.each([
    { text: '', error: /is empty/ },
    { text: '{', error: /is not JSON/ },
  ])('refuses $text', ({ text, error }) => {
    const e = thrown(() => parseReceiptText(text, 'r.json'));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(error);
  });
});

describe('parseOperatorKey', () => {
  it('takes the x-only key, or a compressed one without its prefix', () => {
    expect(parseOperatorKey(operatorPubkey.toUpperCase())).toBe(operatorPubkey);
    expect(parseOperatorKey(`02${operatorPubkey}`)).toBe(operatorPubkey);
    expect(() => parseOperatorKey('abc')).toThrow(/64 hex chars/);
  });
});
