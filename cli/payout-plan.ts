import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import {
  type PayoutFile,
  type PayoutFileError,
  type PayoutPolicy,
  type PayoutRow,
  parsePayoutCsv,
  parsePayoutJson,
} from '../shared/domain/payout-file.js';

/** What `POST /v1/payouts` accepts in one request (openapi.json; the handler's limits). */
export const API_PAYOUT_LIMITS = { maxRows: 10_000, maxBytes: 2 * 1024 * 1024 } as const;

export type PayoutFormat = 'csv' | 'json';

/** A payout file checked locally with the shared parser (the API's own rules). */
export interface ValidatedPayout extends PayoutFile {
  format: PayoutFormat;
  totalMsat: bigint;
  recipients: number;
}

/** One `POST /v1/payouts` request of a plan. */
export interface PayoutBatchPlan {
  /** 0-based position in the plan. */
  index: number;
  rows: PayoutRow[];
  totalMsat: bigint;
  body: string;
  contentType: 'text/csv' | 'application/json';
  idempotencyKey: string;
}

/** `.json`, or content that starts with `{`, is JSON; anything else is CSV. */
export const detectPayoutFormat = (path: string, text: string): PayoutFormat => {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.csv') return 'csv';
  return text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('{')
    ? 'json'
    : 'csv';
};

/**
 * Validates a payout file exactly as the API will (shared/domain/payout-file.ts), without the
 * per-request row limit: a longer file is sent as several batches.
 */
export const validatePayoutFile = (
  path: string,
  text: string,
  policy: Omit<PayoutPolicy, 'maxRows'>,
): ValidatedPayout => {
  const format = detectPayoutFormat(path, text);
  const unlimited = { ...policy, maxRows: Number.MAX_SAFE_INTEGER };
  let file: PayoutFile;
  if (format === 'csv') {
    file = parsePayoutCsv(text, unlimited);
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      return {
        format,
        rows: [],
        errors: [{ line: 0, message: `the file is not valid JSON: ${(error as Error).message}` }],
        totalMsat: 0n,
        recipients: 0,
      };
    }
    file = parsePayoutJson(value, unlimited);
  }
  return {
    format,
    ...file,
    totalMsat: file.rows.reduce((sum, row) => sum + row.amountMsat, 0n),
    recipients: new Set(file.rows.map((row) => row.recipient)).size,
  };
};

/**
 * The default Idempotency-Key of a file: running the same payout again resumes it, never pays
 * twice. It comes from the rows (recipient, amount, memo, custom record, in order), not the
 * bytes: the file re-saved by an editor or a spreadsheet (line endings, a byte order mark,
 * quoting, JSON layout) is the same payout. Rows that moved to other lines (a header added)
 * keep the key, and the API refuses them as a conflict instead of paying them again. So does a
 * row whose send method alone changed (`amp` added after a keysend `NO_ROUTE`): the method is not
 * in the key, so the file is the same payout, refused as a conflict, not a new one paying every
 * other row again.
 */
export const defaultPayoutKey = (rows: readonly PayoutRow[]): string => {
  const content = rows.map((row) => [
    row.recipient,
    row.amountMsat.toString(),
    row.memo ?? null,
    row.customRecord ?? null,
  ]);
  return `tipstream-payout-${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 40)}`;
};

/** The key of part `index` of `count` (the base key itself when there is one part). */
export const partKey = (base: string, index: number, count: number): string =>
  count === 1 ? base : `${base}-part${index + 1}of${count}`;

/** One payout row as a CSV record the shared parser reads back to the same row. */
const payoutRowCsv = (row: PayoutRow): string => {
  const fields = [row.recipient, (row.amountMsat / 1000n).toString(), row.memo ?? ''];
  if (row.customRecord || row.method) {
    fields.push(row.customRecord?.type ?? '', row.customRecord?.value ?? '');
  }
  if (row.method) fields.push(row.method);
  // Text fields always quoted (an empty memo stays an empty field, not a missing one).
  return stringify([fields], { record_delimiter: '', quoted_string: true, quoted_empty: true });
};

/**
 * Plans the requests for a valid file. A file within the API's limits is sent as it is, one
 * batch. A longer one is sent as several CSV batches in which every row stays on its own line
 * number (the other rows' lines are left blank, which the parser skips): the API's row results
 * then name the lines of the operator's file, in every batch, even when watching resumes later.
 */
export const planPayoutBatches = (
  validated: ValidatedPayout,
  text: string,
  {
    baseKey,
    maxRows = API_PAYOUT_LIMITS.maxRows,
    maxBytes = API_PAYOUT_LIMITS.maxBytes,
  }: { baseKey: string; maxRows?: number; maxBytes?: number },
): PayoutBatchPlan[] => {
  const { rows } = validated;
  if (validated.errors.length > 0) throw new Error('planPayoutBatches needs a file without errors');
  const contentType = validated.format === 'csv' ? 'text/csv' : 'application/json';
  if (rows.length <= maxRows && Buffer.byteLength(text, 'utf8') <= maxBytes) {
    return [
      {
        index: 0,
        rows,
        totalMsat: validated.totalMsat,
        body: text,
        contentType,
        idempotencyKey: partKey(baseKey, 0, 1),
      },
    ];
  }
  const { lines, header } = lineLayout(validated, text);
  const rowBytes = (row: PayoutRow) => Buffer.byteLength(lines[row.line - 1] ?? '', 'utf8');
  // Every part carries every line break (and the header), so line numbers stay the file's.
  const fixedBytes =
    lines.length - 1 + (header === undefined ? 0 : Buffer.byteLength(lines[header] ?? ''));
  const groups: PayoutRow[][] = [];
  let current: PayoutRow[] = [];
  let bytes = fixedBytes;
  for (const row of rows) {
    const size = rowBytes(row);
    if (fixedBytes + size > maxBytes) {
      throw new PayoutPlanError(
        `line ${row.line} cannot be sent: with the file's ${lines.length} line breaks it needs more than ${maxBytes} bytes; split the file into smaller files`,
      );
    }
    if (current.length === maxRows || bytes + size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = fixedBytes;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((group, index) => {
    const keep = new Set(group.map((row) => row.line - 1));
    if (header !== undefined) keep.add(header);
    return {
      index,
      rows: group,
      totalMsat: group.reduce((sum, row) => sum + row.amountMsat, 0n),
      body: lines.map((line, position) => (keep.has(position) ? line : '')).join('\n'),
      contentType: 'text/csv',
      idempotencyKey: partKey(baseKey, index, groups.length),
    };
  });
};

/** A file that cannot be sent as planned. */
export class PayoutPlanError extends Error {
  override name = 'PayoutPlanError';
}

/** The file's physical lines (CSV), or CSV lines made from JSON rows (line N = row N). */
const lineLayout = (
  validated: ValidatedPayout,
  text: string,
): { lines: string[]; header?: number } => {
  if (validated.format === 'csv') {
    const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
    const rowLines = new Set(validated.rows.map((row) => row.line - 1));
    // In a valid file the only non-blank line that is not a row is the header.
    const header = lines.findIndex((line, index) => line.trim() !== '' && !rowLines.has(index));
    return { lines, header: header === -1 ? undefined : header };
  }
  const broken: PayoutFileError[] = validated.rows
    .filter((row) => /[\r\n]/.test(`${row.memo ?? ''}${row.customRecord?.value ?? ''}`))
    .map((row) => ({
      line: row.line,
      message: `row ${row.line}: memo or customValue has a line break`,
    }));
  if (broken.length > 0) {
    throw new PayoutPlanError(
      `the file has more rows than one request takes (${API_PAYOUT_LIMITS.maxRows}), so it is sent in parts as CSV, where a record must stay on one line: ${broken
        .slice(0, 5)
        .map((error) => error.message)
        .join(
          '; ',
        )}${broken.length > 5 ? ` (and ${broken.length - 5} more)` : ''}. Remove the line breaks or split the file`,
    );
  }
  const lines: string[] = [];
  for (const row of validated.rows) lines[row.line - 1] = payoutRowCsv(row);
  return { lines: Array.from(lines, (line) => line ?? '') };
};
