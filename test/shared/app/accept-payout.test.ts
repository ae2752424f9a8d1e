import { describe, expect, it } from 'vitest';
import { acceptPayout } from '../../../shared/app/accept-payout.js';
import { API_PLATFORM, G, HOP, makeIntake } from './fakes.js';

const CSV = `pubkey,amount_sats,memo\n${G},10,thanks\n${HOP},20,\n`;
const BAD_CSV = `pubkey,amount_sats,memo\n${G},10,\nnot-a-key,5,\n`;

describe('acceptPayout', () => {
  it('accepts a CSV file as one batch, each row with its line', async () => {
    const { deps, queue } = makeIntake();
    const { result, skipped } = await acceptPayout(
      { platform: API_PLATFORM, idempotencyKey: 'week-1', file: { csv: CSV }, allowPartial: false },
      deps,
    );
    expect(result).toMatchObject({ kind: 'accepted', totalMsat: 30_000n });
    expect(skipped).toEqual([]);
    const sent = queue.sent.map((message) => JSON.parse(message));
    expect(sent.map((tip) => [tip.recipientPubkey, tip.amountMsat, tip.message])).toEqual([
      [G, '10000', 'thanks'],
      [HOP, '20000', undefined],
    ]);
  });

  it('refuses a file with a bad row whole, unless allowPartial pays the valid rows', async () => {
    const refused = makeIntake();
    const whole = await acceptPayout(
      { platform: API_PLATFORM, idempotencyKey: 'w', file: { csv: BAD_CSV }, allowPartial: false },
      refused.deps,
    );
    expect(whole.result.kind).toBe('invalid');
    expect(refused.queue.sent).toEqual([]);

    const partial = makeIntake();
    const paid = await acceptPayout(
      { platform: API_PLATFORM, idempotencyKey: 'w', file: { csv: BAD_CSV }, allowPartial: true },
      partial.deps,
    );
    expect(paid.result.kind).toBe('accepted');
    expect(paid.skipped).toEqual([expect.objectContaining({ line: 3 })]);
    expect(partial.queue.sent).toHaveLength(1);
  });

  it('reads allowPartial from a JSON envelope too', async () => {
    const { deps, queue } = makeIntake();
    const { result, skipped } = await acceptPayout(
      {
        platform: API_PLATFORM,
        idempotencyKey: 'json-1',
        file: {
          json: {
            allowPartial: true,
            payouts: [
              { pubkey: G, amountSats: 5 },
              { pubkey: 'nope', amountSats: 5 },
            ],
          },
        },
        allowPartial: false,
      },
      deps,
    );
    expect(result.kind).toBe('accepted');
    expect(skipped).toHaveLength(1);
    expect(queue.sent).toHaveLength(1);
  });

  it('answers invalid, not accepted, when every row is bad even with allowPartial', async () => {
    const { deps } = makeIntake();
    const { result } = await acceptPayout(
      {
        platform: API_PLATFORM,
        idempotencyKey: 'bad',
        file: { csv: 'nope,1,\n' },
        allowPartial: true,
      },
      deps,
    );
    expect(result.kind).toBe('invalid');
  });

  it('sends each row by its method, as a tip asks (absent: keysend, the message without one)', async () => {
    const { deps, queue } = makeIntake();
    const { result } = await acceptPayout(
      {
        platform: API_PLATFORM,
        idempotencyKey: 'methods',
        file: { csv: `${G},10,,,,auto\n${HOP},20,hi,696969,w1,amp\n${G},30,\n` },
        allowPartial: false,
      },
      deps,
    );
    expect(result.kind).toBe('accepted');
    const sent = queue.sent.map((message) => JSON.parse(message));
    expect(sent.map((tip) => [tip.amountMsat, tip.method])).toEqual([
      ['10000', 'auto'],
      ['20000', 'amp'],
      ['30000', undefined],
    ]);
  });
});
