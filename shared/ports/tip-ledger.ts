import type { TlvRecord } from '../domain/keysend-records.js';
import type { SendMethod } from '../domain/payment-method.js';
import type { ReservationTag } from '../domain/reservation-tag.js';
import type { StuckVerdictCode } from '../domain/stuck-payment.js';
import type { PermanentFailureCode } from './errors.js';

/** RECEIVED → SENDING → SUCCEEDED | FAILED; every transition is a conditional write. */
export type TipState = 'RECEIVED' | 'SENDING' | 'SUCCEEDED' | 'FAILED';

/** A tip as the ledger keeps it. */
export interface TipRecord {
  tipId: string;
  state: TipState;
  /** sha256 of the payment-relevant payload: the same tipId with another payload is refused. */
  fingerprint: string;
  platformId: string;
  recipient: string;
  amountMsat: bigint;
  records: TlvRecord[];
  /** Fixed at creation: every attempt of this tip pays this hash (LND refuses a second send). */
  paymentHash: string;
  /** Version of the preimage key the hash was derived with (`hmac-v1`). */
  keyVersion: number;
  /**
   * How every attempt is sent, fixed before the first (absent: keysend, as before AMP). An AMP tip
   * pays to `paymentAddr` (hex) instead of the hash: LND's set ids are random, so the address is
   * what a lookup searches for before any re-send.
   */
  sendMethod?: SendMethod;
  /** Why this method: asked for, or what `auto` saw (one path, AMP advertised). */
  methodReason?: string;
  paymentAddr?: string;
  /**
   * A Lightning Address tip (`recipient` is the address): the node paid, from its keysend details
   * or the invoice's payee, fixed before the first send.
   */
  destination?: string;
  /**
   * An `lnurl-invoice` tip: the BOLT11 invoice its `paymentHash` is, stored before it is ever
   * paid, and when it expires. Every attempt pays this invoice; it is replaced (with the hash)
   * only by the attempt's owner, before that attempt sends anything, once LND can no longer pay
   * it, while no earlier attempt is live (every earlier one was decided failed or not found).
   */
  invoice?: string;
  invoiceExpiresAt?: string;
  /**
   * How the preimage is derived, fixed with the hash: absent (every tip recorded before this
   * field) is HMAC-SHA256 of the preimage key `keyVersion`; `ecdh-v1` is HMAC-SHA256 of the ECDH
   * secret of the operator's and the recipient's node keys (`deriveSharedSecretPreimage`). Every
   * attempt and lookup of the tip uses this derivation, whatever the current settings say.
   */
  preimageDerivation?: 'ecdh-v1';
  /** Number of times the tip entered SENDING. */
  attempt: number;
  createdAt: string;
  updatedAt: string;
  /** When the tip entered its current unfinished state (RECEIVED or SENDING). */
  sendingSince?: string;
  /**
   * The current attempt's lease: the deadline of the invocation that recorded it (SENDING), the
   * only one that may call LND for this attempt, and only before this instant. Until it has
   * passed (plus the policy's grace) an LND answer of "failed" or "not found" may be an older
   * attempt's and must not decide this one. Fixed when the attempt is recorded, never extended.
   */
  leaseUntil?: string;
  /** Attempts whose lease was given up because their send never reached LND: not tries. */
  unsentAttempts?: number;
  /**
   * When the operator node's own state first held the tip back (`payment-failure.ts`): the
   * recovery window runs from here, once per tip, never reset.
   */
  heldSince?: string;
  /**
   * Attempts the node's state held (LND failed them because the node was not forwarding): not
   * sends, like `unsentAttempts`, so a hold never uses up one of the tip's sends.
   */
  heldAttempts?: number;
  /**
   * The latest attempt held: holding it again counts nothing (nor does giving up its lease: an
   * attempt is counted in `heldAttempts` or `unsentAttempts`, never both).
   */
  heldAttempt?: number;
  failureCode?: PermanentFailureCode;
  failureReason?: string;
  /** The signed receipt (JSON) once SUCCEEDED. */
  receipt?: string;
  feeMsat?: bigint;
  settledAt?: string;
  batchId?: string;
  splitId?: string;
  /** Set by the reconciler while LND keeps the payment in flight for long (kept as history). */
  stuck?: StuckFlag;
}

/** The reconciler's finding on a tip whose payment LND has kept in flight for long. */
export interface StuckFlag {
  /** When it was first flagged, and when LND was last asked. */
  since: string;
  checkedAt: string;
  verdict: StuckVerdictCode;
  /** What it means and what will happen, in words. */
  reason: string;
  /** LND's view at `checkedAt` (`LndPaymentView` as JSON): attempts, channels, heights. */
  view: string;
  /** The attempt it was found on. */
  attempt: number;
}

/** Where the reconciler records stuck flags (the tips table, beside the tip). */
export interface StuckFlagStore {
  /** Records the flag on `tip` if it is still SENDING at `tip.attempt`; does nothing otherwise. */
  flagStuck(tip: TipRecord, flag: StuckFlag): Promise<void>;
}

/** What a tip holds of its LNURL-pay invoice. */
export type InvoiceFields = Required<
  Pick<TipRecord, 'invoice' | 'paymentHash' | 'invoiceExpiresAt' | 'destination'>
>;

export type NewTip = Pick<
  TipRecord,
  | 'tipId'
  | 'fingerprint'
  | 'platformId'
  | 'recipient'
  | 'amountMsat'
  | 'records'
  | 'paymentHash'
  | 'keyVersion'
  | 'sendMethod'
  | 'methodReason'
  | 'paymentAddr'
  | 'destination'
  | 'invoice'
  | 'invoiceExpiresAt'
  | 'preimageDerivation'
  | 'batchId'
  | 'splitId'
>;

/**
 * A tip as the ledger first records it: RECEIVED, to be paid (in the reconciler's view from the
 * start); SENDING at attempt 1 with `first.leaseUntil` (the intent to pay recorded with the tip,
 * by the invocation that will send it); or FAILED at once with `first.failure` when the payer
 * refuses it.
 */
export const firstRecord = (
  tip: NewTip,
  now: Date,
  first: { failure?: { code: PermanentFailureCode; reason: string }; leaseUntil?: Date } = {},
): TipRecord => {
  const at = now.toISOString();
  const times = { attempt: 0, createdAt: at, updatedAt: at };
  if (first.failure) {
    return {
      ...tip,
      ...times,
      state: 'FAILED',
      failureCode: first.failure.code,
      failureReason: first.failure.reason,
    };
  }
  if (first.leaseUntil) {
    return {
      ...tip,
      ...times,
      state: 'SENDING',
      attempt: 1,
      sendingSince: at,
      leaseUntil: first.leaseUntil.toISOString(),
    };
  }
  return { ...tip, ...times, state: 'RECEIVED', sendingSince: at };
};

export interface Rejection {
  /** The SQS message id: a rejected message may have no usable tip id. */
  messageId: string;
  reason: string;
  field?: string;
  claimedTipId?: string;
  body: string;
}

export interface RecipientTotals {
  recipient: string;
  paidMsat: bigint;
  feeMsat: bigint;
  tipCount: number;
}

/**
 * What a tip's queue message says about the budget its API request reserved: the reservation
 * (`reserved`), or that no request reserved any (`none`: a message not sent by the API). The
 * ledger checks it inside the transaction that ends the tip instead of reading the request first;
 * if it does not hold, it reads the request and settles what that records. Without a word (the
 * reconciler) it reads the request.
 */
export type ReservationHint = { kind: 'reserved'; tag: ReservationTag } | { kind: 'none' };

/** The payouts ledger in DynamoDB, as the payer and reconciler use it. */
export interface TipLedger {
  /**
   * Creates the tip unless its id exists; returns what is stored either way. Without `leaseUntil`
   * it is RECEIVED; with it, SENDING at attempt 1 with that lease: the intent to pay recorded in
   * the same write, by the invocation that will send it (`markSending` for a tip created then).
   */
  createTip(
    tip: NewTip,
    now: Date,
    leaseUntil?: Date,
  ): Promise<{ created: boolean; record: TipRecord }>;
  getTip(tipId: string): Promise<TipRecord | undefined>;
  /** Many tips at once (strongly consistent), keyed by tip id; unknown ids are absent. */
  getTips(tipIds: readonly string[]): Promise<Map<string, TipRecord>>;
  /**
   * Records the intent to pay before LND is called: `from` → SENDING with attempt + 1 and the new
   * attempt's lease, only if the tip is still in `from` at `expectedAttempt` with the payment hash
   * `expectedHash`: a decision taken from LND's answer about one hash never starts an attempt of
   * another (an `lnurl-invoice` tip's owner may have replaced its invoice since the caller read
   * it). Throws `LedgerConflictError` if it is not.
   */
  markSending(
    tipId: string,
    from: 'RECEIVED' | 'SENDING',
    expectedAttempt: number,
    expectedHash: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<TipRecord>;
  /**
   * Replaces an `lnurl-invoice` tip's invoice and hash, only while it is SENDING at `tip.attempt`
   * with the same hash (its owner's attempt, before it sends); `LedgerConflictError` otherwise.
   */
  replaceInvoice(
    tip: TipRecord,
    invoice: {
      invoice: string;
      paymentHash: string;
      invoiceExpiresAt: string;
      destination: string;
    },
    now: Date,
  ): Promise<TipRecord>;
  /**
   * Gives up the lease of `tip`'s attempt (its send never reached LND, and its owner will not send
   * for it) and counts the attempt as unsent, if the tip is still SENDING at that attempt and the
   * attempt was not counted as held (no send either way: counted once); does nothing otherwise.
   */
  releaseLease(tip: TipRecord): Promise<void>;
  /**
   * Records that the node's state holds `tip`'s attempt: counted once in `heldAttempts` (a held
   * attempt is not one of the tip's sends) and, on the tip's first hold, `heldSince` (the window
   * runs from it, never reset), if the tip is still SENDING at that attempt and that attempt was
   * not counted yet; does nothing otherwise. An attempt whose lease was given up (`leaseUntil`
   * absent: counted in `unsentAttempts`) is recorded as `heldAttempt` but not counted again.
   */
  markHeld(tip: TipRecord, at: Date): Promise<void>;
  /**
   * One transaction: SENDING → SUCCEEDED with the receipt, plus the recipient's totals and the
   * batch's progress, and the budget its request reserved trued up to the fee paid (`reservation`:
   * the message's word on it). Applies once; throws `LedgerConflictError` if the tip was not
   * SENDING.
   */
  markSucceeded(
    tip: TipRecord,
    outcome: { receipt: string; feeMsat: bigint; settledAt: string },
    now: Date,
    reservation?: ReservationHint,
  ): Promise<void>;
  /**
   * SENDING → FAILED with the reason, only at `expectedAttempt`, its budget released;
   * `LedgerConflictError` otherwise.
   */
  markFailed(
    tip: TipRecord,
    failure: { code: PermanentFailureCode; reason: string },
    now: Date,
    reservation?: ReservationHint,
  ): Promise<void>;
  /**
   * Creates the tip as FAILED unless its id exists, with the failure's effects in the same
   * transaction (budget released, batch row counted): a tip the payer refuses although the API
   * accepted it (a limit lowered since). Returns what is stored either way.
   */
  createRefusedTip(
    tip: NewTip,
    failure: { code: PermanentFailureCode; reason: string },
    now: Date,
    reservation?: ReservationHint,
  ): Promise<{ created: boolean; record: TipRecord }>;
  recordRejection(rejection: Rejection, now: Date): Promise<void>;
  /**
   * Unfinished tips (RECEIVED or SENDING) since before `olderThan`, oldest first, a page at a
   * time (a tip whose message was lost before SENDING must be found too): pass the returned
   * `cursor` back for the next page (tips that stay in flight must not hide newer ones).
   */
  listStuckSending(
    olderThan: Date,
    page: { limit: number; cursor?: string },
  ): Promise<{ tips: TipRecord[]; cursor?: string }>;
  getRecipientTotals(recipient: string): Promise<RecipientTotals | undefined>;
}
