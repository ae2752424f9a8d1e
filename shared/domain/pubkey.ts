import type { NodePubkey } from './brands.js';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';
import { secp } from './secp.js';

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
    secp.Point.fromHex(hex);
  } catch (error) {
    throw new ValidationError(field, `${field} ${hex} is not a point on secp256k1: ${HINT}`, {
      cause: error,
    });
  }
  return hex as NodePubkey;
};

const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
