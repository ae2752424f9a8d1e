import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import type { NodePubkey, PlatformId, TipId } from './brands.js';
import { ValidationError } from './errors.js';
import { parsePlatformId, parseTipId } from './ids.js';
import { TIPSTREAM_RECORD_TYPE, type TlvRecord } from './keysend-records.js';
import { parseNodePubkey } from './pubkey.js';

/**
 * Layout version 1, whose preimage is `deriveSharedSecretPreimage(ECDH(operator, recipient),
 * tipId)`: HMAC-SHA256(sha256(compressed ECDH point), "tipstream:ecdh:v1:" + tipId).
 */
export const TIPSTREAM_RECORD_VERSION = 1;

/** Bytes of the record before its two ids: version, operator pubkey, platform id length. */
const HEADER_BYTES = 1 + 33 + 1;

/**
 * What a recipient needs to check a tip: which operator node claims to have sent it (to compute
 * the ECDH secret with), and the tip id the preimage was derived from; the platform for display.
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 1 | version (1) |
 * | 1 | 33 | operator node pubkey, compressed |
 * | 34 | 1 | n = platform id length (1–64) |
 * | 35 | n | platform id, ASCII |
 * | 35 + n | rest (1–255) | tip id, ASCII |
 */
export type TipstreamRecord = {
  version: typeof TIPSTREAM_RECORD_VERSION;
  operator: NodePubkey;
  platformId: PlatformId;
  tipId: TipId;
};

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

/** The record's TLV value (ids are ASCII by their own rules, so one char is one byte). */
export const encodeTipstreamRecord = (record: Omit<TipstreamRecord, 'version'>): TlvRecord => {
  const platform = ascii(parsePlatformId(record.platformId));
  const tip = ascii(parseTipId(record.tipId));
  return {
    type: TIPSTREAM_RECORD_TYPE,
    value: concatBytes(
      Uint8Array.of(TIPSTREAM_RECORD_VERSION),
      hexToBytes(parseNodePubkey(record.operator, 'operator')),
      Uint8Array.of(platform.length),
      platform,
      tip,
    ),
  };
};

/** Encoded size of the record for these ids: what a tip reserves of its custom records budget. */
export const tipstreamRecordValueBytes = (platformId: string, tipId: string): number =>
  HEADER_BYTES + platformId.length + tipId.length;

/**
 * Parses a Tipstream record's value; throws `ValidationError` (field `tipstreamRecord`) saying
 * what is wrong. Input is untrusted: anyone can send any bytes under this type.
 */
export const parseTipstreamRecord = (value: Uint8Array): TipstreamRecord => {
  const fail = (why: string): never => {
    throw new ValidationError('tipstreamRecord', `Tipstream record ${why}`);
  };
  if (!(value instanceof Uint8Array)) return fail('must be bytes');
  if (value.length === 0) return fail('is empty');
  const version = value[0];
  if (version !== TIPSTREAM_RECORD_VERSION) {
    return fail(
      `has version ${version}; this code understands version ${TIPSTREAM_RECORD_VERSION}`,
    );
  }
  if (value.length < HEADER_BYTES + 2) {
    return fail(`is ${value.length} bytes, shorter than the ${HEADER_BYTES + 2} of the smallest`);
  }
  const operatorHex = bytesToHex(value.subarray(1, 34));
  const platformLength = value[34] ?? 0;
  const tipStart = HEADER_BYTES + platformLength;
  if (platformLength === 0 || tipStart >= value.length) {
    return fail(
      `says its platform id is ${platformLength} bytes, leaving no room for a tip id in ${value.length} bytes`,
    );
  }
  const text = (bytes: Uint8Array, field: string) => {
    // Tipstream ids are printable ASCII; anything else is not a Tipstream record.
    if (bytes.some((byte) => byte < 0x21 || byte > 0x7e)) {
      return fail(`has a ${field} that is not printable ASCII`);
    }
    return String.fromCharCode(...bytes);
  };
  const rewrap = <T>(what: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof ValidationError) return fail(`has an invalid ${what}: ${error.message}`);
      throw error;
    }
  };
  return {
    version: TIPSTREAM_RECORD_VERSION,
    operator: rewrap('operator', () => parseNodePubkey(operatorHex, 'operator')),
    platformId: rewrap('platform id', () =>
      parsePlatformId(text(value.subarray(HEADER_BYTES, tipStart), 'platform id')),
    ),
    tipId: rewrap('tip id', () => parseTipId(text(value.subarray(tipStart), 'tip id'))),
  };
};
