import { stringify } from 'csv-stringify/sync';
import { formatCount, formatDuration, plainSats, satsLabel } from './format.js';

/** `GET /v1/payouts/{batchId}` (openapi.json BatchStatus). */
export interface BatchStatus {
  batchId: string;
  kind: 'payout' | 'split';
  status: 'IN_PROGRESS' | 'INCOMPLETE' | 'DONE';
  acceptedAt: string;
  /** Only while INCOMPLETE: rows its submission did not record, and what to do. */
  incomplete?: { unrecordedRows: number; detail: string };
  counts: { total: number; succeeded: number; failed: number; pending: number };
  msat: { total: string; succeeded: string; failed: string; pending: string; fees: string };
  rows?: BatchRowResult[];
}

/** One row's outcome (openapi.json BatchRowResult). */
export interface BatchRowResult {
  line: number;
  tipId: string;
  recipient?: string;
  amountMsat: string;
  status: string;
  feeMsat?: string;
  paymentHash?: string;
  reason?: string;
}

/** Several batches (a file sent in parts) seen as one payout. */
export interface PayoutProgress {
  batchIds: string[];
  done: boolean;
  counts: { total: number; succeeded: number; failed: number; pending: number };
  msat: { total: bigint; succeeded: bigint; failed: bigint; pending: bigint; fees: bigint };
}

export const aggregateBatches = (batches: readonly BatchStatus[]): PayoutProgress => {
  const progress: PayoutProgress = {
    batchIds: batches.map((batch) => batch.batchId),
    done: batches.every((batch) => batch.status === 'DONE'),
    counts: { total: 0, succeeded: 0, failed: 0, pending: 0 },
    msat: { total: 0n, succeeded: 0n, failed: 0n, pending: 0n, fees: 0n },
  };
  for (const batch of batches) {
    for (const key of ['total', 'succeeded', 'failed', 'pending'] as const) {
      progress.counts[key] += batch.counts[key];
      progress.msat[key] += BigInt(batch.msat[key]);
    }
    progress.msat.fees += BigInt(batch.msat.fees);
  }
  return progress;
};

/** Every row of finished batches, by line. */
export const collectRows = (batches: readonly BatchStatus[]): BatchRowResult[] =>
  batches.flatMap((batch) => batch.rows ?? []).sort((a, b) => a.line - b.line);

/**
 * Rows finished per second over a sliding window, and the time left at that rate. The window
 * makes the ETA follow the payer's current speed, not the average since the start.
 */
export class RateTracker {
  private readonly samples: Array<{ at: number; finished: number }> = [];
  private readonly windowMs: number;

  constructor(windowMs = 15_000) {
    this.windowMs = windowMs;
  }

  add(at: number, finished: number): void {
    this.samples.push({ at, finished });
    while (this.samples.length > 2 && at - (this.samples[1]?.at ?? at) >= this.windowMs) {
      this.samples.shift();
    }
  }

  /** Rows per second, or undefined before two samples a moment apart. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return undefined;
    return Math.max(0, (last.finished - first.finished) / ((last.at - first.at) / 1000));
  }

  /** Milliseconds until `pending` rows finish at the current rate. */
  etaMs(pending: number): number | undefined {
    if (pending === 0) return 0;
    const rate = this.rate();
    return rate && rate > 0 ? (pending / rate) * 1000 : undefined;
  }
}

/** One plain progress line (logs, pipes, CI): everything the TTY bar shows. */
export const progressLine = (progress: PayoutProgress, rate?: number, etaMs?: number): string => {
  const { counts, msat } = progress;
  const finished = counts.succeeded + counts.failed;
  const percent = counts.total === 0 ? 100 : Math.floor((finished / counts.total) * 100);
  return [
    `${formatCount(finished)}/${formatCount(counts.total)} rows (${percent}%)`,
    `paid ${formatCount(counts.succeeded)}`,
    `failed ${formatCount(counts.failed)}`,
    `pending ${formatCount(counts.pending)}`,
    `${satsLabel(msat.succeeded)} of ${satsLabel(msat.total)}`,
    rate === undefined ? 'rate …' : `${rate.toFixed(1)} rows/s`,
    `ETA ${etaMs === undefined ? '…' : formatDuration(etaMs)}`,
  ].join(' · ');
};

export const RESULT_CSV_COLUMNS = [
  'row',
  'pubkey',
  'amount_sats',
  'status',
  'fee_msat',
  'payment_hash',
  'reason',
  'tip_id',
] as const;

/** The result file: one line per payout row, `row` being its line in the payout file. */
export const renderResultCsv = (rows: readonly BatchRowResult[]): string =>
  stringify(
    rows.map((row) => [
      String(row.line),
      row.recipient,
      plainSats(row.amountMsat),
      row.status,
      row.feeMsat ?? '',
      row.paymentHash ?? '',
      row.reason?.replace(/[\r\n]+/g, ' ') ?? '',
      row.tipId,
    ]),
    // Leading or trailing spaces are kept by quoting them, as spreadsheets would drop them.
    { header: true, columns: [...RESULT_CSV_COLUMNS], quoted_match: /^\s|\s$/ },
  );
