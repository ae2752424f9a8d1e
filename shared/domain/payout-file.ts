import { utf8ToBytes } from '@noble/hashes/utils.js';
import { CsvError, parse } from 'csv-parse/sync';
import * as z from 'zod';
import type { AmountPolicy } from './amounts.js';
import type { MilliSats } from './brands.js';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';
import { describeValue, parseShape } from './input-shape.js';
import {
  DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES,
  TEXT_MESSAGE_RECORD_TYPE,
  validateCustomRecordType,
} from './keysend-records.js';
import { type Destination, parseDestination } from './lightning-address.js';
import {
  checkMethodForDestination,
  PAYMENT_METHODS,
  type PaymentMethod,
  parsePaymentMethod,
} from './payment-method.js';
import { checkRecordsBudget, MAX_MESSAGE_BYTES } from './tip-request.js';

/** One creator payout of a batch file, validated and ready to become a tip. */
export type PayoutRow = {
  /** 1-based line of the CSV file, or 1-based row of the JSON `payouts` array. */
  line: number;
  /** A node pubkey, or a Lightning Address the payer resolves. */
  recipient: Destination;
  amountMsat: MilliSats;
  /** Sent as a text message record (34349334). */
  memo?: string;
  /** A sub-wallet record for custodial/shared nodes: decimal TLV type, UTF-8 value. */
  customRecord?: { type: string; value: string };
  /** How the row is sent, as a tip's `method`; absent: keysend. */
  method?: PaymentMethod;
};

/** Amount limits of one payout, plus the most rows one file may hold. */
export type PayoutPolicy = AmountPolicy & {
  maxRows: number;
  /** Custom record bytes per tip (memo and custom value together); the default when absent. */
  customRecordsBudgetBytes?: number;
};

/** A problem in a payout file; `line` is 0 when it concerns the file as a whole. */
export type PayoutFileError = { line: number; message: string };

/** The rows that are valid and every problem found; a batch should start only with no errors. */
export type PayoutFile = { rows: PayoutRow[]; errors: PayoutFileError[] };

/**
 * CSV columns, in order: the first three always; `custom_key,custom_value` together; `method`
 * last (so a row with a method but no custom record leaves the two custom columns empty).
 */
const PAYOUT_CSV_COLUMNS = [
  'pubkey',
  'amount_sats',
  'memo',
  'custom_key',
  'custom_value',
  'method',
] as const;
/** The column counts a CSV line may have. */
const CSV_WIDTHS = [3, 5, 6] as const;
/** Longest memo, in UTF-8 bytes (it travels as a keysend text message). */
export const MAX_MEMO_BYTES = MAX_MESSAGE_BYTES;

const MSAT_PER_SAT = 1000n;
const CSV_SHAPE = `${PAYOUT_CSV_COLUMNS.slice(0, 3).join(',')}[,${PAYOUT_CSV_COLUMNS.slice(3, 5).join(',')}[,${PAYOUT_CSV_COLUMNS[5]}]]`;

type FieldNames = {
  pubkey: string;
  amount: string;
  memo: string;
  customKey: string;
  customValue: string;
  method: string;
};
const CSV_NAMES: FieldNames = {
  pubkey: 'pubkey',
  amount: 'amount_sats',
  memo: 'memo',
  customKey: 'custom_key',
  customValue: 'custom_value',
  method: 'method',
};
const JSON_NAMES: FieldNames = {
  pubkey: 'pubkey',
  amount: 'amountSats',
  memo: 'memo',
  customKey: 'customKey',
  customValue: 'customValue',
  method: 'method',
};

/**
 * Parses a payout CSV (`pubkey,amount_sats,memo[,custom_key,custom_value[,method]]`, optional header,
 * blank lines ignored) and reports every bad row by its 1-based line in the file.
 */
export const parsePayoutCsv = (text: string, policy: PayoutPolicy): PayoutFile => {
  assertPolicy(policy);
  if (typeof text !== 'string') {
    return wholeFile(`payout file must be text, got ${describeValue(text)}`);
  }
  const rows: PayoutRow[] = [];
  const errors: PayoutFileError[] = [];
  let seenContent = false;
  let dataRows = 0;
  // Spreadsheet exports often start with a byte order mark.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (const [offset, raw] of lines.entries()) {
    const line = offset + 1;
    if (raw.trim() === '') continue;
    // One physical line is one record: a broken quote then costs only its own line, and every
    // error carries the line the operator sees in an editor.
    const parsed = parseCsvLine(raw);
    const isFirst = !seenContent;
    seenContent = true;
    if (!parsed.ok) {
      errors.push({ line, message: `line ${line}: ${parsed.message}` });
      continue;
    }
    const { fields } = parsed;
    if (isFirst && fields[0] === 'pubkey') {
      const header = checkHeader(fields);
      if (header) errors.push({ line, message: `line ${line}: ${header}` });
      continue;
    }
    dataRows += 1;
    if (dataRows > policy.maxRows) {
      // Rejected whole, before more rows are checked: the fix is to split the file anyway.
      return wholeFile(
        `line ${line}: the file has more than ${policy.maxRows} payout rows: split it into files of at most ${policy.maxRows} rows`,
        line,
      );
    }
    try {
      rows.push(csvRow(fields, line, policy));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors.push({ line, message: `line ${line}: ${error.message}` });
    }
  }
  if (dataRows === 0 && errors.length === 0) {
    return wholeFile(`payout file has no payout rows: add lines of ${CSV_SHAPE}`);
  }
  return { rows, errors };
};

export const PayoutJsonRowSchema = z.strictObject({
  pubkey: z.string("must be the node's public key as 66 hex chars"),
  amountSats: z.union(
    [z.number(), z.string()],
    'must be a whole number of sats greater than 0, e.g. 21000',
  ),
  memo: z.string('must be a string').optional(),
  customKey: z
    .union([z.string(), z.number()], 'must be a TLV type in digits, e.g. "696969"')
    .optional(),
  customValue: z.string('must be a string').optional(),
  method: z.enum(PAYMENT_METHODS, 'must be "keysend", "amp" or "auto"').optional(),
});

/** Parses `{ payouts: [{ pubkey, amountSats, memo?, customKey?, customValue?, method? }] }`; errors say "row N". */
export const parsePayoutJson = (value: unknown, policy: PayoutPolicy): PayoutFile => {
  assertPolicy(policy);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return wholeFile(
      `payout file must be an object { payouts: [...] }, got ${describeValue(value)}`,
    );
  }
  const { payouts } = value as { payouts?: unknown };
  if (!Array.isArray(payouts)) {
    return wholeFile(
      `payouts must be an array of { pubkey, amountSats, memo? }, got ${describeValue(payouts)}`,
    );
  }
  if (payouts.length === 0) {
    return wholeFile('payouts is empty: add at least one { pubkey, amountSats }');
  }
  if (payouts.length > policy.maxRows) {
    return wholeFile(
      `payouts has ${payouts.length} rows, more than ${policy.maxRows}: split it into files of at most ${policy.maxRows} rows`,
    );
  }
  const rows: PayoutRow[] = [];
  const errors: PayoutFileError[] = [];
  payouts.forEach((item: unknown, offset) => {
    const line = offset + 1;
    try {
      const raw = parseShape(PayoutJsonRowSchema, item, {
        prefix: `row ${line}: `,
        field: `payouts.${line}`,
      });
      rows.push(
        buildRow(
          {
            pubkey: raw.pubkey,
            amountSats: raw.amountSats,
            memo: raw.memo,
            customKey: raw.customKey === undefined ? undefined : String(raw.customKey),
            customValue: raw.customValue,
            method: raw.method,
          },
          line,
          policy,
          JSON_NAMES,
        ),
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = new RegExp(`^row ${line}[: ]`).test(error.message)
        ? error.message
        : `row ${line}: ${error.message}`;
      errors.push({ line, message });
    }
  });
  return { rows, errors };
};

type ParsedLine = { ok: true; fields: string[] } | { ok: false; message: string };

const QUOTE_HINT =
  'wrap the whole memo in double quotes, write a quote inside it as "", and keep it on one line';

const parseCsvLine = (raw: string): ParsedLine => {
  try {
    const [fields = []] = parse(raw, { trim: true, relax_column_count: true });
    return { ok: true, fields };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    switch (error.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return { ok: false, message: `a quote opened on this line is never closed: ${QUOTE_HINT}` };
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        return {
          ok: false,
          message: `text follows a closing quote in the same field: ${QUOTE_HINT}`,
        };
      case 'INVALID_OPENING_QUOTE':
        return {
          ok: false,
          message: `a quote appears inside an unquoted field: ${QUOTE_HINT}`,
        };
      default:
        return { ok: false, message: `not valid CSV (${error.message})` };
    }
  }
};

const isCsvWidth = (count: number) => (CSV_WIDTHS as readonly number[]).includes(count);

const checkHeader = (fields: readonly string[]): string | undefined => {
  const matches =
    isCsvWidth(fields.length) &&
    fields.every((field, index) => field === PAYOUT_CSV_COLUMNS[index]);
  return matches ? undefined : `header must be ${CSV_SHAPE}, got ${preview(fields.join(','))}`;
};

const csvRow = (fields: readonly string[], line: number, policy: PayoutPolicy): PayoutRow => {
  if (!isCsvWidth(fields.length)) {
    const hint =
      fields.length === 4
        ? 'custom_key and custom_value go together (leave both empty for a row with only a method: pubkey,amount_sats,memo,,,method)'
        : fields.length > 6
          ? 'wrap a memo that contains commas in double quotes'
          : 'add the missing columns (memo may be empty)';
    throw new ValidationError(
      'columns',
      `has ${fields.length} column${fields.length === 1 ? '' : 's'}, expected 3 (${PAYOUT_CSV_COLUMNS.slice(0, 3).join(',')}), 5 (…,${PAYOUT_CSV_COLUMNS.slice(3, 5).join(',')}) or 6 (…,${PAYOUT_CSV_COLUMNS[5]}): ${hint}`,
    );
  }
  const [pubkey, amountSats, memo, customKey, customValue, method] = fields;
  return buildRow(
    {
      pubkey,
      amountSats,
      memo: memo || undefined,
      customKey: customKey || undefined,
      customValue: customValue || undefined,
      method: method || undefined,
    },
    line,
    policy,
    CSV_NAMES,
  );
};

type RawRow = {
  pubkey: string | undefined;
  amountSats: string | number | undefined;
  memo: string | undefined;
  customKey: string | undefined;
  customValue: string | undefined;
  method: string | undefined;
};

const buildRow = (
  raw: RawRow,
  line: number,
  policy: PayoutPolicy,
  names: FieldNames,
): PayoutRow => {
  if (raw.pubkey === undefined || raw.pubkey === '') {
    throw new ValidationError(names.pubkey, `${names.pubkey} is required`);
  }
  const row: PayoutRow = {
    line,
    // A Lightning Address in the pubkey column is paid through it (the payer resolves it).
    recipient: parseDestination(raw.pubkey, names.pubkey),
    amountMsat: parseSatsAmount(raw.amountSats, policy, names.amount),
  };
  if (raw.memo !== undefined && raw.memo !== '') {
    const bytes = utf8ToBytes(raw.memo).length;
    if (bytes > MAX_MEMO_BYTES) {
      throw new ValidationError(
        names.memo,
        `${names.memo} is ${bytes} bytes of UTF-8, over the ${MAX_MEMO_BYTES}-byte limit: shorten it by ${bytes - MAX_MEMO_BYTES} bytes`,
      );
    }
    row.memo = raw.memo;
  }
  if (raw.customKey !== undefined) {
    if (!/^[0-9]{1,20}$/.test(raw.customKey)) {
      throw new ValidationError(
        names.customKey,
        `${names.customKey} must be a TLV type in digits, e.g. 696969, got ${JSON.stringify(preview(raw.customKey, 30))}`,
      );
    }
    const type = BigInt(raw.customKey);
    validateCustomRecordType(type, names.customKey);
    if (type === TEXT_MESSAGE_RECORD_TYPE && row.memo !== undefined) {
      throw new ValidationError(
        names.customKey,
        `${names.customKey} ${type} is the record the memo is sent in: use another type or drop the memo`,
      );
    }
    if (raw.customValue === undefined || raw.customValue === '') {
      throw new ValidationError(
        names.customValue,
        `${names.customKey} ${type} needs a ${names.customValue} (the sub-wallet id the recipient's node expects)`,
      );
    }
    row.customRecord = { type: type.toString(), value: raw.customValue };
  } else if (raw.customValue !== undefined && raw.customValue !== '') {
    throw new ValidationError(
      names.customValue,
      `${names.customValue} is set but ${names.customKey} is empty: add the TLV type it is sent in, or remove ${names.customValue}`,
    );
  }
  const method = parsePaymentMethod(raw.method, names.method);
  if (method !== undefined) {
    checkMethodForDestination(
      row.recipient,
      method,
      names.method,
      `a node pubkey in ${names.pubkey}`,
    );
    row.method = method;
  }
  // The memo and the custom value share the onion's records budget, as in the tip they become.
  checkRecordsBudget(
    [
      ...(row.memo === undefined
        ? []
        : [
            {
              field: names.memo,
              record: { type: TEXT_MESSAGE_RECORD_TYPE, value: utf8ToBytes(row.memo) },
            },
          ]),
      ...(row.customRecord === undefined
        ? []
        : [
            {
              field: names.customValue,
              record: {
                type: BigInt(row.customRecord.type),
                value: utf8ToBytes(row.customRecord.value),
              },
            },
          ]),
    ],
    policy.customRecordsBudgetBytes ?? DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES,
  );
  return row;
};

const parseSatsAmount = (
  raw: string | number | undefined,
  policy: PayoutPolicy,
  field: string,
): MilliSats => {
  const sats =
    typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0
      ? BigInt(raw)
      : typeof raw === 'string' && /^[0-9]+$/.test(raw) && /[1-9]/.test(raw)
        ? BigInt(raw)
        : undefined;
  if (sats === undefined) {
    const got = typeof raw === 'string' ? JSON.stringify(preview(raw, 30)) : String(raw);
    throw new ValidationError(
      field,
      `${field} must be a whole number of sats greater than 0, got ${got}`,
    );
  }
  const amountMsat = sats * MSAT_PER_SAT;
  if (amountMsat > policy.maxMsat) {
    throw new ValidationError(
      field,
      `${field} ${sats} is above the per-payout maximum of ${policy.maxMsat / MSAT_PER_SAT} sats: pay less, or split it across rows`,
    );
  }
  return amountMsat as MilliSats;
};

const assertPolicy = (policy: PayoutPolicy): void => {
  if (!Number.isSafeInteger(policy.maxRows) || policy.maxRows < 1) {
    throw new ValidationError(
      'maxRows',
      `maxRows ${policy.maxRows} must be a whole number, 1 or more`,
    );
  }
};

const wholeFile = (message: string, line = 0): PayoutFile => ({
  rows: [],
  errors: [{ line, message }],
});
