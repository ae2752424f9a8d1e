import { describe, expect, it } from 'vitest';
import { acceptBatch } from '../../../shared/app/accept-batch.js';
import { tipIdFor } from '../../../shared/app/accept-tip.js';
import { batchProgress, getBatchStatus } from '../../../shared/app/batch-status.js';
import { BatchNotFoundError } from '../../../shared/app/errors.js';
import { API_PLATFORM, G, HOP, makeIntake, RowWriteFault } from './fakes.js';

const ROWS = [
  { line: 2, body: { recipientPubkey: G, amountMsat: '1000' } },
  { line: 3, body: { recipientPubkey: HOP, amountMsat: '2000' } },
];

const submitted = async (failRowWritesAfter?: number) => {
  const harness = makeIntake();
  harness.intake.failRowWritesAfter = failRowWritesAfter;
  const result = await acceptBatch(
    { platform: API_PLATFORM, idempotencyKey: 'week-1', kind: 'payout', rows: ROWS },
    harness.deps,
  ).catch((error: unknown) => {
    if (!(error instanceof RowWriteFault)) throw error;
    return undefined;
  });
  const batchId = result?.kind === 'accepted' ? result.batchId : '';
  return { ...harness, batchId };
};

const BATCH = {
  batchId: 'b-1',
  platformId: API_PLATFORM.platformId,
  kind: 'payout' as const,
  rowCount: 3,
  totalMsat: 6_000n,
  feeLimitMsat: 0n,
  acceptedAt: '2026-01-02T03:00:00.000Z',
  succeededCount: 1,
  failedCount: 1,
  succeededMsat: 1_000n,
  failedMsat: 2_000n,
  feeMsat: 5n,
  rowsWritten: true,
};

describe('batchProgress', () => {
  it.each([
    { description: 'rows still pending', batch: BATCH, status: 'IN_PROGRESS' },
    {
      description: 'every row settled',
      batch: { ...BATCH, succeededCount: 2, succeededMsat: 4_000n },
      status: 'DONE',
    },
    {
      description: 'rows not all recorded, even when the recorded ones are settled',
      batch: { ...BATCH, succeededCount: 2, rowsWritten: false },
      status: 'INCOMPLETE',
    },
  ])('is $status with $description', ({ batch, status }) => {
    expect(batchProgress(batch).status).toBe(status);
  });

  it('counts msat by outcome, pending the rest', () => {
    expect(batchProgress(BATCH)).toMatchObject({
      counts: { total: 3, succeeded: 1, failed: 1, pending: 1 },
      msat: { total: '6000', succeeded: '1000', failed: '2000', pending: '3000', fees: '5' },
    });
  });
});

describe('getBatchStatus', () => {
  it('answers a batch in progress without rows', async () => {
    const { deps, batchId } = await submitted();
    const status = await getBatchStatus({ platformId: API_PLATFORM.platformId, batchId }, deps);
    expect(status).toMatchObject({ batchId, kind: 'payout', status: 'IN_PROGRESS' });
    expect(status).not.toHaveProperty('rows');
  });

  it('says how many rows are unrecorded and what to do while INCOMPLETE', async () => {
    const { deps } = await submitted(1);
    const batchId = tipIdFor(API_PLATFORM.platformId, 'payout:week-1').replace(':', '-');
    const status = await getBatchStatus({ platformId: API_PLATFORM.platformId, batchId }, deps);
    expect(status.status).toBe('INCOMPLETE');
    expect(status.incomplete?.unrecordedRows).toBe(1);
    expect(status.incomplete?.detail).toMatch(/retry the request with the same Idempotency-Key/);
  });

  it("answers another platform's batch as not found", async () => {
    const { deps, batchId } = await submitted();
    await expect(getBatchStatus({ platformId: 'other', batchId }, deps)).rejects.toThrow(
      BatchNotFoundError,
    );
  });
});
