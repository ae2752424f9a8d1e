import { describe, expect, it } from 'vitest';
import { listTips } from '../../../shared/app/list-tips.js';
import type { PlatformTipEntry } from '../../../shared/ports/activity.js';
import { InvalidCursorError } from '../../../shared/ports/activity.js';
import { API_PLATFORM, FakePlatformActivity, G } from './fakes.js';

const tip = (n: number, overrides: Partial<PlatformTipEntry> = {}): PlatformTipEntry => ({
  tipId: `stream.example:tip-${n}`,
  state: 'SUCCEEDED',
  recipient: G,
  amountMsat: '1000',
  feeMsat: '1',
  createdAt: `2026-01-02T03:00:0${n}.000Z`,
  updatedAt: `2026-01-02T03:00:0${n}.500Z`,
  settledAt: `2026-01-02T03:00:0${n}.500Z`,
  attempt: 1,
  ...overrides,
});

const platformId = API_PLATFORM.platformId;

describe('listTips', () => {
  it('answers a page with status URLs and the next page when more exist', async () => {
    const activity = new FakePlatformActivity([tip(3), tip(2), tip(1)]);
    const page = await listTips({ platformId, limit: 2 }, { activity });
    expect(page.tips.map((entry) => entry.tipId)).toEqual([
      'stream.example:tip-3',
      'stream.example:tip-2',
    ]);
    expect(page.tips[0]).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 1,
      feeMsat: '1',
      statusUrl: '/v1/tips/stream.example%3Atip-3',
    });
    expect(page.next).toBe('/v1/tips?limit=2&cursor=at2');
    const last = await listTips({ platformId, limit: 2, cursor: 'at2' }, { activity });
    expect(last.tips).toHaveLength(1);
    expect(last).not.toHaveProperty('next');
  });

  it('gives a failure only to FAILED tips, and leaves absent fields out', async () => {
    const activity = new FakePlatformActivity([
      tip(2, {
        state: 'FAILED',
        feeMsat: undefined,
        settledAt: undefined,
        failureCode: 'NO_ROUTE',
        failureReason: 'no route',
        batchId: 'b-1',
      }),
      tip(1, { state: 'SENDING', feeMsat: undefined, settledAt: undefined }),
    ]);
    const { tips } = await listTips({ platformId, limit: 10 }, { activity });
    expect(tips[0]).toMatchObject({
      failure: { code: 'NO_ROUTE', reason: 'no route' },
      batchId: 'b-1',
    });
    expect(tips[1]).not.toHaveProperty('failure');
    expect(tips[1]).not.toHaveProperty('feeMsat');
    expect(tips[1]).not.toHaveProperty('settledAt');
  });

  it('lets a cursor the store did not hand out fail as InvalidCursorError', async () => {
    const activity = new FakePlatformActivity([tip(1)]);
    await expect(
      listTips({ platformId, limit: 2, cursor: 'forged' }, { activity }),
    ).rejects.toThrow(InvalidCursorError);
  });
});
