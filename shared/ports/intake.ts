import type { SigningSecret } from '../domain/platform-secrets.js';
import type { ReservationTag } from '../domain/reservation-tag.js';

/** A platform that may submit tips, with the secrets its requests are signed with. */
export interface PlatformRecord {
  platformId: string;
  name: string;
  /**
   * Signing secrets, newest first: more than one while a replaced secret is in its grace period
   * (`expiresAt`); an expired one verifies nothing (`activeSecrets`).
   */
  secrets: SigningSecret[];
  /** The platform's daily budget, sats. */
  dailyLimitSats: number;
  createdAt: string;
  /**
   * Whether its tips are sender-authenticated by default (shared-secret preimages; a request may
   * say otherwise with `authentication`). Absent on platforms created before the setting: off.
   */
  authenticatedTips?: boolean;
}

export interface PlatformStore {
  getPlatform(platformId: string): Promise<PlatformRecord | undefined>;
  /** Creates a platform; fails with `PlatformExistsError` if the id is taken. */
  createPlatform(platform: PlatformRecord): Promise<void>;
  /**
   * Replaces the platform's secrets with `change(current)`, applied to the stored list as read
   * and written only if nobody changed it meanwhile (two rotations cannot interleave).
   */
  updateSecrets(
    platformId: string,
    change: (current: SigningSecret[]) => SigningSecret[],
  ): Promise<PlatformRecord>;
  listPlatforms(): Promise<PlatformRecord[]>;
  /**
   * Records a verified signature, keyed on its MAC bytes (hex; never the header text, which a
   * sender could respell) with the request's Idempotency-Key. `fresh` the first time;
   * `same-request` when it comes again with the same key (a retry: idempotency answers it);
   * `replay` when it comes with another key (cannot happen while the key is signed: kept as a
   * second line of defence).
   */
  rememberSignature(
    platformId: string,
    macHex: string,
    idempotencyKey: string,
    expiresAt: Date,
  ): Promise<'fresh' | 'same-request' | 'replay'>;
}

export class PlatformExistsError extends Error {
  override name = 'PlatformExistsError';
}

/** A budget counter one accepted tip reserves against. */
export interface BudgetReservation {
  /**
   * The counter the tip reserves on, and is released to: e.g. `platform#streamco#day#2026-11-24`,
   * or the platform's lease of the global hour, `platform#streamco#hour#2026-11-24T08`.
   */
  key: string;
  /** The limit: of this counter, or of the shared budget it leases from. */
  limitMsat: bigint;
  /** Which limit, for the error message. */
  limit: 'platform-daily' | 'global-hourly';
  resetsAt: Date;
  /**
   * Set when `key` is a lease of a shared budget (`global#hour#2026-11-24T08`): the tip reserves
   * within what the lease was granted, and a lease too small grows by a chunk of the shared
   * budget (`shared/domain/budget-lease.ts`), so the shared item is written once per chunk.
   */
  leasedFrom?: string;
}

/** An accepted API request: the idempotency record and what was reserved for it. */
export interface AcceptedRequest {
  tipId: string;
  platformId: string;
  /** sha256 of the payment-relevant payload: the same key with another payload is refused. */
  fingerprint: string;
  /** The tips-queue message this request became. */
  message: string;
  amountMsat: bigint;
  /**
   * The routing-fee limit reserved on top of the amount (budgets count what leaves the node):
   * released on failure, trued up to the actual fee on success.
   */
  feeLimitMsat: bigint;
  budgetKeys: string[];
  acceptedAt: string;
  batchId?: string;
  line?: number;
}

export type AcceptResult =
  | { status: 'accepted' }
  | { status: 'duplicate'; existing: AcceptedRequest }
  | { status: 'over-budget'; reservation: BudgetReservation; usedMsat: bigint };

/** A payout batch or a split, accepted as a whole under one Idempotency-Key. */
export interface AcceptedBatch {
  batchId: string;
  platformId: string;
  kind: 'payout' | 'split';
  fingerprint: string;
  rowCount: number;
  totalMsat: bigint;
  /** The rows' routing-fee limits, reserved with the total. */
  feeLimitMsat: bigint;
  budgetKeys: string[];
  acceptedAt: string;
}

/** A batch with the progress the payer has recorded on it. */
export interface BatchProgress extends AcceptedBatch {
  succeededCount: number;
  failedCount: number;
  succeededMsat: bigint;
  failedMsat: bigint;
  feeMsat: bigint;
  /**
   * Whether every row is recorded. False from the budget transaction until the last row is
   * written: a request that died in between left rows unrecorded, and its retry completes them.
   */
  rowsWritten: boolean;
}

export interface IntakeStore {
  /**
   * One transaction records the batch (rows not yet written) and reserves its total on every
   * budget counter, each conditional on staying within its limit; `duplicate` if the batch exists.
   */
  acceptBatch(
    batch: AcceptedBatch,
    budgets: BudgetReservation[],
  ): Promise<
    | { status: 'accepted' }
    | { status: 'duplicate'; existing: BatchProgress }
    | { status: 'over-budget'; reservation: BudgetReservation; usedMsat: bigint }
  >;
  /**
   * Records the batch's row requests (rows point at the batch's budget keys, for release on
   * failure), each only if its tip id is not recorded yet, so a row the payer has since changed is
   * never overwritten; then marks the batch's rows written. Safe to run again after it died
   * part-way, or concurrently with another run for the same batch.
   */
  recordBatchRows(batchId: string, rows: AcceptedRequest[]): Promise<void>;
  getBatch(batchId: string): Promise<BatchProgress | undefined>;
  /** The batch's row requests, by line. */
  listBatchRequests(batchId: string): Promise<AcceptedRequest[]>;
  /**
   * One transaction: records the request unless its tip id exists, and reserves its amount on
   * every budget counter, each conditional on staying within its limit.
   */
  accept(request: AcceptedRequest, budgets: BudgetReservation[]): Promise<AcceptResult>;
  getRequest(tipId: string): Promise<AcceptedRequest | undefined>;
  /** What is reserved on a budget counter now (0 for one never used). */
  getBudgetUsed(key: string): Promise<bigint>;
}

/** A tip request for the payer's queue: its body, and the budget its request reserved. */
export interface QueuedTip {
  body: string;
  reservation?: ReservationTag;
}

/** A tip request as the payer receives it from the queue. */
export interface TipMessage {
  messageId: string;
  body: string;
  /** The reservation tag the API sent with it (`reservation-tag.ts`); absent: none was sent. */
  reservationTag?: string;
}

/** Sends tip requests to the payer's queue. */
export interface TipQueue {
  /** Sends messages (batched by 10); resolves once SQS has accepted every one. */
  send(messages: QueuedTip[]): Promise<void>;
}
