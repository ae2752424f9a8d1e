/**
 * How a payment attempt ended when it did not succeed, as the payer must act on it. The LND
 * adapter decides the class in one place; the payer never looks at `lightning`'s error codes.
 */

/** Why LND gave up for good on this hash: recorded as the tip's failure, never retried by SQS. */
export const PERMANENT_FAILURE_CODES = [
  'NO_ROUTE',
  'REJECTED_BY_DESTINATION',
  'INSUFFICIENT_BALANCE',
  'PATHFINDING_TIMEOUT',
  'INVALID_PAYMENT',
  'LND_ERROR',
  /** Never sent: beyond the payer's own limits (lowered after the API accepted the tip). */
  'REFUSED_BY_POLICY',
  /**
   * LND kept the payment in flight with no HTLC in any channel until the chain passed every
   * attempt's timeout height: provably never paid (shared/domain/stuck-payment.ts).
   */
  'STUCK_EXPIRED',
  /**
   * Never sent: the tip's Lightning Address has no keysend details and no usable LNURL-pay
   * answer (404, a bad document, the amount out of its range, a refused fetch).
   */
  'ADDRESS_UNRESOLVED',
] as const;
export type PermanentFailureCode = (typeof PERMANENT_FAILURE_CODES)[number];

/** LND terminally failed the payment: money did not move, the same hash may be sent again later. */
export class PermanentPaymentError extends Error {
  override name = 'PermanentPaymentError';
  constructor(
    readonly code: PermanentFailureCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Nothing was sent and nothing is known to be pending (LND unreachable before the call). */
export class TransientPaymentError extends Error {
  override name = 'TransientPaymentError';
}

/**
 * The payment may or may not have left: a timeout, a dropped stream, "in transition", "already
 * paid". The payer must look the hash up in LND, never guess.
 */
export class AmbiguousPaymentError extends Error {
  override name = 'AmbiguousPaymentError';
}

/** A ledger write lost a race: another worker changed the tip first. Re-read and decide again. */
export class LedgerConflictError extends Error {
  override name = 'LedgerConflictError';
}

/**
 * The queue named cannot be used as asked (a source queue given as a dead-letter queue, or a
 * dead-letter queue whose source is unclear): the caller must name the right queue.
 */
export class QueueChoiceError extends Error {
  override name = 'QueueChoiceError';
}
