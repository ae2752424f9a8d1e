import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  aggregateBatches,
  type BatchStatus,
  collectRows,
  progressLine,
  RateTracker,
  RESULT_CSV_COLUMNS,
  renderResultCsv,
} from '../../cli/batch-progress.js';

const batch = (overrides: Partial<BatchStatus> = {}): BatchStatus => ({
  batchId: 'b1',
  kind: 'payout',
  status: 'IN_PROGRESS',
  acceptedAt: '2026-11-24T00:00:00Z',
  counts: { total: 10, succeeded: 4, failed: 1, pending: 5 },
  msat: { total: '10000', succeeded: '4000', failed: '1000', pending: '5000', fees: '40' },
  ...overrides,
});

describe('aggregateBatches', () => {
  it('adds up the parts of a file sent as several batches', () => {
    const progress = aggregateBatches([
      batch(),
      batch({
        batchId: 'b2',
        status: 'DONE',
        counts: { total: 2, succeeded: 2, failed: 0, pending: 0 },
        msat: { total: '3000', succeeded: '3000', failed: '0', pending: '0', fees: '2' },
      }),
    ]);
    expect(progress).toEqual({
      batchIds: ['b1', 'b2'],
      done: false,
      counts: { total: 12, succeeded: 6, failed: 1, pending: 5 },
      msat: { total: 13_000n, succeeded: 7000n, failed: 1000n, pending: 5000n, fees: 42n },
    });
  });

  it('is done only when every batch is', () => {
    expect(aggregateBatches([batch({ status: 'DONE' })]).done).toBe(true);
    expect(aggregateBatches([batch({ status: 'DONE' }), batch()]).done).toBe(false);
  });
});

describe('RateTracker', () => {
  it('has no rate or ETA before two samples half a second apart', () => {
    const rates = new RateTracker();
    rates.add(0, 0);
    rates.add(100, 5);
    expect(rates.rate()).toBeUndefined();
    expect(rates.etaMs(10)).toBeUndefined();
  });

  it('gives rows per second and the time left at that rate', () => {
    const rates = new RateTracker();
    rates.add(0, 0);
    rates.add(2000, 20);
    expect(rates.rate()).toBe(10);
    expect(rates.etaMs(50)).toBe(5000);
    expect(rates.etaMs(0)).toBe(0);
  });

  it('follows the current speed over its window, not the average since the start', () => {
    const rates = new RateTracker(10_000);
    rates.add(0, 0);
    rates.add(10_000, 0); // stalled at first
    for (let t = 11_000; t <= 30_000; t += 1000) rates.add(t, (t - 10_000) / 100);
    expect(rates.rate()).toBeCloseTo(10, 5);
  });

  it('has no ETA while nothing finishes', () => {
    const rates = new RateTracker();
    rates.add(0, 3);
    rates.add(5000, 3);
    expect(rates.etaMs(10)).toBeUndefined();
  });
});

describe('progressLine', () => {
  it('shows paid, failed, pending, sats, rate and ETA', () => {
    expect(progressLine(aggregateBatches([batch()]), 2.5, 2000)).toBe(
      '5/10 rows (50%) · paid 4 · failed 1 · pending 5 · 4 sats of 10 sats · 2.5 rows/s · ETA 2s',
    );
    expect(progressLine(aggregateBatches([batch()]))).toMatch(/rate … · ETA …$/);
  });
});

describe('renderResultCsv', () => {
  it('writes one line per row in line order, quoting what needs it', () => {
    const rows = collectRows([
      batch({
        status: 'DONE',
        rows: [
          {
            line: 4,
            tipId: 't-4',
            recipient: '02ab',
            amountMsat: '2000',
            status: 'FAILED',
            paymentHash: 'ff',
            reason: 'recipient rejected the payment: "no keysend", sorry\nsecond line',
          },
          {
            line: 2,
            tipId: 't-2',
            recipient: '03cd',
            amountMsat: '1500',
            status: 'SUCCEEDED',
            feeMsat: '1000',
            paymentHash: 'ee',
          },
        ],
      }),
    ]);
    const text = renderResultCsv(rows);
    const [header, ...records] = parse(text) as string[][];
    expect(header).toEqual([...RESULT_CSV_COLUMNS]);
    expect(records).toEqual([
      ['2', '03cd', '1.5', 'SUCCEEDED', '1000', 'ee', '', 't-2'],
      [
        '4',
        '02ab',
        '2',
        'FAILED',
        '',
        'ff',
        'recipient rejected the payment: "no keysend", sorry second line',
        't-4',
      ],
    ]);
    expect(text.split('\n')).toHaveLength(4); // header, 2 rows, final newline
  });
});
