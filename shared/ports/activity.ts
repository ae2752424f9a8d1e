import type { HourlyActivity, SummaryTip } from '../domain/platform-summary.js';
import type { BatchProgress } from './intake.js';
import type { TipState } from './tip-ledger.js';

/** A page cursor this API did not hand out (or one for another platform): the caller must drop it. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** One settled payout to a recipient, as the recipient's history shows it. */
export interface PayoutHistoryEntry {
  tipId: string;
  platformId: string;
  amountMsat: string;
  feeMsat?: string;
  settledAt: string;
  paymentHash: string;
  batchId?: string;
}

/** A platform's all-time totals for one recipient. */
interface RecipientTotals {
  paidMsat: string;
  feeMsat: string;
  tipCount: number;
  lastPaidAt?: string;
}

/** One platform's settled payouts to a recipient; other platforms' payouts never show. */
export interface PayoutHistory {
  /** Newest first; a cursor only when more exist. Throws InvalidCursorError for a foreign cursor. */
  list(
    platformId: string,
    recipient: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ payouts: PayoutHistoryEntry[]; cursor?: string }>;
  totals(platformId: string, recipient: string): Promise<RecipientTotals>;
}

/** One tip of a platform as the platform index carries it (no records, no receipt). */
export interface PlatformTipEntry {
  tipId: string;
  state: TipState;
  recipient: string;
  amountMsat: string;
  feeMsat?: string;
  createdAt: string;
  updatedAt: string;
  settledAt?: string;
  failureCode?: string;
  failureReason?: string;
  batchId?: string;
  attempt: number;
}

/** A batch's progress without its idempotency and budget bookkeeping. */
export type BatchSummary = Omit<BatchProgress, 'fingerprint' | 'budgetKeys'>;

/** A platform's recent tips and batches (dashboard lists and summaries). */
export interface PlatformActivity {
  /** The platform's tips, newest first; throws InvalidCursorError for a foreign cursor. */
  listTips(
    platformId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ tips: PlatformTipEntry[]; cursor?: string }>;
  /** The platform's counters of these hours (hour starts); an hour without outcomes is absent. */
  hourlyActivity(platformId: string, hours: readonly string[]): Promise<HourlyActivity[]>;
  /** The tips created since `from`, newest first, at most `limit` (`more` when others exist). */
  recentTips(
    platformId: string,
    from: Date,
    limit: number,
  ): Promise<{ tips: SummaryTip[]; more: boolean }>;
  batchesSince(platformId: string, from: Date, limit?: number): Promise<BatchSummary[]>;
}
