import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './canonical-json.js';
import { ValidationError } from './errors.js';
import { secp } from './secp.js';

/** A Nostr public key: the 32-byte x-only (BIP-340) key as 64 lowercase hex chars. */
const NOSTR_PUBKEY_PATTERN = /^[0-9a-f]{64}$/;
/** A BIP-340 signature: 64 bytes as 128 lowercase hex chars. */
const NOSTR_SIGNATURE_PATTERN = /^[0-9a-f]{128}$/;

/** A boostagram's fields as they travel in record 7629169 (bLIP-10 JSON). */
type Boost = Readonly<Record<string, unknown>> & { sender_id?: string; signature?: string };

/**
 * The 32 bytes a signed boost's `signature` covers: sha256 of the canonical JSON (keys sorted at
 * every depth, no whitespace) of the boostagram without `signature` (`sender_id` included), as a
 * Nostr key signs an event id: BIP-340 over a sha256. A Nostr event's serialization is a JSON
 * array, a boost's an object, so a boost signature can never pass for a Nostr event's.
 */
export const boostDigest = (boost: Boost): Uint8Array =>
  sha256(utf8ToBytes(canonicalJson({ ...boost, signature: undefined })));

/** Signs a boostagram with a Nostr secret key: the boost with `sender_id` and `signature` set. */
export const signBoost = <T extends Boost>(
  boost: T,
  nostrSecretKey: Uint8Array,
): T & { sender_id: string; signature: string } => {
  const withSender = { ...boost, sender_id: bytesToHex(secp.schnorr.getPublicKey(nostrSecretKey)) };
  return {
    ...withSender,
    signature: bytesToHex(secp.schnorr.sign(boostDigest(withSender), nostrSecretKey)),
  };
};

/**
 * Checks a boostagram's Nostr signature. Unsigned (neither field): `undefined`. Otherwise the
 * sender's pubkey, or a `ValidationError` naming `boostagram.sender_id` or `boostagram.signature`
 * with what is wrong. An unsigned `sender_id` is refused: it would be a claim no one can check.
 */
export const verifyBoostSignature = (boost: Boost): string | undefined => {
  const { sender_id: senderId, signature } = boost;
  if (senderId === undefined && signature === undefined) return undefined;
  if (senderId === undefined) {
    throw new ValidationError(
      'boostagram.sender_id',
      'boostagram.sender_id is required with boostagram.signature: it is the Nostr pubkey that signed the boost',
    );
  }
  if (typeof senderId !== 'string' || !NOSTR_PUBKEY_PATTERN.test(senderId)) {
    throw new ValidationError(
      'boostagram.sender_id',
      'boostagram.sender_id must be a Nostr public key: the x-only key as 64 lowercase hex chars (not npub…)',
    );
  }
  let point: Uint8Array;
  try {
    point = secp.Point.fromHex(`02${senderId}`).toBytes(true).subarray(1);
  } catch (error) {
    throw new ValidationError(
      'boostagram.sender_id',
      `boostagram.sender_id ${senderId} is not a point on secp256k1: check it is a Nostr public key`,
      { cause: error },
    );
  }
  if (signature === undefined) {
    throw new ValidationError(
      'boostagram.signature',
      'boostagram.signature is required with boostagram.sender_id: an unsigned sender_id is a claim no one can check',
    );
  }
  if (typeof signature !== 'string' || !NOSTR_SIGNATURE_PATTERN.test(signature)) {
    throw new ValidationError(
      'boostagram.signature',
      'boostagram.signature must be a BIP-340 Schnorr signature as 128 lowercase hex chars',
    );
  }
  if (!secp.schnorr.verify(hexToBytes(signature), boostDigest(boost), point)) {
    throw new ValidationError(
      'boostagram.signature',
      `boostagram.signature does not verify with sender_id ${senderId}: it must be the BIP-340 signature of sha256 of the boost's canonical JSON without "signature", and the boost must be sent exactly as signed`,
    );
  }
  return senderId;
};
