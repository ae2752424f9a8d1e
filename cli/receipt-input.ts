import { UsageError } from './errors.js';

/**
 * The signed receipt inside what an operator saved: the signed receipt itself
 * (`{ receipt, signature }`), or a whole tip status (`GET /v1/tips/{id}`, `tipstream status
 * --json`) that carries it in `receipt`.
 */
export const extractSignedReceipt = (document: unknown): unknown => {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const record = document as Record<string, unknown>;
  if ('signature' in record) return record;
  const inner = record.receipt;
  if (typeof inner === 'object' && inner !== null && 'signature' in inner) return inner;
  return record;
};

/** Parses the text of a receipt file; a clear error when it is not JSON. */
export const parseReceiptText = (text: string, source: string): unknown => {
  if (text.trim() === '') throw new UsageError(`${source} is empty: give a signed receipt (JSON)`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${source} is not JSON (${(error as Error).message}): give a signed receipt as printed by "tipstream status <tipId> --json"`,
    );
  }
};

/** An operator key for --pubkey: x-only (64 hex) or compressed (66 hex, 02/03 + x). */
export const parseOperatorKey = (raw: string): string => {
  const key = raw.trim().toLowerCase();
  if (/^[0-9a-f]{64}$/.test(key)) return key;
  if (/^0[23][0-9a-f]{64}$/.test(key)) return key.slice(2);
  throw new UsageError(
    `--pubkey must be the operator's receipt key as 64 hex chars (x-only, BIP-340) or 66 (compressed), got ${raw.length} chars`,
  );
};
