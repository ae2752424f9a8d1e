import { describe, expect, it } from 'vitest';
import { listRecipientPayouts } from '../../../shared/app/recipient-payouts.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { API_PLATFORM, FakePayoutHistory, G, HOP } from './fakes.js';

const entry = (n: number, platformId = API_PLATFORM.platformId, recipient = G) => ({
  tipId: `${platformId}:tip-${n}`,
  platformId,
  recipient,
  amountMsat: '1000',
  feeMsat: '2',
  settledAt: `2026-01-02T03:00:0${n}.000Z`,
  paymentHash: n.toString(16).padStart(64, '0'),
});

const history = new FakePayoutHistory([
  entry(3),
  entry(2),
  entry(9, 'other.example'),
  entry(8, API_PLATFORM.platformId, HOP),
  entry(1),
]);
const platformId = API_PLATFORM.platformId;

describe('listRecipientPayouts', () => {
  it("pages this platform's payouts to the recipient with its totals", async () => {
    const page = await listRecipientPayouts({ platformId, pubkey: G, limit: 2 }, { history });
    expect(page.recipient).toBe(G);
    expect(page.payouts.map((payout) => payout.tipId)).toEqual([
      'stream.example:tip-3',
      'stream.example:tip-2',
    ]);
    expect(page.totals).toEqual({
      paidMsat: '3000',
      feeMsat: '6',
      tipCount: 3,
      lastPaidAt: '2026-01-02T03:00:03.000Z',
    });
    expect(page.next).toBe(`/v1/recipients/${G}/payouts?limit=2&cursor=at2`);
  });

  it('lowercases the node id it was given', async () => {
    const page = await listRecipientPayouts(
      { platformId, pubkey: G.toUpperCase().replace(/^0/, '0'), limit: 10 },
      { history },
    );
    expect(page.recipient).toBe(G);
    expect(page).not.toHaveProperty('next');
  });

  it('refuses what is not a node id, naming the pubkey field', async () => {
    const refused = listRecipientPayouts({ platformId, pubkey: 'abc', limit: 10 }, { history });
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toMatchObject({ field: 'pubkey' });
  });
});
