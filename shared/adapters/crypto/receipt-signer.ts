import { randomBytes } from 'node:crypto';
import * as ecc from 'tiny-secp256k1';
import { assertBytes } from '../../domain/bytes.js';
import { ReceiptError } from '../../domain/errors.js';
import type { ReceiptSigner } from '../../domain/receipt.js';

/** BIP-340's recommendation: fresh auxiliary randomness for every signature. */
const freshAuxRand = (): Uint8Array => new Uint8Array(randomBytes(32));

/**
 * The payer's receipt signer: BIP-340 Schnorr by libsecp256k1 (tiny-secp256k1's WebAssembly,
 * already loaded for `lightning`). @noble/secp256k1's `schnorr.sign` spends ~4 ms a signature
 * deriving the public key again and verifying its own result in pure JavaScript, half the payer's
 * CPU per tip; this one derives the public key once per key and checks each signature with
 * libsecp256k1's own verify (~0.1 ms), so it still never hands out a signature that
 * `verifyReceipt` would reject. Signatures are identical to noble's for the same aux randomness.
 * `auxRand` is for tests that compare bytes; the payer leaves it fresh per signature.
 */
export const createReceiptSigner = (
  receiptPrivateKey: Uint8Array,
  auxRand: () => Uint8Array = freshAuxRand,
): ReceiptSigner => {
  assertBytes(receiptPrivateKey, 32, 'receiptPrivateKey');
  // A copy: whatever the caller does with its buffer later cannot change the key.
  const privateKey = Uint8Array.from(receiptPrivateKey);
  if (!ecc.isPrivate(privateKey)) {
    throw new ReceiptError(
      'receiptPrivateKey is not a secp256k1 private key (it must be between 1 and the curve order - 1)',
    );
  }
  const xOnly = ecc.xOnlyPointFromScalar(privateKey);
  const publicKey = Buffer.from(xOnly).toString('hex');
  return {
    publicKey,
    sign(digest) {
      assertBytes(digest, 32, 'digest');
      const signature = ecc.signSchnorr(digest, privateKey, assertBytes(auxRand(), 32, 'auxRand'));
      if (!ecc.verifySchnorr(digest, xOnly, signature)) {
        throw new ReceiptError(
          `cannot sign: libsecp256k1's signature does not verify for ${publicKey} (faulty signing), no receipt issued`,
        );
      }
      return signature;
    },
  };
};
