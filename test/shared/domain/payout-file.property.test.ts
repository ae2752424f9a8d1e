/**
 * Property tests of the payout file parser (CSV and JSON) on hostile input: seeded
 * (reproducible), a few thousand cases per property.
 *
 * The canonical form of a payout row is the tip request the API makes of it (and validates again
 * with `parseTipRequest` before accepting the batch). Properties: the parser returns rows and
 * errors, never throws; and every row it accepts is a tip request the canonical parser accepts,
 * for the same recipient and amount, so a file checked by the CLI (or accepted with
 * allowPartial) is never refused, or a row lost, later.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PayoutFile,
  type PayoutPolicy,
  type PayoutRow,
  parsePayoutCsv,
  parsePayoutJson,
} from '../../../shared/domain/payout-file.js';
import { parseTipRequest, recipientField } from '../../../shared/domain/tip-request.js';
import { fcParams } from '../../support/fast-check.js';
import { G, pubkeyHex } from './helpers.js';

// A failure's shrinking stops after a minute: long strings shrink slowly.
const RUNS = { ...fcParams(3_000), interruptAfterTimeLimit: 60_000 };
const POLICY: PayoutPolicy = { maxMsat: 1_000_000_000n, allowMsat: false, maxRows: 20 };

/** The tip request the API builds of a row (functions/api/handler.ts, shared/app/accept-batch.ts). */
const asTipRequest = (row: PayoutRow) => ({
  version: 1,
  tipId: `batch-1-${row.line}`,
  platformId: 'stream.example',
  batchId: 'batch-1',
  ...recipientField(row.recipient),
  amountMsat: row.amountMsat.toString(),
  ...(row.memo ? { message: row.memo } : {}),
  ...(row.customRecord ? { customRecord: row.customRecord } : {}),
  ...(row.method ? { method: row.method } : {}),
});

/** Every accepted row is a tip the canonical parser accepts as it is; returns how many rows. */
const checkFile = (file: PayoutFile) => {
  for (const row of file.rows) {
    const tip = parseTipRequest(asTipRequest(row), {
      maxMsat: POLICY.maxMsat,
      allowMsat: POLICY.allowMsat,
      customRecordsBudgetBytes: 600,
    });
    expect(tip.ok ? undefined : tip.error.message, JSON.stringify(asTipRequest(row))).toBe(
      undefined,
    );
    if (tip.ok) {
      expect(tip.tip.recipient).toBe(row.recipient);
      expect(tip.tip.amountMsat).toBe(row.amountMsat);
      expect(tip.tip.method).toBe(row.method);
    }
  }
  for (const error of file.errors) expect(error.message).toEqual(expect.any(String));
  return file.rows.length;
};

/** Runs the parser on every input and checks its answer; returns the number of accepted rows. */
const checkParser = <T>(inputs: fc.Arbitrary<T>, parse: (input: T) => PayoutFile) => {
  let rows = 0;
  fc.assert(
    fc.property(inputs, (input) => {
      rows += checkFile(parse(input));
    }),
    RUNS,
  );
  return rows;
};

const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 });
const texts = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 700 }),
  fc.constantFrom('"', '""', ',', '\r', '\n', '\u0000', '\uFEFF', 'é'.repeat(251), 'x'.repeat(600)),
);
const pubkeys = mostly(
  fc.constantFrom(G, pubkeyHex(2), pubkeyHex(3), G.toUpperCase()),
  fc.constantFrom(`${G.slice(0, 64)}00`, `02${'5'.padStart(64, '0')}`, '', 'pubkey', ` ${G} `),
);
const amountTexts = mostly(
  fc.integer({ min: 1, max: 1_000_000 }).map(String),
  fc.constantFrom(
    '0',
    '-1',
    '1e3',
    '007',
    '1.5',
    ' 5 ',
    '99999999999999999999999',
    '1000001',
    'NaN',
    '',
    '٣',
  ),
);
const customKeys = mostly(
  fc.constantFrom('696969', '65536', '7629169'),
  fc.constantFrom('5482373484', '34349334', '1', '0', '18446744073709551616', 'abc', ' 696969'),
);
const methods = mostly(
  fc.constantFrom('keysend', 'amp', 'auto', ''),
  fc.constantFrom('AMP', ' amp', 'mpp', 'lnurl-invoice', 'keysend,'),
);
const addresses = fc.constantFrom('carol@example.com', 'dave@wallet.example:8080');
const memos = mostly(fc.string({ maxLength: 60 }), texts);
const customValues = mostly(fc.string({ minLength: 1, maxLength: 60 }), texts);

const quote = (field: string) => `"${field.replace(/"/g, '""')}"`;
const csvField = (value: fc.Arbitrary<string>) =>
  fc.tuple(value, fc.boolean()).map(([text, quoted]) => (quoted ? quote(text) : text));

const csvLine = fc
  .tuple(
    csvField(fc.oneof({ arbitrary: pubkeys, weight: 4 }, { arbitrary: addresses, weight: 1 })),
    csvField(amountTexts),
    csvField(memos),
    fc.option(fc.tuple(csvField(customKeys), csvField(customValues)), { freq: 2, nil: undefined }),
    fc.option(csvField(methods), { freq: 2, nil: undefined }),
  )
  .map(([pubkey, amount, memo, custom, method]) =>
    [
      pubkey,
      amount,
      memo,
      ...(custom ?? (method === undefined ? [] : ['', ''])),
      ...(method === undefined ? [] : [method]),
    ].join(','),
  );

const csvFile = fc
  .tuple(
    fc.constantFrom('', '\uFEFF'),
    fc.constantFrom(
      '',
      'pubkey,amount_sats,memo\n',
      'pubkey,amount_sats,memo,custom_key,custom_value\n',
      'pubkey,amount_sats,memo,custom_key,custom_value,method\n',
    ),
    fc.array(mostly(csvLine, fc.string({ unit: 'binary', maxLength: 80 })), { maxLength: 8 }),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([bom, header, lines, end]) => bom + header + lines.join(end));

const jsonRow = fc
  .record({
    pubkey: mostly(fc.oneof(pubkeys, addresses), fc.jsonValue()),
    amountSats: mostly(
      fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), amountTexts),
      fc.oneof(fc.double(), fc.constantFrom(1e303, 1e21, -0, 2 ** 53, 0.5)),
    ),
    memo: fc.option(mostly(memos, fc.jsonValue()), { nil: undefined }),
    customKey: fc.option(mostly(customKeys, fc.oneof(fc.integer(), fc.double())), {
      freq: 2,
      nil: undefined,
    }),
    customValue: fc.option(customValues, { freq: 2, nil: undefined }),
    method: fc.option(mostly(methods, fc.jsonValue()), { freq: 2, nil: undefined }),
  })
  .map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)));

// Thousands of seeded cases each: 38 s alone, over the unit project's 60 s on a loaded 2-core machine.
describe('payout file parser on hostile input (fast-check, seeded)', { timeout: 240_000 }, () => {
  it('CSV: files of hostile rows, quoting, headers, line ends and byte order marks', () => {
    expect(checkParser(csvFile, (text) => parsePayoutCsv(text, POLICY))).toBeGreaterThan(1000);
  });

  it('CSV: arbitrary text', () => {
    checkParser(fc.string({ unit: 'binary', maxLength: 300 }), (text) =>
      parsePayoutCsv(text, POLICY),
    );
  });

  it('JSON: { payouts } of hostile rows', () => {
    const file = mostly(
      fc.record({ payouts: fc.array(mostly(jsonRow, fc.jsonValue()), { maxLength: 8 }) }),
      fc.jsonValue(),
    );
    expect(checkParser(file, (value) => parsePayoutJson(value, POLICY))).toBeGreaterThan(1000);
  });
});
