import type { NodePubkey } from './brands.js';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';
import { secp } from './secp.js';

/**
 * Node ids already found on the curve. Decompressing a point is a modular square root in BigInt,
 * 0.3-0.4 ms each: the payer's profile at 30 tips in flight showed it as the largest cost of
 * parsing a tip, for the same few creators again and again. Only valid points are kept, at most
 * `KNOWN_POINTS_MAX` (then it starts over), so the answer for any input is what the check gives.
 */
const knownPoints = new Set<string>();
const KNOWN_POINTS_MAX = 4096;

const isPoint = (hex: string): boolean => {
  if (knownPoints.has(hex)) return true;
  secp.Point.fromHex(hex);
  if (knownPoints.size >= KNOWN_POINTS_MAX) knownPoints.clear();
  knownPoints.add(hex);
  return true;
};

const HINT = "check it is the node's 33-byte compressed public key (66 hex chars)";

/** Parses a Lightning node id: compressed secp256k1 point, returned as lowercase hex. */
export const parseNodePubkey = (raw: unknown, field = 'pubkey'): NodePubkey => {
  if (typeof raw !== 'string') {
    throw new ValidationError(
      field,
      `${field} must be a hex string, got ${typeName(raw)}: ${HINT}`,
    );
  }
  if (raw.length !== 66) {
    throw new ValidationError(
      field,
      `${field} ${preview(raw)} is ${raw.length} chars, not 66: ${HINT}`,
    );
  }
  if (!/^[0-9a-fA-F]{66}$/.test(raw)) {
    throw new ValidationError(field, `${field} ${raw} is not hex: ${HINT}`);
  }
  const hex = raw.toLowerCase();
  // Node ids are always compressed (BOLT 7 node_id); 04… is an uncompressed key cut short, and
  // keysend to anything else would fail only after pathfinding.
  if (!hex.startsWith('02') && !hex.startsWith('03')) {
    throw new ValidationError(
      field,
      `${field} ${hex} starts with ${hex.slice(0, 2)}, not 02 or 03: ${HINT}`,
    );
  }
  try {
    isPoint(hex);
  } catch (error) {
    throw new ValidationError(field, `${field} ${hex} is not a point on secp256k1: ${HINT}`, {
      cause: error,
    });
  }
  return hex as NodePubkey;
};

const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
