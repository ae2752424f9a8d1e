import { ValidationError } from './errors.js';

/** Keysend: the final hop reads the 32-byte preimage from this record and settles. */
export const KEYSEND_RECORD_TYPE = 5482373484n;
/** Plain text message (Whatsat, bos), UTF-8. */
export const TEXT_MESSAGE_RECORD_TYPE = 34349334n;
/** bLIP-10 podcast boostagram: UTF-8 JSON. */
export const BOOSTAGRAM_RECORD_TYPE = 7629169n;
/** Whatsat sender pubkey (33 bytes). */
export const SENDER_PUBKEY_RECORD_TYPE = 34349339n;
/** Whatsat signature over the message. */
export const SIGNATURE_RECORD_TYPE = 34349337n;
/**
 * The Tipstream record of a sender-authenticated tip (`tipstream-record.ts`): 0x54495053, "TIPS"
 * in ASCII. Odd, so a node that does not know it ignores it ("it's OK to be odd", BOLT 1);
 * ≥ 65536, so LND sends and delivers it as a custom record.
 */
export const TIPSTREAM_RECORD_TYPE = 1_414_090_835n;
/** The customKey most podcast:value recipients use to pick a sub-wallet (any type ≥ 65536 works). */
export const PODCAST_DEFAULT_CUSTOM_KEY = 696969n;
/** LND refuses custom records below this type: lower types are reserved for the protocol. */
export const MIN_CUSTOM_RECORD_TYPE = 65536n;
/** TLV types are BigSize-encoded u64. */
export const MAX_RECORD_TYPE = 2n ** 64n - 1n;

/**
 * How many bytes of custom records a tip may carry. The onion is a fixed 1300 bytes shared by
 * every hop of the route: each intermediate hop's payload takes ~65 bytes plus a 32-byte HMAC,
 * and the final hop also needs its own payload and the keysend record (~42 bytes). 600 bytes of
 * custom records leave room for routes of several hops; more makes long routes fail with no
 * useful error from the sender's node.
 */
export const DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES = 600;

/** One TLV record of the final hop's onion payload (a custom record, or keysend's preimage). */
export type TlvRecord = { type: bigint; value: Uint8Array };

/** Bytes of a BOLT-1 BigSize encoding of `n`. */
export const bigSizeLength = (n: bigint): number => {
  if (n < 0n || n > MAX_RECORD_TYPE) {
    throw new RangeError(`BigSize encodes 0 to 2^64-1, got ${n}`);
  }
  if (n < 0xfdn) return 1;
  if (n <= 0xffffn) return 3;
  if (n <= 0xffffffffn) return 5;
  return 9;
};

/** Bytes the records take in the onion payload: BigSize(type) + BigSize(length) + value. */
export const encodedRecordsSize = (records: readonly TlvRecord[]): number =>
  records.reduce(
    (total, { type, value }) =>
      total + bigSizeLength(type) + bigSizeLength(BigInt(value.length)) + value.length,
    0,
  );

/** Throws unless `type` is a custom record type LND will send and Tipstream does not own. */
export const validateCustomRecordType = (type: bigint, field = 'customRecord.type'): void => {
  if (type < MIN_CUSTOM_RECORD_TYPE) {
    throw new ValidationError(
      field,
      `${field} ${type} is below ${MIN_CUSTOM_RECORD_TYPE}: LND only sends custom records of type ${MIN_CUSTOM_RECORD_TYPE} or above`,
    );
  }
  if (type > MAX_RECORD_TYPE) {
    throw new ValidationError(field, `${field} ${type} is above 2^64-1, the largest TLV type`);
  }
  if (type === TIPSTREAM_RECORD_TYPE) {
    throw new ValidationError(
      field,
      `${field} ${type} is the Tipstream record: the payer writes it for authenticated tips, remove it from the request`,
    );
  }
  if (type === KEYSEND_RECORD_TYPE) {
    throw new ValidationError(
      field,
      `${field} ${type} is the keysend preimage record: Tipstream sets it, remove it from the request`,
    );
  }
};
