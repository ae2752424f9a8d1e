import { describe, expect, it } from 'vitest';
import {
  MAX_MEMO_BYTES,
  type PayoutPolicy,
  parsePayoutCsv,
  parsePayoutJson,
} from '../../../shared/domain/payout-file.js';
import { G, pubkeyHex } from './helpers.js';

const policy: PayoutPolicy = { maxMsat: 1_000_000_000n, allowMsat: false, maxRows: 500 };
const P1 = pubkeyHex(1);
const P2 = pubkeyHex(2);
const OFF_CURVE = `02${'5'.padStart(64, '0')}`;
const HEADER = 'pubkey,amount_sats,memo,custom_key,custom_value';
const csv = (...lines: string[]) => lines.join('\n');
const longMemo = 'é'.repeat(MAX_MEMO_BYTES / 2 + 1); // 2 bytes of UTF-8 each: 502 bytes

describe('parsePayoutCsv accepts', () => {
  it('a file with a header, blank lines, quoted memos and optional custom records', () => {
    const text = csv(
      HEADER,
      `${P1},21000,Thanks for the show`,
      '',
      `${P2},1000,"Hello, world ""quoted""",696969,wallet-7`,
      `${G.toUpperCase()}, 5 ,`,
      `${P1},1000000,,,`,
      '   ',
    );
    expect(parsePayoutCsv(text, policy)).toEqual({
      rows: [
        { line: 2, recipient: P1, amountMsat: 21_000_000n, memo: 'Thanks for the show' },
        {
          line: 4,
          recipient: P2,
          amountMsat: 1_000_000n,
          memo: 'Hello, world "quoted"',
          customRecord: { type: '696969', value: 'wallet-7' },
        },
        { line: 5, recipient: G, amountMsat: 5000n },
        { line: 6, recipient: P1, amountMsat: 1_000_000_000n },
      ],
      errors: [],
    });
  });

  it.each([
    { description: 'no header', text: `${P1},21,hi\n${P2},7,` },
    {
      description: 'CRLF line ends',
      text: `pubkey,amount_sats,memo\r\n${P1},21,hi\r\n${P2},7,\r\n`,
    },
    {
      description: 'a byte order mark',
      text: `\uFEFFpubkey,amount_sats,memo\n${P1},21,hi\n${P2},7,`,
    },
  ])('$description', ({ text }) => {
    const { rows, errors } = parsePayoutCsv(text, policy);
    expect(errors).toEqual([]);
    expect(rows.map(({ recipient, amountMsat }) => [recipient, amountMsat])).toEqual([
      [P1, 21_000n],
      [P2, 7000n],
    ]);
  });
});

describe('parsePayoutCsv rejects', () => {
  it.each([
    {
      description: 'a memo and custom value together over the custom records budget',
      text: csv(HEADER, `${P1},21,${'m'.repeat(400)},696969,${'w'.repeat(200)}`),
      error: {
        line: 2,
        message:
          /^line 2: custom records take \d+ bytes of the onion, \d+ over the 600-byte budget: shorten memo \(\d+ bytes\), custom_value \(\d+ bytes\)$/,
      },
    },
    {
      description: 'a pubkey off the curve',
      text: csv(HEADER, `${OFF_CURVE},21,hi`),
      error: { line: 2, message: /^line 2: pubkey 02.+ is not a point on secp256k1/ },
    },
    {
      description: 'a pubkey of the wrong length',
      text: csv(HEADER, `${P1.slice(2)},21,hi`),
      error: { line: 2, message: /^line 2: pubkey .+ is 64 chars, not 66/ },
    },
    {
      description: 'an empty pubkey',
      text: csv(HEADER, ',21,hi'),
      error: { line: 2, message: /^line 2: pubkey is required$/ },
    },
    {
      description: 'a fractional amount',
      text: csv(HEADER, '', '', '', '', '', `${P1},12.5,hi`),
      error: {
        line: 7,
        message: /^line 7: amount_sats must be a whole number of sats greater than 0, got "12\.5"$/,
      },
    },
    {
      description: 'a zero amount',
      text: csv(`${P1},0,hi`),
      error: { line: 1, message: /^line 1: amount_sats must be .+ greater than 0, got "0"$/ },
    },
    {
      description: 'a negative amount',
      text: csv(`${P1},-5,hi`),
      error: { line: 1, message: /greater than 0, got "-5"$/ },
    },
    {
      description: 'an empty amount',
      text: csv(`${P1},,hi`),
      error: { line: 1, message: /greater than 0, got ""$/ },
    },
    {
      description: 'an amount in exponent form',
      text: csv(`${P1},1e3,hi`),
      error: { line: 1, message: /got "1e3"$/ },
    },
    {
      description: 'an amount with a thousands separator',
      text: csv(`${P1},"1,000",hi`),
      error: { line: 1, message: /got "1,000"$/ },
    },
    {
      description: 'an amount above the maximum',
      text: csv(`${P1},1000001,hi`),
      error: {
        line: 1,
        message:
          /^line 1: amount_sats 1000001 is above the per-payout maximum of 1000000 sats: pay less, or split it across rows$/,
      },
    },
    {
      description: 'a memo over 500 bytes of UTF-8',
      text: csv(`${P1},21,${longMemo}`),
      error: {
        line: 1,
        message:
          /^line 1: memo is 502 bytes of UTF-8, over the 500-byte limit: shorten it by 2 bytes$/,
      },
    },
    {
      description: 'a custom_key that is not digits',
      text: csv(`${P1},21,hi,podcast,wallet`),
      error: {
        line: 1,
        message: /^line 1: custom_key must be a TLV type in digits, e.g. 696969, got "podcast"$/,
      },
    },
    {
      description: 'a custom_key below 65536',
      text: csv(`${P1},21,hi,65535,wallet`),
      error: {
        line: 1,
        message: /^line 1: custom_key 65535 is below 65536: LND only sends custom records/,
      },
    },
    {
      description: 'the keysend record as custom_key',
      text: csv(`${P1},21,hi,5482373484,wallet`),
      error: { line: 1, message: /^line 1: custom_key 5482373484 is the keysend preimage record/ },
    },
    {
      description: 'the text message record as custom_key next to a memo',
      text: csv(`${P1},21,hi,34349334,wallet`),
      error: {
        line: 1,
        message:
          /^line 1: custom_key 34349334 is the record the memo is sent in: use another type or drop the memo$/,
      },
    },
    {
      description: 'a custom_key without custom_value',
      text: csv(`${P1},21,hi,696969,`),
      error: {
        line: 1,
        message:
          /^line 1: custom_key 696969 needs a custom_value \(the sub-wallet id the recipient's node expects\)$/,
      },
    },
    {
      description: 'a custom_value without custom_key',
      text: csv(`${P1},21,hi,,wallet`),
      error: {
        line: 1,
        message:
          /^line 1: custom_value is set but custom_key is empty: add the TLV type it is sent in/,
      },
    },
    {
      description: 'too few columns',
      text: csv(`${P1},21`),
      error: {
        line: 1,
        message:
          /^line 1: has 2 columns, expected 3 \(pubkey,amount_sats,memo\), 5 \(…,custom_key,custom_value\) or 6 \(…,method\): add the missing columns \(memo may be empty\)$/,
      },
    },
    {
      description: 'four columns',
      text: csv(`${P1},21,hi,696969`),
      error: {
        line: 1,
        message:
          /^line 1: has 4 columns, .+: custom_key and custom_value go together \(leave both empty for a row with only a method: pubkey,amount_sats,memo,,,method\)$/,
      },
    },
    {
      description: 'an unquoted memo with commas',
      text: csv(`${P1},21,thanks, for, every, thing,!`),
      error: {
        line: 1,
        message: /^line 1: has 7 columns, .+: wrap a memo that contains commas in double quotes$/,
      },
    },
    {
      description: 'an unbalanced quote',
      text: csv(HEADER, `${P1},21,hi`, `${P2},21,"thanks, for everything`),
      error: {
        line: 3,
        message:
          /^line 3: a quote opened on this line is never closed: wrap the whole memo in double quotes, write a quote inside it as "", and keep it on one line$/,
      },
    },
    {
      description: 'text after a closing quote',
      text: csv(`${P1},21,"thanks" a lot`),
      error: { line: 1, message: /^line 1: text follows a closing quote in the same field/ },
    },
    {
      description: 'a quote inside an unquoted memo',
      text: csv(`${P1},21,the "best" show`),
      error: { line: 1, message: /^line 1: a quote appears inside an unquoted field/ },
    },
    {
      description: 'a header with other column names',
      text: csv('pubkey,amount,memo', `${P1},21,hi`),
      error: {
        line: 1,
        message:
          /^line 1: header must be pubkey,amount_sats,memo\[,custom_key,custom_value\[,method\]\], got pubkey,amount,memo$/,
      },
    },
    {
      description: 'an empty file',
      text: '',
      error: {
        line: 0,
        message: /^payout file has no payout rows: add lines of pubkey,amount_sats,memo/,
      },
    },
    {
      description: 'a header and nothing else',
      text: csv(HEADER, '', ''),
      error: { line: 0, message: /payout file has no payout rows/ },
    },
    {
      description: 'more rows than allowed',
      text: csv(HEADER, `${P1},1,`, '', `${P1},2,`, `${P1},3,`),
      policy: { ...policy, maxRows: 2 },
      error: {
        line: 5,
        message:
          /^line 5: the file has more than 2 payout rows: split it into files of at most 2 rows$/,
      },
    },
  ])('$description', ({ text, error, policy: withPolicy = policy }) => {
    const result = parsePayoutCsv(text, withPolicy);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toEqual({
      line: error.line,
      message: expect.stringMatching(error.message),
    });
  });

  it('reports every bad row by line and still returns the good ones', () => {
    const text = csv(
      HEADER,
      `${P1},21,ok`,
      `${P2},"unclosed,memo`,
      `${P2},22,still parsed after the broken quote`,
      '',
      `${OFF_CURVE},1,`,
      `${P1},12.5,`,
      `${P1},1,fine`,
    );
    const { rows, errors } = parsePayoutCsv(text, policy);
    expect(rows.map((row) => row.line)).toEqual([2, 4, 8]);
    expect(errors.map((error) => error.line)).toEqual([3, 6, 7]);
    expect(errors.map((error) => error.message.split(':')[0])).toEqual([
      'line 3',
      'line 6',
      'line 7',
    ]);
  });

  it('reports a memo split over two lines on both lines (a record is one line)', () => {
    const { rows, errors } = parsePayoutCsv(csv(`${P1},21,"first line`, 'second line"'), policy);
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      {
        line: 1,
        message: expect.stringMatching(/^line 1: a quote opened on this line is never closed/),
      },
      {
        line: 2,
        message: expect.stringMatching(/^line 2: a quote appears inside an unquoted field/),
      },
    ]);
  });

  it('rejects a file over the row limit whole, without checking its rows', () => {
    const text = csv(`${OFF_CURVE},1,`, `${OFF_CURVE},1,`, `${OFF_CURVE},1,`);
    const result = parsePayoutCsv(text, { ...policy, maxRows: 2 });
    expect(result.rows).toEqual([]);
    expect(result.errors).toEqual([
      { line: 3, message: expect.stringMatching(/more than 2 payout rows/) },
    ]);
  });

  it.each([
    { description: 'zero', maxRows: 0 },
    { description: 'a fraction', maxRows: 1.5 },
  ])('throws for a maxRows of $description', ({ maxRows }) => {
    expect(() => parsePayoutCsv('', { ...policy, maxRows })).toThrow(
      /maxRows .+ must be a whole number, 1 or more/,
    );
  });
});

describe('payout rows with a method', () => {
  it('CSV: a sixth column method (custom columns empty or set), the header naming it', () => {
    const text = csv(
      `${HEADER},method`,
      `${P1},21,big one,,,auto`,
      `${P2},5,,696969,w1,amp`,
      `${G},7,,,,keysend`,
      `${P1},8,,,,`,
      `${P2},9,plain`,
    );
    expect(parsePayoutCsv(text, policy)).toEqual({
      rows: [
        { line: 2, recipient: P1, amountMsat: 21_000n, memo: 'big one', method: 'auto' },
        {
          line: 3,
          recipient: P2,
          amountMsat: 5000n,
          customRecord: { type: '696969', value: 'w1' },
          method: 'amp',
        },
        { line: 4, recipient: G, amountMsat: 7000n, method: 'keysend' },
        { line: 5, recipient: P1, amountMsat: 8000n },
        { line: 6, recipient: P2, amountMsat: 9000n, memo: 'plain' },
      ],
      errors: [],
    });
  });

  it('JSON: method as a tip takes it', () => {
    expect(
      parsePayoutJson({ payouts: [{ pubkey: P1, amountSats: 21, method: 'amp' }] }, policy).rows,
    ).toEqual([{ line: 1, recipient: P1, amountMsat: 21_000n, method: 'amp' }]);
  });

  it.each([
    {
      description: 'CSV: an unknown method',
      file: () => parsePayoutCsv(csv(`${P1},21,,,,AMP`), policy),
      error: {
        line: 1,
        message:
          /^line 1: method must be "keysend", "amp" or "auto" \(or empty for keysend\), got "AMP"$/,
      },
    },
    {
      description: 'CSV: AMP to a Lightning Address',
      file: () => parsePayoutCsv(csv('carol@example.com,21,,,,amp'), policy),
      error: {
        line: 1,
        message:
          /^line 1: method amp needs a node pubkey in pubkey: a Lightning Address is paid by keysend details or an LNURL-pay invoice/,
      },
    },
    {
      description: 'JSON: an unknown method',
      file: () =>
        parsePayoutJson({ payouts: [{ pubkey: P1, amountSats: 1, method: 'mpp' }] }, policy),
      error: { line: 1, message: /^row 1: method must be "keysend", "amp" or "auto"/ },
    },
    {
      description: 'JSON: auto to a Lightning Address',
      file: () =>
        parsePayoutJson(
          { payouts: [{ pubkey: 'carol@example.com', amountSats: 1, method: 'auto' }] },
          policy,
        ),
      error: { line: 1, message: /^row 1: method auto needs a node pubkey in pubkey/ },
    },
  ])('refuses $description, naming the row', ({ file, error }) => {
    const result = file();
    expect(result.rows).toEqual([]);
    expect(result.errors).toEqual([
      { line: error.line, message: expect.stringMatching(error.message) },
    ]);
  });
});

describe('parsePayoutCsv at size', () => {
  it('parses 500 rows, quoted memos and custom records included', () => {
    const keys = Array.from({ length: 250 }, (_, index) => pubkeyHex(index + 1));
    const lines = Array.from(
      { length: 500 },
      (_, index) =>
        `${keys[index % keys.length]},${index + 1},"Payout #${index + 1}, with thanks",696969,w${index}`,
    );
    const { rows, errors } = parsePayoutCsv(csv(HEADER, ...lines), policy);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(500);
    expect(rows[499]).toMatchObject({
      line: 501,
      amountMsat: 500_000n,
      memo: 'Payout #500, with thanks',
    });
  });
});

describe('parsePayoutJson', () => {
  it('parses payouts with optional fields, numbering rows from 1', () => {
    expect(
      parsePayoutJson(
        {
          payouts: [
            { pubkey: P1, amountSats: 21000, memo: 'Thanks' },
            {
              pubkey: P2.toUpperCase(),
              amountSats: '7',
              customKey: 696969,
              customValue: 'w1',
            },
          ],
        },
        policy,
      ),
    ).toEqual({
      rows: [
        { line: 1, recipient: P1, amountMsat: 21_000_000n, memo: 'Thanks' },
        {
          line: 2,
          recipient: P2,
          amountMsat: 7000n,
          customRecord: { type: '696969', value: 'w1' },
        },
      ],
      errors: [],
    });
  });

  const row = (fields: Record<string, unknown>) => ({
    payouts: [
      { pubkey: P1, amountSats: 1 },
      { pubkey: P2, amountSats: 21, ...fields },
    ],
  });
  it.each([
    {
      description: 'a custom value over the custom records budget',
      args: {
        payouts: [{ pubkey: P1, amountSats: 1, customKey: 696969, customValue: 'w'.repeat(700) }],
      },
      error: {
        line: 1,
        message:
          /^row 1: custom records take \d+ bytes of the onion, \d+ over the 600-byte budget: shorten customValue/,
      },
    },
    {
      description: 'null',
      args: null,
      error: {
        line: 0,
        message: /^payout file must be an object \{ payouts: \[\.\.\.\] \}, got null$/,
      },
    },
    {
      description: 'a bare array',
      args: [{ pubkey: P1, amountSats: 1 }],
      error: { line: 0, message: /must be an object \{ payouts: \[\.\.\.\] \}, got an array/ },
    },
    {
      description: 'no payouts',
      args: { payout: [] },
      error: {
        line: 0,
        message: /^payouts must be an array of \{ pubkey, amountSats, memo\? \}, got undefined$/,
      },
    },
    {
      description: 'empty payouts',
      args: { payouts: [] },
      error: { line: 0, message: /^payouts is empty: add at least one \{ pubkey, amountSats \}$/ },
    },
    {
      description: 'more payouts than allowed',
      args: { payouts: [{}, {}, {}] },
      policy: { ...policy, maxRows: 2 },
      error: {
        line: 0,
        message: /^payouts has 3 rows, more than 2: split it into files of at most 2 rows$/,
      },
    },
    {
      description: 'a row that is not an object',
      args: { payouts: [{ pubkey: P1, amountSats: 1 }, 'P2'] },
      error: { line: 2, message: /^row 2 must be an object, got the string "P2"$/ },
    },
    {
      description: 'a misspelt field',
      args: row({ amount: 21 }),
      error: {
        line: 2,
        message:
          /^row 2: unknown field "amount": remove it \(accepted: pubkey, amountSats, memo, customKey, customValue, method\)$/,
      },
    },
    {
      description: 'a missing pubkey',
      args: { payouts: [{ pubkey: P1, amountSats: 1 }, { amountSats: 1 }] },
      error: { line: 2, message: /^row 2: pubkey is required$/ },
    },
    {
      description: 'a missing amount',
      args: { payouts: [{ pubkey: P1, amountSats: 1 }, { pubkey: P2 }] },
      error: { line: 2, message: /^row 2: amountSats is required$/ },
    },
    {
      description: 'a fractional amount',
      args: row({ amountSats: 12.5 }),
      error: {
        line: 2,
        message: /^row 2: amountSats must be a whole number of sats greater than 0, got 12\.5$/,
      },
    },
    {
      description: 'a fractional amount as a string',
      args: row({ amountSats: '12.5' }),
      error: { line: 2, message: /^row 2: amountSats must be .+, got "12\.5"$/ },
    },
    {
      description: 'an amount that is a boolean',
      args: row({ amountSats: true }),
      error: {
        line: 2,
        message:
          /^row 2: amountSats must be a whole number of sats greater than 0, e\.g\. 21000, got boolean true$/,
      },
    },
    {
      description: 'an amount above the maximum',
      args: row({ amountSats: 1_000_001 }),
      error: {
        line: 2,
        message: /^row 2: amountSats 1000001 is above the per-payout maximum of 1000000 sats/,
      },
    },
    {
      description: 'an unsafe integer amount',
      args: row({ amountSats: 2 ** 53 }),
      error: {
        line: 2,
        message:
          /^row 2: amountSats must be a whole number of sats greater than 0, got 9007199254740992$/,
      },
    },
    {
      description: 'a pubkey off the curve',
      args: row({ pubkey: OFF_CURVE }),
      error: { line: 2, message: /^row 2: pubkey 02.+ is not a point on secp256k1/ },
    },
    {
      description: 'a memo that is not a string',
      args: row({ memo: 42 }),
      error: { line: 2, message: /^row 2: memo must be a string, got number 42$/ },
    },
    {
      description: 'a memo over 500 bytes',
      args: row({ memo: longMemo }),
      error: { line: 2, message: /^row 2: memo is 502 bytes of UTF-8, over the 500-byte limit/ },
    },
    {
      description: 'a customKey below 65536',
      args: row({ customKey: '100', customValue: 'x' }),
      error: { line: 2, message: /^row 2: customKey 100 is below 65536/ },
    },
    {
      description: 'a customKey without customValue',
      args: row({ customKey: '696969' }),
      error: { line: 2, message: /^row 2: customKey 696969 needs a customValue/ },
    },
    {
      description: 'a customValue without customKey',
      args: row({ customValue: 'w1' }),
      error: { line: 2, message: /^row 2: customValue is set but customKey is empty/ },
    },
  ])('rejects $description', ({ args, error, policy: withPolicy = policy }) => {
    const result = parsePayoutJson(args, withPolicy);
    expect(result.errors).toEqual([
      { line: error.line, message: expect.stringMatching(error.message) },
    ]);
  });

  it('reports every bad row', () => {
    const { rows, errors } = parsePayoutJson(
      {
        payouts: [
          { pubkey: P1, amountSats: 0 },
          { pubkey: P1, amountSats: 1 },
          { pubkey: 'nope', amountSats: 1 },
        ],
      },
      policy,
    );
    expect(rows.map((row) => row.line)).toEqual([2]);
    expect(errors.map((error) => error.message.split(':')[0])).toEqual(['row 1', 'row 3']);
  });
});
