import { describe, expect, it } from 'vitest';
import {
  API_PAYOUT_LIMITS,
  defaultPayoutKey,
  detectPayoutFormat,
  PayoutPlanError,
  partKey,
  planPayoutBatches,
  validatePayoutFile,
} from '../../cli/payout-plan.js';
import { parsePayoutCsv, parsePayoutJson } from '../../shared/domain/payout-file.js';
import { pubkeyHex, thrown } from '../shared/domain/helpers.js';

const policy = { maxMsat: 1_000_000_000n, allowMsat: false };
const P1 = pubkeyHex(1);
const P2 = pubkeyHex(2);

const csvFile = (rows: number, memo = (i: number) => `row ${i}`) =>
  [
    'pubkey,amount_sats,memo',
    ...Array.from({ length: rows }, (_, i) => `${i % 2 ? P2 : P1},${1 + (i % 7)},"${memo(i)}"`),
  ].join('\n');

/** What the API reads back from a planned request body, with its own row limit. */
const apiRows = (body: string, contentType: string) =>
  contentType === 'text/csv'
    ? parsePayoutCsv(body, { ...policy, maxRows: API_PAYOUT_LIMITS.maxRows })
    : parsePayoutJson(JSON.parse(body), { ...policy, maxRows: API_PAYOUT_LIMITS.maxRows });

describe('detectPayoutFormat', () => {
  it.each([
    { path: 'a.csv', text: '{', format: 'csv' },
    { path: 'a.json', text: 'pubkey', format: 'json' },
    { path: 'a.JSON', text: '', format: 'json' },
    { path: 'payouts', text: '  \n{"payouts": []}', format: 'json' },
    { path: 'payouts', text: '\uFEFF{"payouts": []}', format: 'json' },
    { path: 'payouts.txt', text: `${P1},1,x`, format: 'csv' },
  ])('$path starting with $text is $format', ({ path, text, format }) => {
    expect(detectPayoutFormat(path, text)).toBe(format);
  });
});

describe('validatePayoutFile', () => {
  it('reports every bad row with its line, and totals the good ones', () => {
    const text = [
      'pubkey,amount_sats,memo',
      `${P1},10,ok`,
      `${P2},12.5,fraction`,
      'zz,1,short key',
      `${P1},5,"unclosed`,
      `${P2},7,fine`,
    ].join('\n');
    const result = validatePayoutFile('week.csv', text, policy);
    expect(result.errors.map((error) => error.line)).toEqual([3, 4, 5]);
    expect(result.errors[0]?.message).toMatch(/^line 3: amount_sats/);
    expect(result.rows.map((row) => row.line)).toEqual([2, 6]);
    expect(result.totalMsat).toBe(17_000n);
    expect(result.recipients).toBe(2);
  });

  it('says a JSON file that does not parse is not JSON (line 0: the whole file)', () => {
    const result = validatePayoutFile('p.json', '{"payouts": [', policy);
    expect(result.errors).toEqual([
      { line: 0, message: expect.stringMatching(/^the file is not valid JSON/) },
    ]);
  });

  it('reads JSON rows with their 1-based row numbers', () => {
    const text = JSON.stringify({
      payouts: [
        { pubkey: P1, amountSats: 3 },
        { pubkey: P2, amountSats: 0 },
      ],
    });
    const result = validatePayoutFile('p.json', text, policy);
    expect(result.rows).toEqual([{ line: 1, recipient: P1, amountMsat: 3000n }]);
    expect(result.errors).toEqual([{ line: 2, message: expect.stringMatching(/^row 2:/) }]);
  });
});

describe('planPayoutBatches', () => {
  it('sends a file within the limits as it is, in one batch', () => {
    const text = csvFile(100);
    const plans = planPayoutBatches(validatePayoutFile('a.csv', text, policy), text, {
      baseKey: 'k',
    });
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ body: text, contentType: 'text/csv', idempotencyKey: 'k' });
    expect(plans[0]?.rows).toHaveLength(100);
  });

  it('splits a file over the row limit into batches that keep the file line numbers', () => {
    const text = csvFile(2_500);
    const validated = validatePayoutFile('big.csv', text, policy);
    const plans = planPayoutBatches(validated, text, { baseKey: 'big', maxRows: 1_000 });
    expect(plans.map((plan) => plan.rows.length)).toEqual([1_000, 1_000, 500]);
    expect(plans.map((plan) => plan.idempotencyKey)).toEqual([
      'big-part1of3',
      'big-part2of3',
      'big-part3of3',
    ]);
    let total = 0n;
    for (const plan of plans) {
      expect(Buffer.byteLength(plan.body)).toBeLessThanOrEqual(API_PAYOUT_LIMITS.maxBytes);
      const read = apiRows(plan.body, plan.contentType);
      expect(read.errors).toEqual([]);
      // The API reads exactly this part's rows, on the lines they have in the operator's file.
      expect(read.rows).toEqual(plan.rows);
      total += plan.totalMsat;
    }
    expect(total).toBe(validated.totalMsat);
    expect(plans.flatMap((plan) => plan.rows)).toEqual(validated.rows);
  });

  it('splits by size too: rows with long memos that do not fit in one body', () => {
    const maxBytes = 100_000;
    const text = csvFile(400, (i) => `${'x'.repeat(400)} ${i}`);
    expect(Buffer.byteLength(text)).toBeGreaterThan(maxBytes);
    const plans = planPayoutBatches(validatePayoutFile('long.csv', text, policy), text, {
      baseKey: 'long',
      maxBytes,
    });
    expect(plans.map((plan) => plan.rows.length)).toEqual([209, 191]);
    for (const plan of plans) {
      expect(Buffer.byteLength(plan.body)).toBeLessThanOrEqual(maxBytes);
      expect(apiRows(plan.body, plan.contentType).rows).toEqual(plan.rows);
    }
  });

  it('sends a JSON file of 10,001 rows (over the API limit) as CSV parts whose line N is row N, memos, custom records and methods intact', () => {
    const payouts = Array.from({ length: 10_001 }, (_, i) => ({
      pubkey: i % 2 ? P2 : P1,
      amountSats: 1 + i,
      ...(i % 3 === 0 ? { memo: `he said "hi", then ${i}` } : {}),
      ...(i % 5 === 0 ? { customKey: 696969, customValue: `wallet, ${i}` } : {}),
      ...(i % 4 === 1 ? { method: i % 8 === 1 ? 'auto' : 'amp' } : {}),
    }));
    const text = JSON.stringify({ payouts });
    const validated = validatePayoutFile('p.json', text, policy);
    // Locally there is no row limit: the file is checked whole, then sent in parts.
    expect(validated.errors).toEqual([]);
    const plans = planPayoutBatches(validated, text, { baseKey: 'j' });
    expect(plans.map((plan) => [plan.rows.length, plan.contentType])).toEqual([
      [10_000, 'text/csv'],
      [1, 'text/csv'],
    ]);
    for (const plan of plans) expect(apiRows(plan.body, plan.contentType).rows).toEqual(plan.rows);
    expect(plans[1]?.rows[0]?.line).toBe(10_001);
  });

  it('refuses to send a long JSON file whose memo has a line break (a CSV record stays on one line)', () => {
    const payouts = Array.from({ length: 21 }, (_, i) => ({
      pubkey: P1,
      amountSats: 1,
      ...(i === 7 ? { memo: 'two\nlines' } : {}),
    }));
    const text = JSON.stringify({ payouts });
    const error = thrown(() =>
      planPayoutBatches(validatePayoutFile('p.json', text, policy), text, {
        baseKey: 'j',
        maxRows: 10,
      }),
    );
    expect(error).toBeInstanceOf(PayoutPlanError);
    expect(error.message).toMatch(/row 8: memo or customValue has a line break/);
  });

  it('sends a small JSON file as it is', () => {
    const text = JSON.stringify({ payouts: [{ pubkey: P1, amountSats: 1 }] });
    const [plan] = planPayoutBatches(validatePayoutFile('p.json', text, policy), text, {
      baseKey: 'j',
    });
    expect(plan).toMatchObject({ body: text, contentType: 'application/json' });
  });
});

describe('idempotency keys', () => {
  const keyOf = (path: string, text: string) => {
    const validated = validatePayoutFile(path, text, policy);
    expect(validated.errors).toEqual([]);
    return defaultPayoutKey(validated.rows);
  };

  it('derive from the rows, so the same payout resumes and another is new', () => {
    const key = keyOf('a.csv', csvFile(3));
    expect(key).toBe(keyOf('a.csv', csvFile(3)));
    expect(key).not.toBe(keyOf('a.csv', csvFile(4)));
    expect(key).not.toBe(keyOf('a.csv', csvFile(3).replace(`${P1},1,`, `${P1},2,`)));
    expect(key).not.toBe(
      keyOf(
        'a.csv',
        csvFile(3, (i) => `memo ${i}`),
      ),
    );
    expect(key).toMatch(/^tipstream-payout-[0-9a-f]{40}$/);
  });

  it('leave the send method out: a file whose row only changed method (amp added after a keysend NO_ROUTE) is the same payout, refused by the API as a conflict, never a new one paying the other rows again', () => {
    const first = keyOf('a.csv', `${P1},5,week 47\n${P2},900000,week 47`);
    expect(keyOf('a.csv', `${P1},5,week 47\n${P2},900000,week 47,,,amp`)).toBe(first);
    expect(keyOf('a.csv', `${P1},5,week 47\n${P2},900000,week 47,,,auto`)).toBe(first);
    expect(keyOf('a.csv', `${P1},5,week 47\n${P2},900000,week 47,,,keysend`)).toBe(first);
  });

  it.each([
    { change: 'CRLF line endings', text: csvFile(3).replaceAll('\n', '\r\n') },
    { change: 'a byte order mark', text: `\uFEFF${csvFile(3)}` },
    { change: 'a final newline', text: `${csvFile(3)}\n` },
    { change: 'quotes only where needed', text: csvFile(3).replaceAll('"', '') },
  ])('stay the same when a spreadsheet re-saves the file: $change', ({ text }) => {
    expect(keyOf('a.csv', text)).toBe(keyOf('a.csv', csvFile(3)));
  });

  it.each([
    { index: 0, count: 1, key: 'k' },
    { index: 0, count: 2, key: 'k-part1of2' },
    { index: 1, count: 2, key: 'k-part2of2' },
  ])('part $index of $count is $key', ({ index, count, key }) => {
    expect(partKey('k', index, count)).toBe(key);
  });
});
