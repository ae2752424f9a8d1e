import { TIP_ID_PATTERN } from '../domain/ids.js';
import type { BatchSummary } from '../ports/activity.js';
import type { IntakeStore } from '../ports/intake.js';
import type { TipLedger } from '../ports/tip-ledger.js';
import { BatchNotFoundError } from './errors.js';

/**
 * A batch's counts and msat by outcome; DONE once every row has succeeded or failed, INCOMPLETE
 * while some rows are not recorded (never DONE then: those rows would be holes).
 */
export const batchProgress = (batch: BatchSummary) => {
  const pending = batch.rowCount - batch.succeededCount - batch.failedCount;
  return {
    batchId: batch.batchId,
    kind: batch.kind,
    status: (!batch.rowsWritten ? 'INCOMPLETE' : pending <= 0 ? 'DONE' : 'IN_PROGRESS') as
      | 'INCOMPLETE'
      | 'DONE'
      | 'IN_PROGRESS',
    acceptedAt: batch.acceptedAt,
    counts: {
      total: batch.rowCount,
      succeeded: batch.succeededCount,
      failed: batch.failedCount,
      pending: Math.max(0, pending),
    },
    msat: {
      total: batch.totalMsat.toString(),
      succeeded: batch.succeededMsat.toString(),
      failed: batch.failedMsat.toString(),
      pending: (batch.totalMsat - batch.succeededMsat - batch.failedMsat).toString(),
      fees: batch.feeMsat.toString(),
    },
  };
};

/**
 * A platform's payout batch or split: its progress; while rows are unrecorded, how many and what
 * to do; once DONE, every row with its outcome. Another platform's batch is answered as missing.
 */
export const getBatchStatus = async (
  input: { platformId: string; batchId: string },
  deps: {
    intake: Pick<IntakeStore, 'getBatch' | 'listBatchRequests'>;
    ledger: Pick<TipLedger, 'getTips'>;
  },
) => {
  const { platformId, batchId } = input;
  // Batch ids are tip-id shaped (their rows are `<batchId>-<line>`): any other is missing.
  const batch = TIP_ID_PATTERN.test(batchId) ? await deps.intake.getBatch(batchId) : undefined;
  if (!batch || batch.platformId !== platformId) {
    throw new BatchNotFoundError(
      `platform ${platformId} has no payout batch ${batchId.slice(0, 300)}`,
    );
  }
  const body: ReturnType<typeof batchProgress> & {
    incomplete?: { unrecordedRows: number; detail: string };
    rows?: Array<Record<string, unknown>>;
  } = batchProgress(batch);
  if (body.status === 'INCOMPLETE') {
    const recorded = (await deps.intake.listBatchRequests(batchId)).length;
    const unrecorded = Math.max(0, batch.rowCount - recorded);
    body.incomplete = {
      unrecordedRows: unrecorded,
      detail: `incomplete: ${unrecorded} of ${batch.rowCount} rows not recorded (the request that submitted this ${batch.kind} did not finish, or is still running); retry the request with the same Idempotency-Key and body: the retry records and pays only what is missing`,
    };
  }
  if (body.status === 'DONE') {
    const requests = await deps.intake.listBatchRequests(batchId);
    const tips = await deps.ledger.getTips(requests.map((row) => row.tipId));
    body.rows = requests
      .map((row) => {
        const tip = tips.get(row.tipId);
        return {
          line: row.line,
          tipId: row.tipId,
          recipient: tip?.recipient,
          amountMsat: row.amountMsat.toString(),
          status: tip?.state ?? 'ACCEPTED',
          feeMsat: tip?.feeMsat?.toString(),
          paymentHash: tip?.paymentHash,
          ...(tip?.state === 'FAILED' ? { reason: tip.failureReason } : {}),
        };
      })
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }
  return body;
};
