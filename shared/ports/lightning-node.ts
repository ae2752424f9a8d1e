import type { TlvRecord } from '../domain/keysend-records.js';
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

/** What LND knows of a settled payment: enough for a receipt. */
export interface SettledPayment {
  status: 'succeeded';
  preimage: Uint8Array;
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
  /** Asks LND what became of a payment hash; bounded by a timeout (getPayment can hang). */
  lookupPayment(paymentHash: Uint8Array): Promise<PaymentLookup>;
  /** The node's own pubkey. */
  getPubkey(): Promise<string>;
}

/** LND's own view of a payment the ledger finds in flight for long: for the reconciler and operator. */
export interface PaymentInspector {
  /** Attempts (status, first hop, timeout height), channels carrying the hash, chain height. */
  inspectPayment(paymentHash: Uint8Array): Promise<LndPaymentView>;
}
