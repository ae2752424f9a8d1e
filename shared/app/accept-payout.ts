import { parsePayoutCsv, parsePayoutJson } from '../domain/payout-file.js';
import { recipientField } from '../domain/tip-request.js';
import type { PlatformRecord } from '../ports/intake.js';
import { type AcceptBatchResult, acceptBatch, type BatchRow } from './accept-batch.js';
import type { IntakeDeps } from './accept-tip.js';

/** The most rows one payout file may have. */
const MAX_PAYOUT_ROWS = 10_000;

/**
 * Accepts a payout file (CSV text, or the JSON envelope `{ payouts, allowPartial? }`) as one
 * batch. A file with invalid rows is refused whole, unless `allowPartial` asks to pay the valid
 * rows: then the invalid ones are returned as `skipped`.
 */
export const acceptPayout = async (
  input: {
    platform: PlatformRecord;
    idempotencyKey: string;
    file: { csv: string } | { json: Record<string, unknown> };
    allowPartial: boolean;
  },
  deps: IntakeDeps,
): Promise<{ result: AcceptBatchResult; skipped: Array<{ line: number; message: string }> }> => {
  const policy = {
    maxMsat: deps.policy.maxTipMsat,
    allowMsat: deps.policy.allowMsat,
    maxRows: MAX_PAYOUT_ROWS,
    customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
  };
  let allowPartial = input.allowPartial;
  let file: ReturnType<typeof parsePayoutCsv>;
  if ('csv' in input.file) {
    file = parsePayoutCsv(input.file.csv, policy);
  } else {
    const { allowPartial: partial, ...envelope } = input.file.json;
    allowPartial ||= partial === true;
    file = parsePayoutJson(envelope, policy);
  }
  if (file.errors.length > 0 && (!allowPartial || file.rows.length === 0)) {
    return { result: { kind: 'invalid', errors: file.errors }, skipped: [] };
  }
  const rows: BatchRow[] = file.rows.map((row) => ({
    line: row.line,
    body: {
      ...recipientField(row.recipient),
      amountMsat: row.amountMsat.toString(),
      ...(row.memo ? { message: row.memo } : {}),
      ...(row.customRecord ? { customRecord: row.customRecord } : {}),
      ...(row.method ? { method: row.method } : {}),
    },
  }));
  const result = await acceptBatch(
    { platform: input.platform, idempotencyKey: input.idempotencyKey, kind: 'payout', rows },
    deps,
  );
  return { result, skipped: file.errors };
};
