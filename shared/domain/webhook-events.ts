/**
 * Webhook events: what a platform is told when its money moves. Versioned payloads (`version`),
 * each with a deterministic id: the same ledger change always yields the same event id, which is
 * the Standard Webhooks `webhook-id` of every delivery and retry of it, so a receiver deduplicates
 * by it whatever replays the stream.
 */
const WEBHOOK_EVENT_VERSION = 1;

export const WEBHOOK_EVENT_TYPES = ['tip.succeeded', 'tip.failed', 'batch.completed'] as const;
type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A tip as the ledger holds it, as far as events tell it. Amounts in msat. */
export interface TipChangeImage {
  tipId: string;
  platformId: string;
  state: string;
  recipient: string;
  amountMsat: bigint;
  attempt: number;
  feeMsat?: bigint;
  settledAt?: string;
  receipt?: string;
  failureCode?: string;
  failureReason?: string;
  batchId?: string;
  updatedAt: string;
}

/** A batch's progress, as `GET /v1/payouts/{id}` reports it (counts and decimal msat strings). */
export interface BatchProgressView {
  batchId: string;
  kind: string;
  status: string;
  acceptedAt: string;
  counts: { total: number; succeeded: number; failed: number; pending: number };
  msat: { total: string; succeeded: string; failed: string; pending: string; fees: string };
}

export interface WebhookEvent {
  /** `evt_…`: the webhook-id. */
  id: string;
  type: WebhookEventType;
  platformId: string;
  /** Deliveries of one subject (a tip, a batch) to one endpoint go out in this order. */
  subject: string;
  /** When the change happened (the ledger's time): orders a subject's events. */
  occurredAt: string;
  /** The JSON body, exactly as signed and sent. */
  body: string;
}

const event = (
  id: string,
  type: WebhookEventType,
  platformId: string,
  subject: string,
  occurredAt: string,
  data: Record<string, unknown>,
): WebhookEvent => ({
  id,
  type,
  platformId,
  subject,
  occurredAt,
  body: JSON.stringify({ id, type, version: WEBHOOK_EVENT_VERSION, createdAt: occurredAt, data }),
});

/**
 * The event a change of a tip causes, if any: entering SUCCEEDED → `tip.succeeded` with the
 * signed receipt; entering FAILED (or failing again on a later attempt) → `tip.failed`.
 */
export const tipEvent = (
  before: TipChangeImage | undefined,
  after: TipChangeImage | undefined,
): WebhookEvent | undefined => {
  if (!after) return undefined;
  const common = {
    tipId: after.tipId,
    platformId: after.platformId,
    recipient: after.recipient,
    amountMsat: after.amountMsat.toString(),
    attempt: after.attempt,
    ...(after.batchId ? { batchId: after.batchId } : {}),
  };
  if (after.state === 'SUCCEEDED' && before?.state !== 'SUCCEEDED') {
    return event(
      `evt_${after.tipId}_succeeded`,
      'tip.succeeded',
      after.platformId,
      after.tipId,
      after.updatedAt,
      {
        ...common,
        feeMsat: (after.feeMsat ?? 0n).toString(),
        settledAt: after.settledAt,
        receipt: after.receipt ? JSON.parse(after.receipt) : undefined,
      },
    );
  }
  if (
    after.state === 'FAILED' &&
    (before?.state !== 'FAILED' || before.attempt !== after.attempt)
  ) {
    return event(
      `evt_${after.tipId}_failed_${after.attempt}`,
      'tip.failed',
      after.platformId,
      after.tipId,
      after.updatedAt,
      {
        ...common,
        code: after.failureCode ?? 'UNKNOWN',
        reason: after.failureReason ?? '',
      },
    );
  }
  return undefined;
};

/** `batch.completed` when a batch's progress reaches DONE (every row succeeded or failed). */
export const batchEvent = (
  platformId: string,
  before: BatchProgressView | undefined,
  after: BatchProgressView | undefined,
  occurredAt: string,
): WebhookEvent | undefined => {
  if (after?.status !== 'DONE' || before?.status === 'DONE') return undefined;
  return event(
    `evt_${after.batchId}_completed`,
    'batch.completed',
    platformId,
    after.batchId,
    occurredAt,
    {
      batchId: after.batchId,
      platformId,
      kind: after.kind,
      status: after.status,
      acceptedAt: after.acceptedAt,
      counts: after.counts,
      msat: after.msat,
    },
  );
};
