import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { PaymentHash, Preimage, TipId } from './brands.js';
import { assertBytes } from './bytes.js';
import { ByteLengthError } from './errors.js';
import { secp } from './secp.js';

/** Smallest preimage key: HMAC-SHA256 is only as strong as a key of at least its output size. */
const MIN_PREIMAGE_KEY_BYTES = 32;

/**
 * Preimage of a tip: HMAC-SHA256(key, "tipstream:v1:" + tipId). Deterministic, so every retry of
 * a tip pays the same hash and LND refuses a second send while the first is in flight or paid.
 */
export const derivePreimage = (key: Uint8Array, tipId: TipId): Preimage => {
  if (!(key instanceof Uint8Array) || key.length < MIN_PREIMAGE_KEY_BYTES) {
    throw new ByteLengthError(
      'preimageKey',
      `at least ${MIN_PREIMAGE_KEY_BYTES} random bytes`,
      key instanceof Uint8Array ? key.length : typeof key,
    );
  }
  return hmac(sha256, key, utf8ToBytes(`tipstream:v1:${tipId}`)) as Preimage;
};

/**
 * Preimage of a sender-authenticated tip: HMAC-SHA256(ecdhSecret, "tipstream:ecdh:v1:" + tipId).
 * Operator and recipient both compute the ECDH secret of their node keys, so the recipient can
 * tell the tip came from this operator.
 */
export const deriveSharedSecretPreimage = (sharedSecret: Uint8Array, tipId: TipId): Preimage => {
  assertBytes(sharedSecret, 32, 'sharedSecret');
  return hmac(sha256, sharedSecret, utf8ToBytes(`tipstream:ecdh:v1:${tipId}`)) as Preimage;
};

/**
 * ECDH secret as LND computes it (keychain.PrivKeyECDH, signrpc DeriveSharedKey, BOLT 4):
 * sha256 of the 33-byte compressed shared point. noble's getSharedSecret returns the point
 * itself, unhashed, so it is hashed here to match what `diffieHellmanComputeSecret` returns.
 */
export const lndSharedSecret = (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array => {
  assertBytes(privateKey, 32, 'privateKey');
  assertBytes(publicKey, 33, 'publicKey');
  return sha256(secp.getSharedSecret(privateKey, publicKey, true));
};

/** Payment hash of a preimage: sha256(preimage). */
export const paymentHashOf = (preimage: Preimage): PaymentHash =>
  sha256(assertBytes(preimage, 32, 'preimage')) as PaymentHash;

/** Brands 32 bytes as a preimage (e.g. read back from LND or a receipt). */
export const parsePreimage = (bytes: Uint8Array): Preimage =>
  assertBytes(bytes, 32, 'preimage') as Preimage;
