import { parseNodePubkey } from '../domain/pubkey.js';
import type { PayoutHistory } from '../ports/activity.js';

/**
 * A platform's settled payouts to one recipient (newest first, a page at a time) with its
 * all-time totals for them. Only this platform's payouts: another's never show or fill a page.
 */
export const listRecipientPayouts = async (
  input: { platformId: string; pubkey: string; limit: number; cursor?: string },
  deps: { history: PayoutHistory },
) => {
  const { platformId, limit, cursor } = input;
  const pubkey = parseNodePubkey(input.pubkey, 'pubkey');
  const page = await deps.history.list(platformId, pubkey, { limit, cursor });
  return {
    recipient: pubkey,
    totals: await deps.history.totals(platformId, pubkey),
    payouts: page.payouts,
    ...(page.cursor
      ? { next: `/v1/recipients/${pubkey}/payouts?limit=${limit}&cursor=${page.cursor}` }
      : {}),
  };
};
