import { createHash } from 'node:crypto';
import { budgetWindows, describeBudgetExceeded } from '../domain/budget-window.js';
import { AmountAboveMaximumError } from '../domain/errors.js';
import { type FeePolicy, maxFeeMsat } from '../domain/fee-limit.js';
import type { PayerPolicy } from '../domain/payer-policy.js';
import { buildTipRequest, parseTipRequest, tipFingerprint } from '../domain/tip-request.js';
import type {
  AcceptedRequest,
  BudgetReservation,
  IntakeStore,
  PlatformRecord,
  QueuedTip,
  TipQueue,
} from '../ports/intake.js';
import type { TipLedger } from '../ports/tip-ledger.js';

/** Operator-wide intake limits. */
export interface IntakePolicy
  extends Pick<PayerPolicy, 'maxTipMsat' | 'allowMsat' | 'customRecordsBudgetBytes'>,
    FeePolicy {
  /** All platforms together, per UTC hour. */
  globalHourlyLimitMsat: bigint;
}

export interface IntakeDeps {
  intake: IntakeStore;
  queue: TipQueue;
  ledger: TipLedger;
  policy: IntakePolicy;
  now: () => Date;
}

/** Why a request was not accepted, mapped to an HTTP status by the API. */
export type AcceptTipResult =
  | { kind: 'accepted'; tipId: string; replayed: boolean }
  | { kind: 'invalid'; field?: string; message: string }
  | { kind: 'conflict'; tipId: string; message: string }
  | {
      kind: 'over-budget';
      limit: 'per-tip' | 'platform-daily' | 'global-hourly';
      message: string;
      resetsAt?: Date;
    };

const sats = (msat: bigint) => (msat / 1000n).toLocaleString('en-US');

/** The answer for a request that would exceed a budget window: which limit, and when it resets. */
export const overBudget = (
  reservation: BudgetReservation,
  usedMsat: bigint,
  requestedMsat: bigint,
): Extract<AcceptTipResult, { kind: 'over-budget' }> & { resetsAt: Date } => ({
  kind: 'over-budget',
  limit: reservation.limit,
  resetsAt: reservation.resetsAt,
  message: `the ${describeBudgetExceeded({
    limit: reservation.limit,
    limitMsat: reservation.limitMsat,
    usedMsat,
    requestedMsat,
    resetsAt: reservation.resetsAt,
  })}`,
});

/**
 * The tip id of a platform's request: derived from its Idempotency-Key, so a request that is
 * retried (even after a crash between the budget write and the enqueue) can only become the same
 * tip, which the payer pays at most once.
 */
export const tipIdFor = (platformId: string, idempotencyKey: string) =>
  `${platformId}:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 40)}`;

/** The budget counters a tip accepted now reserves against. */
export const budgetReservations = (
  platform: PlatformRecord,
  policy: IntakePolicy,
  now: Date,
): BudgetReservation[] => {
  const { platformDay, globalHour } = budgetWindows(now);
  return [
    {
      key: `platform#${platform.platformId}#day#${platformDay.key}`,
      limitMsat: BigInt(platform.dailyLimitSats) * 1000n,
      limit: 'platform-daily',
      resetsAt: platformDay.resetsAt,
    },
    {
      // The platform's lease of the global hour: platforms never contend on the global item.
      key: `platform#${platform.platformId}#hour#${globalHour.key}`,
      leasedFrom: `global#hour#${globalHour.key}`,
      limitMsat: policy.globalHourlyLimitMsat,
      limit: 'global-hourly',
      resetsAt: globalHour.resetsAt,
    },
  ];
};

/**
 * The queue message of an accepted request: its body, tagged with the budget it reserved so the
 * payer settles that reservation without reading the request (`reservation-tag.ts`).
 */
export const queuedTip = (request: AcceptedRequest): QueuedTip => ({
  body: request.message,
  reservation: { feeLimitMsat: request.feeLimitMsat, budgetKeys: request.budgetKeys },
});

/**
 * The authentication a request's tips get: what the request asks for, else the platform's
 * default. Returned as the queue message field: `shared-secret`, or nothing for a plain tip (the
 * message a payer without shared-secret support understands).
 */
export const authenticationField = (
  platform: PlatformRecord,
  requested: unknown,
  toAddress = false,
): { authentication?: unknown } => {
  // The node behind a Lightning Address is known only when the payer resolves it: no ECDH.
  const fallback = platform.authenticatedTips && !toAddress ? 'shared-secret' : 'none';
  const resolved = requested ?? fallback;
  return resolved === 'none' ? {} : { authentication: resolved };
};

/**
 * Accepts one tip from a platform: validates it, records it under its idempotency key while
 * reserving its budget atomically, and enqueues it for the payer. The same key with the same body
 * answers as the first time; with another body it is a conflict and nothing is paid.
 */
export const acceptTip = async (
  input: { platform: PlatformRecord; idempotencyKey: string; body: Record<string, unknown> },
  deps: IntakeDeps,
): Promise<AcceptTipResult> => {
  const tipId = tipIdFor(input.platform.platformId, input.idempotencyKey);
  const { authentication, ...fields } = input.body;
  const message = buildTipRequest({
    tipId,
    platformId: input.platform.platformId,
    ...fields,
    ...authenticationField(input.platform, authentication, fields.recipientAddress !== undefined),
  });
  const parsed = parseTipRequest(message, {
    maxMsat: deps.policy.maxTipMsat,
    allowMsat: deps.policy.allowMsat,
    customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
  });
  if (!parsed.ok) {
    if (parsed.error.cause instanceof AmountAboveMaximumError) {
      return {
        kind: 'over-budget',
        limit: 'per-tip',
        message: `amountMsat is above the per-tip maximum of ${sats(deps.policy.maxTipMsat)} sats`,
      };
    }
    return { kind: 'invalid', field: parsed.error.field, message: parsed.error.message };
  }
  const body = JSON.stringify(message);
  const now = deps.now();
  const request: AcceptedRequest = {
    tipId,
    platformId: input.platform.platformId,
    fingerprint: tipFingerprint(parsed.tip),
    message: body,
    amountMsat: parsed.tip.amountMsat,
    feeLimitMsat: maxFeeMsat(parsed.tip.amountMsat, deps.policy),
    budgetKeys: [],
    acceptedAt: now.toISOString(),
  };
  const reservations = budgetReservations(input.platform, deps.policy, now);
  request.budgetKeys = reservations.map((reservation) => reservation.key);
  const result = await deps.intake.accept(request, reservations);
  switch (result.status) {
    case 'accepted':
      await deps.queue.send([queuedTip(request)]);
      return { kind: 'accepted', tipId, replayed: false };
    case 'duplicate': {
      if (result.existing.fingerprint !== request.fingerprint) {
        return {
          kind: 'conflict',
          tipId,
          message: `Idempotency-Key "${input.idempotencyKey}" was already used for a different tip; send a new key for a new tip`,
        };
      }
      // Same request again: the first attempt may have died before enqueueing, so send the
      // original message again unless the payer already has the tip (it pays a tip id once).
      if (!(await deps.ledger.getTip(tipId))) await deps.queue.send([queuedTip(result.existing)]);
      return { kind: 'accepted', tipId, replayed: true };
    }
    case 'over-budget':
      return overBudget(
        result.reservation,
        result.usedMsat,
        request.amountMsat + request.feeLimitMsat,
      );
  }
};
