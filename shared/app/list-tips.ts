import type { PlatformActivity } from '../ports/activity.js';
import { tipStatusUrl } from './tip-status.js';

/**
 * A page of a platform's tips, newest first, each with its status URL; `next` only when more
 * exist. A cursor this API did not hand out is refused by the store (InvalidCursorError).
 */
export const listTips = async (
  input: { platformId: string; limit: number; cursor?: string },
  deps: { activity: Pick<PlatformActivity, 'listTips'> },
) => {
  const { platformId, limit, cursor } = input;
  const page = await deps.activity.listTips(platformId, { limit, cursor });
  return {
    tips: page.tips.map((tip) => ({
      tipId: tip.tipId,
      status: tip.state,
      recipient: tip.recipient,
      amountMsat: tip.amountMsat,
      ...(tip.feeMsat !== undefined ? { feeMsat: tip.feeMsat } : {}),
      createdAt: tip.createdAt,
      updatedAt: tip.updatedAt,
      ...(tip.settledAt ? { settledAt: tip.settledAt } : {}),
      attempts: tip.attempt,
      ...(tip.state === 'FAILED'
        ? { failure: { code: tip.failureCode, reason: tip.failureReason } }
        : {}),
      ...(tip.batchId ? { batchId: tip.batchId } : {}),
      statusUrl: tipStatusUrl(tip.tipId),
    })),
    ...(page.cursor ? { next: `/v1/tips?limit=${limit}&cursor=${page.cursor}` } : {}),
  };
};
