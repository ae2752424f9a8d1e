import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { TipId } from './brands.js';
import { preview } from './bytes.js';
import { ByteLengthError, ValidationError } from './errors.js';
import { isLightningAddress } from './lightning-address.js';

/** How a tip asks to be paid: single-path keysend, AMP (spontaneous multipath), or let the payer pick. */
export const PAYMENT_METHODS = ['keysend', 'amp', 'auto'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

const isPaymentMethod = (value: unknown): value is PaymentMethod =>
  (PAYMENT_METHODS as readonly unknown[]).includes(value);

/**
 * The method of a payout row or split recipient as a file writes it: absent or empty is the
 * default (`undefined`, keysend); anything else must be one of the methods, as written.
 */
export const parsePaymentMethod = (raw: unknown, field: string): PaymentMethod | undefined => {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (isPaymentMethod(raw)) return raw;
  const got = typeof raw === 'string' ? JSON.stringify(preview(raw, 30)) : String(raw);
  throw new ValidationError(
    field,
    `${field} must be "keysend", "amp" or "auto" (or empty for keysend), got ${got}`,
  );
};

/**
 * Throws unless the method can be asked of the destination: a Lightning Address is paid by its
 * keysend details or an LNURL-pay invoice, as its wallet publishes, so only keysend (the default).
 */
export const checkMethodForDestination = (
  destination: string,
  method: PaymentMethod | undefined,
  field: string,
  destinationField: string,
): void => {
  if (method === undefined || method === 'keysend' || !isLightningAddress(destination)) return;
  throw new ValidationError(
    field,
    `${field} ${method} needs ${destinationField}: a Lightning Address is paid by keysend details or an LNURL-pay invoice, as its wallet publishes`,
  );
};
/**
 * How a tip is actually sent, fixed before its first send and never changed: `lnurl-invoice` pays
 * the invoice a Lightning Address's LNURL-pay server issued (a keysend to an address's node is
 * `keysend`).
 */
export type SendMethod = 'keysend' | 'amp' | 'lnurl-invoice';

/** LND's AMP feature bits (BOLT 9 numbering: 30 required, 31 optional). */
export const AMP_FEATURE_BITS = [30, 31] as const;

/** What the operator's node can tell about a recipient before paying it. */
export interface RouteAssessment {
  /** One path in the graph can carry the amount within the fee limit (QueryRoutes found one). */
  singlePath: boolean;
  /** The recipient's node announcement sets feature bit 30 or 31. */
  advertisesAmp: boolean;
}

/** A method chosen for a tip, with the reason in words an operator can act on. */
export interface MethodChoice {
  method: SendMethod;
  reason: string;
}

const sats = (amountMsat: bigint) => `${(amountMsat / 1000n).toLocaleString('en-US')} sats`;

/**
 * The method a tip is sent by. `keysend` and `amp` are taken as asked; `auto` is keysend while one
 * path carries the amount, AMP when none does and the recipient advertises AMP, and keysend with a
 * reason saying why it will likely fail when neither can work (LND's own answer then decides).
 */
export const chooseSendMethod = (
  requested: PaymentMethod,
  amountMsat: bigint,
  assessment?: RouteAssessment,
): MethodChoice => {
  if (requested === 'keysend') return { method: 'keysend', reason: 'keysend, as requested' };
  if (requested === 'amp') return { method: 'amp', reason: 'AMP, as requested' };
  if (!assessment) {
    throw new Error('chooseSendMethod: method auto needs a route assessment');
  }
  if (assessment.singlePath) {
    return {
      method: 'keysend',
      reason: `auto: one path carries ${sats(amountMsat)}, so keysend`,
    };
  }
  if (assessment.advertisesAmp) {
    return {
      method: 'amp',
      reason: `auto: no single path carries ${sats(amountMsat)} and the recipient advertises AMP (feature bit 30/31), so AMP`,
    };
  }
  return {
    method: 'keysend',
    reason: `auto: no single path carries ${sats(amountMsat)} and the recipient does not advertise AMP (feature bit 30/31), so neither keysend nor AMP is likely to work; tried keysend`,
  };
};

/**
 * Payment address of a tip's AMP payments: HMAC-SHA256(key, "tipstream:amp-addr:v1:" + tipId).
 * LND picks a random set id for every AMP send, so its per-hash duplicate guard cannot protect a
 * retry; this address, the same for every attempt, is what the payer searches LND's payments for
 * before any re-send. Domain-separated from the keysend preimage (which must stay secret).
 */
export const deriveAmpPaymentAddr = (key: Uint8Array, tipId: TipId): Uint8Array => {
  if (!(key instanceof Uint8Array) || key.length < 32) {
    throw new ByteLengthError(
      'preimageKey',
      'at least 32 random bytes',
      key instanceof Uint8Array ? key.length : typeof key,
    );
  }
  return hmac(sha256, key, utf8ToBytes(`tipstream:amp-addr:v1:${tipId}`));
};
