import { createHash } from 'node:crypto';
import { maxFeeMsat } from '../domain/fee-limit.js';
import { buildTipRequest, parseTipRequest, tipFingerprint } from '../domain/tip-request.js';
import type { AcceptedBatch, AcceptedRequest, PlatformRecord } from '../ports/intake.js';
import {
  authenticationField,
  budgetReservations,
  type IntakeDeps,
  overBudget,
  queuedTip,
  tipIdFor,
} from './accept-tip.js';

/** One tip of a batch: its line (CSV line, JSON row or split part) and its tip fields. */
export interface BatchRow {
  line: number;
  body: Record<string, unknown>;
  /** For a split's part: its place among the parts (the split is the batch). */
  part?: { index: number; count: number };
}

export type AcceptBatchResult =
  | { kind: 'accepted'; batchId: string; tipIds: string[]; totalMsat: bigint; replayed: boolean }
  | { kind: 'invalid'; errors: Array<{ line: number; message: string }> }
  | { kind: 'conflict'; message: string }
  | { kind: 'over-budget'; message: string; resetsAt: Date; limit: string };

/**
 * Accepts many tips as one batch (a payout file, the parts of a split) under one Idempotency-Key:
 * every row is validated as a tip (all errors reported with their lines), the batch total is
 * reserved against the budgets at once, each row is recorded, and all are enqueued in SQS batches.
 * Row tip ids derive from the batch id and the line, so a retried request cannot pay a row twice.
 */
export const acceptBatch = async (
  input: {
    platform: PlatformRecord;
    idempotencyKey: string;
    kind: AcceptedBatch['kind'];
    rows: BatchRow[];
  },
  deps: IntakeDeps,
): Promise<AcceptBatchResult> => {
  const platformId = input.platform.platformId;
  const batchId = tipIdFor(platformId, `${input.kind}:${input.idempotencyKey}`).replace(':', '-');
  const errors: Array<{ line: number; message: string }> = [];
  const parsedRows: Array<{
    row: BatchRow;
    tipId: string;
    message: string;
    fingerprint: string;
    amountMsat: bigint;
    feeLimitMsat: bigint;
  }> = [];
  for (const row of input.rows) {
    const tipId = `${batchId}-${row.line}`;
    const { authentication, ...fields } = row.body;
    const message: Record<string, unknown> = buildTipRequest({
      tipId,
      platformId,
      batchId,
      ...fields,
      ...authenticationField(input.platform, authentication, fields.recipientAddress !== undefined),
    });
    if (row.part) message.splitOf = { splitId: batchId, ...row.part };
    const parsed = parseTipRequest(message, {
      maxMsat: deps.policy.maxTipMsat,
      allowMsat: deps.policy.allowMsat,
      customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
    });
    if (!parsed.ok) {
      errors.push({ line: row.line, message: parsed.error.message });
      continue;
    }
    parsedRows.push({
      row,
      tipId,
      message: JSON.stringify(message),
      fingerprint: tipFingerprint(parsed.tip),
      amountMsat: parsed.tip.amountMsat,
      feeLimitMsat: maxFeeMsat(parsed.tip.amountMsat, deps.policy),
    });
  }
  if (errors.length > 0) return { kind: 'invalid', errors };

  const now = deps.now();
  const reservations = budgetReservations(input.platform, deps.policy, now);
  const totalMsat = parsedRows.reduce((sum, row) => sum + row.amountMsat, 0n);
  const feeLimitMsat = parsedRows.reduce((sum, row) => sum + row.feeLimitMsat, 0n);
  const batch: AcceptedBatch = {
    batchId,
    platformId,
    kind: input.kind,
    fingerprint: createHash('sha256')
      .update(parsedRows.map((row) => `${row.row.line}:${row.fingerprint}`).join('\n'))
      .digest('hex'),
    rowCount: parsedRows.length,
    totalMsat,
    feeLimitMsat,
    budgetKeys: reservations.map((reservation) => reservation.key),
    acceptedAt: now.toISOString(),
  };
  // Rows point at the budget keys the batch reserved (released on failure): on a retry, those of
  // the first request, which may have reserved another day's counters.
  const requestsOf = (accepted: Pick<AcceptedBatch, 'budgetKeys' | 'acceptedAt'>) =>
    parsedRows.map(
      (row): AcceptedRequest => ({
        tipId: row.tipId,
        platformId,
        fingerprint: row.fingerprint,
        message: row.message,
        amountMsat: row.amountMsat,
        feeLimitMsat: row.feeLimitMsat,
        budgetKeys: accepted.budgetKeys,
        acceptedAt: accepted.acceptedAt,
        batchId,
        line: row.row.line,
      }),
    );
  const tipIds = parsedRows.map((row) => row.tipId);
  const result = await deps.intake.acceptBatch(batch, reservations);
  switch (result.status) {
    case 'accepted': {
      const requests = requestsOf(batch);
      await deps.intake.recordBatchRows(batchId, requests);
      await deps.queue.send(requests.map(queuedTip));
      return { kind: 'accepted', batchId, tipIds, totalMsat, replayed: false };
    }
    case 'duplicate': {
      if (result.existing.fingerprint !== batch.fingerprint) {
        return {
          kind: 'conflict',
          message: `Idempotency-Key "${input.idempotencyKey}" was already used for a different ${input.kind}; send a new key`,
        };
      }
      // The first attempt may have died while recording the rows (their budget would leak and the
      // batch show holes) or before enqueueing: record what is missing, send what the payer lacks.
      const requests = requestsOf(result.existing);
      if (!result.existing.rowsWritten) await deps.intake.recordBatchRows(batchId, requests);
      const known = await deps.ledger.getTips(tipIds);
      const missing = requests.filter((request) => !known.has(request.tipId)).map(queuedTip);
      if (missing.length > 0) await deps.queue.send(missing);
      return { kind: 'accepted', batchId, tipIds, totalMsat, replayed: true };
    }
    case 'over-budget':
      return overBudget(result.reservation, result.usedMsat, totalMsat + feeLimitMsat);
  }
};
