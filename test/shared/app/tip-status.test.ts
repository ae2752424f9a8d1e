import { describe, expect, it } from 'vitest';
import { acceptTip } from '../../../shared/app/accept-tip.js';
import { TipNotFoundError } from '../../../shared/app/errors.js';
import { getTipStatus, tipStatusUrl } from '../../../shared/app/tip-status.js';
import { API_PLATFORM, G, makeIntake } from './fakes.js';

const accepted = async () => {
  const harness = makeIntake();
  const result = await acceptTip(
    {
      platform: API_PLATFORM,
      idempotencyKey: 'tip-1',
      body: { recipientPubkey: G, amountMsat: 21_000 },
    },
    harness.deps,
  );
  if (result.kind !== 'accepted') throw new Error(`not accepted: ${result.kind}`);
  return { ...harness, tipId: result.tipId };
};

describe('getTipStatus', () => {
  it('answers ACCEPTED from the intake record while the payer has not recorded the tip', async () => {
    const { deps, tipId } = await accepted();
    const status = await getTipStatus({ platformId: API_PLATFORM.platformId, tipId }, deps);
    expect(status).toMatchObject({
      tipId,
      status: 'ACCEPTED',
      recipient: G,
      amountMsat: '21000',
      attempts: 0,
    });
    expect(status).not.toHaveProperty('failure');
    expect(status).not.toHaveProperty('receipt');
  });

  it("answers another platform's tip, and a tip nobody has, as not found", async () => {
    const { deps, tipId } = await accepted();
    await expect(getTipStatus({ platformId: 'other', tipId }, deps)).rejects.toThrow(
      TipNotFoundError,
    );
    await expect(
      getTipStatus({ platformId: API_PLATFORM.platformId, tipId: 'nobody' }, deps),
    ).rejects.toThrow(`platform ${API_PLATFORM.platformId} has no tip nobody`);
  });

  it('says what the payer recorded once it has the tip, failure included', async () => {
    const { deps, ledger, tipId } = await accepted();
    await ledger.createRefusedTip(
      {
        tipId,
        fingerprint: 'f',
        platformId: API_PLATFORM.platformId,
        recipient: G,
        amountMsat: 21_000n,
        records: [],
        paymentHash: '00'.repeat(32),
        keyVersion: 1,
      },
      { code: 'REFUSED_BY_POLICY', reason: 'above the payer limit' },
      new Date('2026-01-02T03:00:00.000Z'),
    );
    const status = await getTipStatus({ platformId: API_PLATFORM.platformId, tipId }, deps);
    expect(status).toMatchObject({
      status: 'FAILED',
      failure: { code: 'REFUSED_BY_POLICY', reason: 'above the payer limit' },
    });
  });

  it('builds status URLs with the id escaped', () => {
    expect(tipStatusUrl('a/b:c')).toBe('/v1/tips/a%2Fb%3Ac');
  });
});
