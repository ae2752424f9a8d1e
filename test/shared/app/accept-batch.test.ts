import { describe, expect, it } from 'vitest';
import { acceptBatch, type BatchRow } from '../../../shared/app/accept-batch.js';
import { type IntakeDeps, tipIdFor } from '../../../shared/app/accept-tip.js';
import type { PlatformRecord } from '../../../shared/ports/intake.js';
import { G, HOP, makeIntake, RowWriteFault } from './fakes.js';

const PLATFORM: PlatformRecord = {
  platformId: 'stream.example',
  name: 'Stream',
  secrets: [],
  dailyLimitSats: 1_000_000,
  createdAt: '2026-01-01T00:00:00.000Z',
};

const harness = () => makeIntake();

/** A payout of `count` rows (lines 2…count+1, as under a CSV header), 1 sat more each line. */
const payoutRows = (count: number): BatchRow[] =>
  Array.from({ length: count }, (_, i) => ({
    line: i + 2,
    body: { recipientPubkey: i % 2 === 0 ? G : HOP, amountMsat: String((i + 1) * 1000) },
  }));

/** The batch id of the key `week-47`, as the use case derives it. */
const BATCH_ID = tipIdFor(PLATFORM.platformId, 'payout:week-47').replace(':', '-');

const submit = (deps: IntakeDeps, rows: BatchRow[], idempotencyKey = 'week-47') =>
  acceptBatch({ platform: PLATFORM, idempotencyKey, kind: 'payout', rows }, deps);

const tipIdsOf = (messages: string[]) =>
  messages.map((message) => (JSON.parse(message) as { tipId: string }).tipId);

describe('acceptBatch when the request dies while recording rows', () => {
  it('leaves the batch marked unwritten, and a retry records every missing row once and enqueues every tip once', async () => {
    const h = harness();
    const rows = payoutRows(10);
    h.intake.failRowWritesAfter = 4;
    await expect(submit(h.deps, rows)).rejects.toBeInstanceOf(RowWriteFault);

    expect(await h.intake.getBatch(BATCH_ID)).toMatchObject({ rowsWritten: false, rowCount: 10 });
    expect(await h.intake.listBatchRequests(BATCH_ID)).toHaveLength(4);
    expect(h.queue.sent).toEqual([]);

    h.intake.failRowWritesAfter = undefined;
    const retried = await submit(h.deps, rows);
    expect(retried).toMatchObject({ kind: 'accepted', replayed: true });
    if (retried.kind !== 'accepted') throw new Error('not accepted');

    const batch = await h.intake.getBatch(retried.batchId);
    expect(batch).toMatchObject({ rowsWritten: true, rowCount: 10 });
    const recorded = await h.intake.listBatchRequests(retried.batchId);
    expect(recorded.map((row) => row.line)).toEqual(rows.map((row) => row.line));
    expect(recorded.map((row) => row.tipId)).toEqual(retried.tipIds);
    expect(h.intake.rowPuts).toBe(10);
    // Nothing was enqueued before the rows were complete, so every tip is sent exactly once.
    expect(tipIdsOf(h.queue.sent).sort()).toEqual([...retried.tipIds].sort());
  });

  it('a retry on a later day points the rows at the budget counters the batch reserved', async () => {
    const h = harness();
    const rows = payoutRows(3);
    h.intake.failRowWritesAfter = 1;
    await expect(submit(h.deps, rows)).rejects.toBeInstanceOf(RowWriteFault);
    const reservedOn = h.clock.now().toISOString();
    h.intake.failRowWritesAfter = undefined;
    h.clock.advance(26 * 3_600_000);

    const retried = await submit(h.deps, rows);
    if (retried.kind !== 'accepted') throw new Error(`not accepted: ${retried.kind}`);
    const batch = await h.intake.getBatch(retried.batchId);
    for (const row of await h.intake.listBatchRequests(retried.batchId)) {
      expect(row.budgetKeys).toEqual(batch?.budgetKeys);
      expect(row.acceptedAt).toBe(reservedOn);
    }
    // The total and the rows' fee limits (10 sats each) were reserved once, on the first day's
    // counters; the retry reserved nothing.
    for (const key of batch?.budgetKeys ?? []) expect(h.intake.reserved(key)).toBe(36_000n);
  });

  it('a retry never overwrites a row the payer has already released', async () => {
    const h = harness();
    const rows = payoutRows(4);
    h.intake.failRowWritesAfter = 2;
    await expect(submit(h.deps, rows)).rejects.toBeInstanceOf(RowWriteFault);
    h.intake.failRowWritesAfter = undefined;
    // The payer failed the first row (an earlier attempt enqueued it) and released its budget.
    const [firstRow] = await h.intake.listBatchRequests(BATCH_ID);
    if (!firstRow) throw new Error('no first row');
    h.intake.release(firstRow.tipId);

    await submit(h.deps, rows);
    expect(h.intake.peekRequest(firstRow.tipId)?.released).toBe(true);
    expect(h.intake.rowPuts).toBe(4);
  });
});
