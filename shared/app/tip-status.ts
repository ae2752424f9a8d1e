import { TIP_ID_PATTERN } from '../domain/ids.js';
import type { IntakeStore } from '../ports/intake.js';
import type { TipLedger } from '../ports/tip-ledger.js';
import { TipNotFoundError } from './errors.js';

/** Where a platform reads one tip's status. */
export const tipStatusUrl = (tipId: string) => `/v1/tips/${encodeURIComponent(tipId)}`;

/**
 * One tip of a platform: what the payer recorded, or what the intake accepted while the payer has
 * not seen it yet (ACCEPTED). Another platform's tip is answered as missing.
 */
export const getTipStatus = async (
  input: { platformId: string; tipId: string },
  deps: { intake: Pick<IntakeStore, 'getRequest'>; ledger: Pick<TipLedger, 'getTip'> },
) => {
  const { platformId, tipId } = input;
  // An id no tip can have is missing without asking the stores (which may refuse such a key).
  if (!TIP_ID_PATTERN.test(tipId)) {
    throw new TipNotFoundError(`platform ${platformId} has no tip ${tipId.slice(0, 300)}`);
  }
  const accepted = await deps.intake.getRequest(tipId);
  const tip = await deps.ledger.getTip(tipId);
  const owner = accepted?.platformId ?? tip?.platformId;
  if (!owner || owner !== platformId) {
    throw new TipNotFoundError(`platform ${platformId} has no tip ${tipId}`);
  }
  return {
    tipId,
    status: tip?.state ?? ('ACCEPTED' as const),
    recipient:
      tip?.recipient ??
      (JSON.parse(accepted?.message ?? '{}') as { recipientPubkey?: string }).recipientPubkey,
    amountMsat: (tip?.amountMsat ?? accepted?.amountMsat ?? 0n).toString(),
    acceptedAt: accepted?.acceptedAt,
    updatedAt: tip?.updatedAt,
    attempts: tip?.attempt ?? 0,
    ...(tip?.state === 'FAILED'
      ? { failure: { code: tip.failureCode, reason: tip.failureReason } }
      : {}),
    ...(tip?.receipt ? { receipt: JSON.parse(tip.receipt) as Record<string, unknown> } : {}),
  };
};
