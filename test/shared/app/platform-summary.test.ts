import { describe, expect, it } from 'vitest';
import { summarizePlatform } from '../../../shared/app/platform-summary.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { API_PLATFORM, FakePlatformActivity, G, makeIntake } from './fakes.js';

const BATCH = {
  batchId: 'b-1',
  platformId: API_PLATFORM.platformId,
  kind: 'payout' as const,
  rowCount: 2,
  totalMsat: 3_000n,
  feeLimitMsat: 0n,
  acceptedAt: '2026-01-02T02:00:00.000Z',
  succeededCount: 1,
  failedCount: 0,
  succeededMsat: 1_000n,
  failedMsat: 0n,
  feeMsat: 0n,
  rowsWritten: true,
};

const summaryDeps = () => {
  const { deps, intake } = makeIntake();
  const activity = new FakePlatformActivity(
    [
      {
        tipId: 'stream.example:t-2',
        state: 'FAILED',
        recipient: G,
        amountMsat: '2000',
        createdAt: '2026-01-02T02:30:00.000Z',
        updatedAt: '2026-01-02T02:31:00.000Z',
        failureCode: 'NO_ROUTE',
        failureReason: 'no route',
        attempt: 1,
      },
      {
        tipId: 'stream.example:t-1',
        state: 'SUCCEEDED',
        recipient: G,
        amountMsat: '1000',
        feeMsat: '3',
        createdAt: '2026-01-02T02:00:00.000Z',
        updatedAt: '2026-01-02T02:00:01.000Z',
        settledAt: '2026-01-02T02:00:01.000Z',
        attempt: 1,
      },
    ],
    [BATCH, { ...BATCH, batchId: 'b-done', succeededCount: 2, succeededMsat: 3_000n }],
  );
  return { ...deps, intake, activity };
};

describe('summarizePlatform', () => {
  it("sums the window's tips, lists failures with status URLs, running batches and the budget", async () => {
    const summary = await summarizePlatform({ platform: API_PLATFORM }, summaryDeps());
    expect(summary.window).toMatchObject({ name: '24h', bucket: 'hour' });
    expect(summary.totals).toMatchObject({
      tips: 2,
      succeeded: { count: 1, msat: 1_000n, feeMsat: 3n },
      failed: { count: 1, msat: 2_000n },
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        tipId: 'stream.example:t-2',
        statusUrl: '/v1/tips/stream.example%3At-2',
      }),
    ]);
    expect(summary.runningBatches.map((batch) => batch.batchId)).toEqual(['b-1']);
    expect(summary.budget).toEqual({
      limitMsat: '1000000000',
      usedMsat: '0',
      resetsAt: '2026-01-03T00:00:00.000Z',
    });
    expect(summary.truncated).toBe(false);
  });

  it('refuses an unknown window', async () => {
    await expect(
      summarizePlatform({ platform: API_PLATFORM, window: '1y' }, summaryDeps()),
    ).rejects.toThrow(ValidationError);
  });
});
