import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fakeRecipients } from '../support/seed-tips.js';
import { apiClient, newTestPlatform, useApiOnly } from './helpers.js';

const stack = inject('stack');

/**
 * Two platforms pay the same recipient; each asks for the recipient's payouts. Tips are settled
 * through the real ledger adapter (as the payer records them) to a made-up node: no payment.
 */
describe('GET /v1/recipients/{pubkey}/payouts with two platforms paying one recipient', () => {
  const f = useApiOnly(stack, 'recipient-payouts');
  const platforms: Record<'a' | 'b', { platformId: string; secret: string }> = {
    a: { platformId: '', secret: '' },
    b: { platformId: '', secret: '' },
  };
  const [recipient = '', otherRecipient = ''] = fakeRecipients(2, `payouts-${randomUUID()}`);
  /** Settled tips per platform, newest first. */
  const settled: Record<'a' | 'b', Array<{ tipId: string; amountMsat: bigint }>> = {
    a: [],
    b: [],
  };

  const settle = async (
    platformId: string,
    to: string,
    amountMsat: bigint,
    settledAt: string,
  ): Promise<string> => {
    const tipId = `${platformId}:history-${randomUUID()}`;
    const { record } = await f.clients.ledger.createTip(
      {
        tipId,
        fingerprint: createHash('sha256').update(tipId).digest('hex'),
        platformId,
        recipient: to,
        amountMsat,
        records: [],
        paymentHash: randomBytes(32).toString('hex'),
        keyVersion: 1,
      },
      new Date(),
    );
    const sending = await f.clients.ledger.markSending(
      tipId,
      'RECEIVED',
      record.attempt,
      record.paymentHash,
      new Date(),
      new Date(),
    );
    await f.clients.ledger.markSucceeded(
      sending,
      { receipt: JSON.stringify({ tipId }), feeMsat: 1000n, settledAt },
      new Date(),
    );
    return tipId;
  };

  beforeAll(async () => {
    platforms.a = await newTestPlatform(f.clients, 'it-history-a', 1_000_000);
    platforms.b = await newTestPlatform(f.clients, 'it-history-b', 1_000_000);
    // Interleaved in time: a page read before filtering would mix the platforms.
    const owners = ['a', 'b', 'b', 'a', 'b', 'a', 'b'] as const;
    const base = Date.now() - 60_000;
    for (const [i, owner] of owners.entries()) {
      const amountMsat = BigInt((i + 1) * 1000);
      const settledAt = new Date(base + i * 1000).toISOString();
      const tipId = await settle(platforms[owner].platformId, recipient, amountMsat, settledAt);
      settled[owner].unshift({ tipId, amountMsat });
    }
    // A's payout to someone else: not in this recipient's history.
    await settle(platforms.a.platformId, otherRecipient, 5000n, new Date(base).toISOString());
  });

  const call = (owner: 'a' | 'b') => apiClient(f.url, platforms[owner]);
  const history = (owner: 'a' | 'b', query: string, to = recipient) =>
    call(owner)('GET', `/v1/recipients/${to}/payouts${query}`);

  it.each(['a', 'b'] as const)(
    'platform %s sees only its own payouts and totals',
    async (owner) => {
      const page = await history(owner, '?limit=100');
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.payouts.map((p: { tipId: string }) => p.tipId)).toEqual(
        settled[owner].map((tip) => tip.tipId),
      );
      expect(
        page.body.payouts.every(
          (p: { platformId: string }) => p.platformId === platforms[owner].platformId,
        ),
      ).toBe(true);
      expect(page.body.next).toBeUndefined();
      const paid = settled[owner].reduce((sum, tip) => sum + tip.amountMsat, 0n);
      expect(page.body.totals).toMatchObject({
        paidMsat: String(paid),
        feeMsat: String(settled[owner].length * 1000),
        tipCount: settled[owner].length,
      });
    },
  );

  it.each(['a', 'b'] as const)(
    'platform %s pages with limit=1 through exactly its own payouts, no empty page',
    async (owner) => {
      const seen: string[] = [];
      let path: string | undefined = `/v1/recipients/${recipient}/payouts?limit=1`;
      while (path) {
        const page: Awaited<ReturnType<ReturnType<typeof call>>> = await call(owner)('GET', path);
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        expect(page.body.payouts).toHaveLength(1);
        seen.push(page.body.payouts[0].tipId);
        path = page.body.next;
      }
      expect(seen).toEqual(settled[owner].map((tip) => tip.tipId));
    },
  );

  it('answers 422 to a cursor that is crafted, another platform’s, or another recipient’s', async () => {
    const foreign = await history('b', '?limit=1');
    const foreignCursor = new URL(foreign.body.next, 'http://x').searchParams.get('cursor') ?? '';
    const own = await history('a', '?limit=1');
    const ownCursor = new URL(own.body.next, 'http://x').searchParams.get('cursor') ?? '';
    const ownKey = JSON.parse(Buffer.from(ownCursor, 'base64url').toString('utf8'));
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const crafted = {
      'not base64 JSON': 'not-a-cursor',
      "platform b's cursor": foreignCursor,
      "another platform's partition": encode({
        ...ownKey,
        platformRecipient: `${platforms.b.platformId}#${recipient}`,
      }),
      'an extra attribute': encode({ ...ownKey, platformId: platforms.a.platformId }),
      'a missing attribute': encode({ platformRecipient: ownKey.platformRecipient }),
      'a number where a string goes': encode({ ...ownKey, settledAt: 12 }),
      'an empty tip id': encode({ ...ownKey, tipId: '' }),
      'an array': encode([ownKey]),
      'JSON null': encode(null),
    };
    for (const [what, cursor] of Object.entries(crafted)) {
      const response = await history('a', `?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(422);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      expect(response.body.detail).toMatch(/cursor is not one this API returned/);
    }
    // A's own cursor, for another recipient's history.
    const elsewhere = await history('a', `?limit=1&cursor=${ownCursor}`, otherRecipient);
    expect(elsewhere.status).toBe(422);
    // And as handed out, it works.
    const next = await history('a', `?limit=1&cursor=${ownCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.payouts[0].tipId).toBe(settled.a[1]?.tipId);
  });
});
