import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ValidationError } from './errors.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
  TIPSTREAM_RECORD_TYPE,
  type TlvRecord,
} from './keysend-records.js';
import { verifyBoostSignature } from './nostr-boost.js';
import { deriveSharedSecretPreimage } from './preimage.js';
import { parseTipstreamRecord, type TipstreamRecord } from './tipstream-record.js';

/** A keysend payment as the recipient's node shows it (LND: a settled "push" invoice). */
export type IncomingKeysend = {
  /** The payment hash, hex, as the node reports it. */
  paymentHash: string;
  /** The preimage the node settled with (keysend record 5482373484). */
  preimage: Uint8Array;
  /** Custom records of the payment's final hop. */
  records: readonly TlvRecord[];
};

/** What a Tipstream record claims: the operator to compute the ECDH secret with. */
export type TipstreamClaim =
  | { ok: true; record: TipstreamRecord }
  | { ok: false; reason: string }
  | undefined;

/**
 * Step 1 of the check: the Tipstream record a payment carries, if any. `undefined`: not a Tipstream
 * tip; `ok: false`: a record under the type that does not parse (not authentic). With `ok: true`,
 * compute the ECDH secret of your node key and `record.operator` (LND: DeriveSharedKey,
 * `lightning`'s `diffieHellmanComputeSecret`) and pass it to `verifyIncomingTip`.
 */
export const readTipstreamClaim = (records: readonly TlvRecord[]): TipstreamClaim => {
  const found = records.filter((record) => record.type === TIPSTREAM_RECORD_TYPE);
  const [only] = found;
  if (!only) return undefined;
  if (found.length > 1)
    return { ok: false, reason: 'the payment has more than one Tipstream record' };
  try {
    return { ok: true, record: parseTipstreamRecord(only.value) };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, reason: error.message };
    throw error;
  }
};

/** The signed boostagram's sender, as a receiver can check it from the record alone. */
type NostrSenderCheck =
  | { senderId: string; valid: true }
  | { senderId?: string; valid: false; reason: string };

/** Whether an incoming payment is a tip this operator really sent. */
export type IncomingVerdict =
  | { kind: 'not-tipstream' }
  | {
      kind: 'verified';
      operator: string;
      platformId: string;
      tipId: string;
      nostr?: NostrSenderCheck;
    }
  | {
      kind: 'not-authentic';
      reason: string;
      /** What the record claimed, when it could be read. */
      claimed?: { operator: string; platformId: string; tipId: string };
    };

/**
 * Step 2: checks a payment against the ECDH secret of the recipient's node key and the claimed
 * operator's pubkey. Verified only if the preimage is `deriveSharedSecretPreimage(secret, tipId)`
 * (which only the holders of those two keys can compute) and hashes to the payment hash; and, when
 * `trustedOperators` is given, the operator is one of them. The boostagram's Nostr signature, if
 * any, is checked too (a valid one names the person; it is reported, not required).
 */
export const verifyIncomingTip = (
  payment: IncomingKeysend,
  sharedSecret: Uint8Array | undefined,
  trustedOperators?: readonly string[],
): IncomingVerdict => {
  const claim = readTipstreamClaim(payment.records);
  if (claim === undefined) return { kind: 'not-tipstream' };
  if (!claim.ok) return { kind: 'not-authentic', reason: claim.reason };
  const { operator, platformId, tipId } = claim.record;
  const claimed = { operator, platformId, tipId };
  const refuse = (reason: string): IncomingVerdict => ({ kind: 'not-authentic', reason, claimed });
  if (sharedSecret === undefined || sharedSecret.length !== 32) {
    return refuse('no 32-byte ECDH secret with the claimed operator was given to check it with');
  }
  if (bytesToHex(sha256(payment.preimage)) !== payment.paymentHash.toLowerCase()) {
    return refuse('the preimage does not hash to the payment hash');
  }
  const expected = deriveSharedSecretPreimage(sharedSecret, tipId);
  if (bytesToHex(expected) !== bytesToHex(payment.preimage)) {
    return refuse(
      `the preimage is not the one operator ${operator} derives for tip ${tipId}: another node sent it`,
    );
  }
  if (trustedOperators && !trustedOperators.includes(operator)) {
    return refuse(
      `sent by operator ${operator}, which is not one you trust (${trustedOperators.join(', ')})`,
    );
  }
  const nostr = checkNostrSender(payment.records);
  return { kind: 'verified', operator, platformId, tipId, ...(nostr ? { nostr } : {}) };
};

/** The text message (34349334) and boostagram (7629169) of a payment, for display. */
export const tipContent = (
  records: readonly TlvRecord[],
): { message?: string; boostagram?: Record<string, unknown> } => {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const message = records.find((record) => record.type === TEXT_MESSAGE_RECORD_TYPE);
  const boost = boostagramOf(records);
  return {
    ...(message ? { message: decoder.decode(message.value) } : {}),
    ...(boost ? { boostagram: boost } : {}),
  };
};

const boostagramOf = (records: readonly TlvRecord[]): Record<string, unknown> | undefined => {
  const record = records.find((candidate) => candidate.type === BOOSTAGRAM_RECORD_TYPE);
  if (!record) return undefined;
  try {
    const parsed: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(record.value),
    );
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

const checkNostrSender = (records: readonly TlvRecord[]): NostrSenderCheck | undefined => {
  const boost = boostagramOf(records);
  if (!boost || (boost.sender_id === undefined && boost.signature === undefined)) return undefined;
  try {
    const senderId = verifyBoostSignature(boost as Parameters<typeof verifyBoostSignature>[0]);
    return senderId ? { senderId, valid: true } : undefined;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const senderId = typeof boost.sender_id === 'string' ? boost.sender_id : undefined;
    return { ...(senderId ? { senderId } : {}), valid: false, reason: error.message };
  }
};
