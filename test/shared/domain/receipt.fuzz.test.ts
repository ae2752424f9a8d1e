import { schnorr } from '@noble/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReceiptSigner } from '../../../shared/adapters/crypto/receipt-signer.js';
import { canonicalJson } from '../../../shared/domain/canonical-json.js';
import { type SignedReceipt, signReceipt, verifyReceipt } from '../../../shared/domain/receipt.js';
import {
  checkProperty,
  hostileJsonValue,
  hostileString,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  mutatedObject,
} from '../../support/fast-check.js';
import { unsignedReceipt } from '../../support/receipt-arbitrary.js';
import { secretKey } from './helpers.js';

// verifyReceipt is the parser of receipts that come back from creators and platforms
// (`tipstream verify-receipt`): it must say no, never throw, and say yes only to what was signed.

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const operatorKey = secretKey(0x11);
const operatorPubkey = hex(schnorr.getPublicKey(operatorKey));
const operatorSigner = createReceiptSigner(operatorKey);

// Verifying (noble) costs milliseconds: the hostile properties mutate a few receipts signed once.
const SIGNED: SignedReceipt[] = fc
  .sample(unsignedReceipt, { numRuns: 8, seed: 1 })
  .map((receipt) => signReceipt(receipt, operatorSigner));

/** A signed receipt with fields of the receipt or of the envelope replaced, dropped or added. */
const mutatedSigned = fc
  .tuple(
    fc.constantFrom(...SIGNED),
    fc.boolean(),
    mutatedObject(
      fc.constantFrom(...SIGNED.map(({ receipt }) => receipt as Record<string, unknown>)),
    ),
    mutatedObject(fc.constantFrom(...(SIGNED as unknown as Record<string, unknown>[]))),
  )
  .map(([original, inner, receipt, envelope]) =>
    inner ? { receipt, signature: original.signature } : envelope,
  );

/** A signed receipt with one hex char of its signature, hash, preimage or key changed. */
const tampered = fc
  .tuple(
    fc.constantFrom(...SIGNED),
    fc.constantFrom('signature', 'paymentHash', 'preimage', 'operatorPubkey', 'amountMsat'),
    fc.nat(),
    fc.constantFrom(...'0123456789abcdef'),
  )
  .map(([signed, field, at, char]) => {
    const copy = structuredClone(signed) as SignedReceipt & { receipt: Record<string, string> };
    const old = field === 'signature' ? copy.signature : (copy.receipt[field] ?? '');
    const index = at % old.length;
    const changed = `${old.slice(0, index)}${char}${old.slice(index + 1)}`;
    if (field === 'signature') copy.signature = changed;
    else copy.receipt[field] = changed;
    return copy;
  });

const sameAsSigned = (value: unknown) =>
  SIGNED.some((signed) => canonicalJson(signed) === canonicalJson(value));

describe('verifyReceipt, fuzzed', () => {
  it('verifies every receipt it signed, after a trip through JSON text', () => {
    checkProperty(
      fc.property(unsignedReceipt, fc.boolean(), (receipt, upper) => {
        const signed = signReceipt(receipt, operatorSigner);
        const back = JSON.parse(JSON.stringify(signed));
        const expected = upper ? operatorPubkey.toUpperCase() : operatorPubkey;
        expect(verifyReceipt(back, expected)).toEqual({ ok: true });
        expect(back).toEqual(signed);
      }),
      150,
    );
  });

  it('never throws, and says yes only to a receipt exactly as signed', () => {
    checkProperty(
      fc.property(
        fc.oneof(mutatedSigned, tampered, hostileUnknown(), hostileJsonValue()),
        fc.option(fc.oneof(fc.constant(operatorPubkey), hostileString()), { nil: undefined }),
        (input, expected) => {
          const result = verifyReceipt(input, expected);
          if (!result.ok) {
            expect(result.reason.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
            return;
          }
          expect(sameAsSigned(input)).toBe(true);
        },
      ),
      2_000,
    );
  });
});

describe('regressions found by fuzzing', () => {
  it('names a huge unknown field by its start', () => {
    const [signed] = SIGNED;
    const key = 'k'.repeat(20_000);
    expect(verifyReceipt({ ...signed, receipt: { ...signed?.receipt, [key]: null } })).toEqual({
      ok: false,
      reason: `unknown field receipt.${'k'.repeat(62)}… (20008 chars)`,
    });
  });
});
