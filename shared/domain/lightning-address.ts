import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { LightningAddress, NodePubkey } from './brands.js';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';
import { type TlvRecord, validateCustomRecordType } from './keysend-records.js';
import { parseNodePubkey } from './pubkey.js';

/**
 * Lightning Addresses (LUD-16: `name@domain`) and what their servers answer: keysend details
 * (`/.well-known/keysend/<name>`) and LNURL-pay (LUD-06: pay parameters, then an invoice). Pure
 * checks only: the adapter fetches (SSRF-guarded) and decodes the invoice; these decide whether
 * what came back may be paid.
 */

export type { LightningAddress };
/** Where a tip goes: a node pubkey (keysend) or a Lightning Address (resolved by the payer). */
export type Destination = NodePubkey | LightningAddress;

/** LUD-16 usernames: `a-z0-9-_.` (and `+`, used by some wallets for tags). */
const USERNAME = /^[a-z0-9._+-]{1,64}$/;
/**
 * A DNS name (labels of letters, digits, hyphens), an IPv4 literal or a bracketed IPv6 literal,
 * then an optional port. Literals parse so that the fetcher can refuse them with its own reason.
 */
const HOST =
  /^(?:(?=[^:]{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]{2,45}\])(?::([0-9]{1,5}))?$/;
const HINT = 'a Lightning Address is name@domain (LUD-16), e.g. carol@wallet.example';

/** Whether a destination is a Lightning Address (a pubkey never contains "@"). */
export const isLightningAddress = (destination: string): destination is LightningAddress =>
  destination.includes('@');

/** Parses a Lightning Address (LUD-16); lowercased, as the spec's usernames and DNS are. */
export const parseLightningAddress = (raw: unknown, field = 'address'): LightningAddress => {
  if (typeof raw !== 'string') {
    throw new ValidationError(field, `${field} must be a string: ${HINT}`);
  }
  const value = raw.trim().toLowerCase();
  const at = value.lastIndexOf('@');
  if (at <= 0 || value.indexOf('@') !== at) {
    throw new ValidationError(field, `${field} ${JSON.stringify(preview(raw, 70))}: ${HINT}`);
  }
  const name = value.slice(0, at);
  const host = value.slice(at + 1);
  if (!USERNAME.test(name)) {
    throw new ValidationError(
      field,
      `${field} ${JSON.stringify(preview(raw, 70))} has a name part that LUD-16 does not allow (1-64 of a-z 0-9 - _ . +): ${HINT}`,
    );
  }
  const match = HOST.exec(host);
  const port = match?.[1] === undefined ? undefined : Number(match[1]);
  // WHATWG URL parsing refuses some hosts the pattern lets through (a last label that is a number
  // but no IPv4 address, an IPv6 literal that is not one): such an address could never be fetched.
  if (
    !match ||
    (port !== undefined && (port < 1 || port > 65_535)) ||
    !URL.canParse(`https://${host}/`)
  ) {
    throw new ValidationError(
      field,
      `${field} ${JSON.stringify(preview(raw, 70))} has no valid domain after "@": ${HINT}`,
    );
  }
  return value as LightningAddress;
};

/** A node pubkey or, when it has an "@", a Lightning Address. */
export const parseDestination = (raw: unknown, field: string): Destination =>
  typeof raw === 'string' && raw.includes('@')
    ? parseLightningAddress(raw, field)
    : parseNodePubkey(raw, field);

/** The two well-known documents of an address, for `scheme` (https, or http where allowed). */
export const wellKnownUrls = (
  address: LightningAddress,
  scheme: 'https' | 'http',
): { keysend: string; lnurlp: string; host: string } => {
  const at = address.lastIndexOf('@');
  const name = address.slice(0, at);
  const host = address.slice(at + 1);
  const base = `${scheme}://${host}/.well-known`;
  return {
    keysend: `${base}/keysend/${encodeURIComponent(name)}`,
    lnurlp: `${base}/lnurlp/${encodeURIComponent(name)}`,
    host,
  };
};

/** What a Lightning Address server answered that cannot be paid: permanent, in plain words. */
export class LnurlResponseError extends Error {
  override name = 'LnurlResponseError';
}

/** A value from an untrusted document, for a message: strings previewed, anything else its type. */
const shown = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(preview(value, 40)) : typeof value;

/** Keysend details of an address: the node to keysend to and the records its wallet needs. */
export interface KeysendDetails {
  pubkey: NodePubkey;
  /** From `customData` (e.g. 696969 → the sub-wallet id), ascending by type, values as UTF-8. */
  records: TlvRecord[];
}

/** Checks a keysend details document (`{status, tag: "keysend", pubkey, customData}`). */
export const readKeysendDetails = (document: unknown): KeysendDetails => {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new LnurlResponseError('keysend details are not a JSON object');
  }
  const { status, tag, pubkey, customData } = document as Record<string, unknown>;
  if (status !== undefined && status !== 'OK') {
    throw new LnurlResponseError(`keysend details have status ${shown(status)}`);
  }
  if (tag !== 'keysend') {
    throw new LnurlResponseError(`keysend details have tag ${shown(tag)}, not "keysend"`);
  }
  let node: NodePubkey;
  try {
    node = parseNodePubkey(pubkey, 'pubkey');
  } catch (error) {
    throw new LnurlResponseError(`keysend details: ${(error as Error).message}`, { cause: error });
  }
  if (customData !== undefined && !Array.isArray(customData)) {
    throw new LnurlResponseError('keysend details: customData must be an array');
  }
  const records: TlvRecord[] = [];
  for (const [index, entry] of (customData ?? []).entries()) {
    const { customKey, customValue } = (entry ?? {}) as Record<string, unknown>;
    if (customKey === undefined && customValue === undefined) continue;
    if (typeof customKey !== 'string' || !/^[0-9]{1,20}$/.test(customKey)) {
      throw new LnurlResponseError(
        `keysend details: customData[${index}].customKey must be a record type in digits`,
      );
    }
    if (typeof customValue !== 'string' || customValue.length === 0) {
      throw new LnurlResponseError(
        `keysend details: customData[${index}].customValue must be a non-empty string`,
      );
    }
    const type = BigInt(customKey);
    try {
      validateCustomRecordType(type, `customData[${index}].customKey`);
    } catch (error) {
      throw new LnurlResponseError(`keysend details: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (records.some((record) => record.type === type)) {
      throw new LnurlResponseError(`keysend details: customKey ${type} appears twice`);
    }
    records.push({ type, value: utf8ToBytes(customValue) });
  }
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { pubkey: node, records };
};

/** LNURL-pay parameters as the payer uses them (LUD-06), after the library parsed them. */
export interface PayParams {
  callback: string;
  minSendableMsat: bigint;
  maxSendableMsat: bigint;
  /** The raw `metadata` string: its sha256 is the invoice's description hash. */
  metadata: string;
}

/**
 * Checks LUD-06 pay parameters for an amount: the metadata is a JSON array holding a
 * `text/plain` entry, and the amount is within min/max.
 */
export const checkPayParams = (params: PayParams, amountMsat: bigint): void => {
  let entries: unknown;
  try {
    entries = JSON.parse(params.metadata);
  } catch {
    throw new LnurlResponseError('LNURL-pay metadata is not JSON');
  }
  const valid =
    Array.isArray(entries) &&
    entries.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length >= 2 &&
        typeof entry[0] === 'string' &&
        (typeof entry[1] === 'string' || typeof entry[1] === 'object'),
    ) &&
    entries.some((entry) => entry[0] === 'text/plain' && typeof entry[1] === 'string');
  if (!valid) {
    throw new LnurlResponseError(
      'LNURL-pay metadata is not an array of [type, content] entries with a text/plain one (LUD-06)',
    );
  }
  if (amountMsat < params.minSendableMsat || amountMsat > params.maxSendableMsat) {
    throw new LnurlResponseError(
      `the LNURL server accepts ${params.minSendableMsat} to ${params.maxSendableMsat} msat, not ${amountMsat} msat`,
    );
  }
};

/** What the adapter decoded from a BOLT11 invoice. */
export interface DecodedInvoice {
  paymentHash: string;
  /** Absent: an invoice without an amount (refused: the LNURL server must fix it). */
  amountMsat?: bigint;
  payee: string;
  descriptionHash?: string;
  expiresAt: Date;
}

/**
 * Checks an LNURL-pay invoice before it is stored and paid (LUD-06): the exact amount asked for,
 * the description hash of the metadata, and time left before it expires (`minValidMs`).
 */
export const checkLnurlInvoice = (
  invoice: DecodedInvoice,
  expected: { amountMsat: bigint; metadata: string; now: Date; minValidMs: number },
): void => {
  if (invoice.amountMsat !== expected.amountMsat) {
    throw new LnurlResponseError(
      `the LNURL server's invoice is for ${invoice.amountMsat === undefined ? 'no amount' : `${invoice.amountMsat} msat`}, not the ${expected.amountMsat} msat asked for`,
    );
  }
  const metadataHash = bytesToHex(sha256(utf8ToBytes(expected.metadata)));
  if (invoice.descriptionHash?.toLowerCase() !== metadataHash) {
    throw new LnurlResponseError(
      "the LNURL server's invoice does not commit to its metadata (description hash is not sha256 of metadata, LUD-06)",
    );
  }
  const left = invoice.expiresAt.getTime() - expected.now.getTime();
  if (left < expected.minValidMs) {
    throw new LnurlResponseError(
      `the LNURL server's invoice expires in ${Math.max(0, Math.round(left / 1000))} s, too soon to pay it (at least ${Math.round(expected.minValidMs / 1000)} s needed)`,
    );
  }
};
