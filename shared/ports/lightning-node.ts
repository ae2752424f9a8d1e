import type { TlvRecord } from '../domain/keysend-records.js';
import type { DecodedInvoice } from '../domain/lightning-address.js';
import type { NodePaymentState } from '../domain/payment-failure.js';
import type { RouteAssessment } from '../domain/payment-method.js';
import type { LndPaymentView } from '../domain/stuck-payment.js';
import type { PermanentFailureCode } from './errors.js';

export interface KeysendPayment {
  /** Recipient node, 33-byte compressed pubkey as lowercase hex. */
  destination: string;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  /** Sent in the keysend record (5482373484) so the recipient can settle. */
  preimage: Uint8Array;
  /** Custom records besides the keysend record (message, boostagram, custom key…). */
  records: TlvRecord[];
  /** Fee limit: always set, never unlimited. */
  maxFeeMsat: bigint;
  /** Blocks from the current height the HTLC may be locked for. */
  maxTimeoutBlocks: number;
  pathfindingTimeoutMs: number;
  /**
   * How long to wait for the outcome before calling it ambiguous (the invocation's deadline):
   * a payment still in flight then is left SENDING for the reconciler.
   */
  waitMs: number;
}

/**
 * A BOLT11 invoice (from a Lightning Address's LNURL-pay server), checked before it was stored:
 * every attempt of the tip pays this one invoice, so LND's duplicate guard on its hash holds.
 */
export interface InvoicePayment {
  invoice: string;
  /** The invoice's payee, for the readiness check and failure messages. */
  destination: string;
  maxFeeMsat: bigint;
  maxTimeoutBlocks: number;
  pathfindingTimeoutMs: number;
  waitMs: number;
}

/**
 * A spontaneous multipath (AMP) payment. LND picks a random set id per send, so nothing in LND
 * stops a second send: `paymentAddr` (the same for every attempt of a tip) is what a lookup
 * searches for before any re-send.
 */
export interface AmpPayment {
  destination: string;
  amountMsat: bigint;
  /** 32 bytes, carried in every shard's MPP record: the tip's identity in LND's payments. */
  paymentAddr: Uint8Array;
  records: TlvRecord[];
  maxFeeMsat: bigint;
  maxTimeoutBlocks: number;
  pathfindingTimeoutMs: number;
  waitMs: number;
}

/** Which AMP payments a lookup looks for: those carrying `paymentAddr`. */
export interface AmpLookup {
  paymentAddr: Uint8Array;
  /** An in-flight payment that has no shard yet (so no address to read) for this amount counts. */
  amountMsat: bigint;
  /** No send of the tip can be older than this (its creation). */
  since: Date;
}

/** What LND knows of a settled payment: enough for a receipt. */
export interface SettledPayment {
  status: 'succeeded';
  /**
   * Proves the payment: sha256(preimage) is `paymentHash` (a keysend's own hash when absent; one
   * settled shard's hash for AMP, whose shards each have their own).
   */
  preimage: Uint8Array;
  paymentHash?: Uint8Array;
  /** AMP only: LND's set id of the settled payment and the number of settled shards. */
  amp?: { setId: string; shards: number };
  feeMsat: bigint;
  /** Pubkeys of the hops, the recipient last. */
  hops: string[];
  settledAt: string;
}

export type PaymentLookup =
  | SettledPayment
  | { status: 'failed'; code: PermanentFailureCode; message: string }
  | { status: 'in_flight' }
  | { status: 'not_found' };

/** The operator's Lightning node, as the payer needs it. */
export interface LightningNode {
  /**
   * Pays by keysend and resolves when settled. Throws `PermanentPaymentError`,
   * `TransientPaymentError` or `AmbiguousPaymentError`. `onInFlight` fires once LND has taken the
   * payment (from then on only a lookup can tell how it ended).
   */
  payKeysend(payment: KeysendPayment, hooks?: { onInFlight?: () => void }): Promise<SettledPayment>;
  /**
   * Decodes a BOLT11 invoice as this node reads it (hash, amount, payee, description hash,
   * expiry). Throws `PermanentPaymentError` (`INVALID_PAYMENT`) for an invoice it cannot pay.
   */
  decodeInvoice(invoice: string): Promise<DecodedInvoice>;
  /** Pays a stored invoice and resolves when settled; throws like `payKeysend`. */
  payInvoice(payment: InvoicePayment, hooks?: { onInFlight?: () => void }): Promise<SettledPayment>;
  /** Asks LND what became of a payment hash; bounded by a timeout (getPayment can hang). */
  lookupPayment(paymentHash: Uint8Array): Promise<PaymentLookup>;
  /**
   * Pays by AMP (`SendPaymentV2` with `amp: true`) and resolves when settled; throws like
   * `payKeysend`. Called only after a lookup for `paymentAddr` found nothing live.
   */
  payAmp(payment: AmpPayment, hooks?: { onInFlight?: () => void }): Promise<SettledPayment>;
  /**
   * Searches LND's payments since `since` for those carrying the address: any settled → that one;
   * any in flight (or an in-flight payment of that amount whose shards are not known yet) →
   * in flight; else the latest failure; else not found.
   */
  lookupAmpPayment(lookup: AmpLookup): Promise<PaymentLookup>;
  /** Whether one path can carry the amount, and whether the recipient advertises AMP. */
  assessRoute(query: {
    destination: string;
    amountMsat: bigint;
    maxFeeMsat: bigint;
  }): Promise<RouteAssessment>;
  /** The node's own pubkey. */
  getPubkey(): Promise<string>;
  /**
   * The node's channels (open, able to forward) and graph sync, asked after a failure to tell the
   * node's passing state from the tip's answer; throws when LND does not answer.
   */
  paymentState(): Promise<NodePaymentState>;
}

/** LND's own view of a payment the ledger finds in flight for long: for the reconciler and operator. */
export interface PaymentInspector {
  /** Attempts (status, first hop, timeout height), channels carrying the hash, chain height. */
  inspectPayment(paymentHash: Uint8Array): Promise<LndPaymentView>;
}
