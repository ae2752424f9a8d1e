import type { DeliveryStatus, WebhookDelivery, WebhookDeliveryStore } from '../ports/webhooks.js';
import { WebhookDeliveryNotFoundError } from './errors.js';

/** What a platform sees of a delivery: status, attempts, the last answer; not the body. */
const view = ({ body: _body, leaseUntil: _lease, ...rest }: WebhookDelivery) => rest;

/** A platform's recent deliveries, newest first (optionally one endpoint's, or one status). */
export const listWebhookDeliveries = async (
  input: { platformId: string; endpointId?: string; status?: DeliveryStatus; limit: number },
  deps: { deliveries: Pick<WebhookDeliveryStore, 'listDeliveries'> },
) =>
  (
    await deps.deliveries.listDeliveries(input.platformId, {
      endpointId: input.endpointId,
      status: input.status,
      limit: input.limit,
    })
  ).map(view);

/**
 * Sends failed deliveries again: one (by id) or every dead letter of the platform. Each goes back
 * to PENDING, due at once, with its attempts counted afresh and the same webhook-id; the
 * dispatcher's next sweep sends it. Returns the ids resent.
 */
export const resendWebhookDeliveries = async (
  input: { platformId: string; deliveryId?: string },
  deps: {
    deliveries: Pick<WebhookDeliveryStore, 'getDelivery' | 'listDeliveries' | 'requeue'>;
    now: Date;
  },
): Promise<string[]> => {
  let candidates: WebhookDelivery[];
  if (input.deliveryId) {
    const one = await deps.deliveries.getDelivery(input.deliveryId);
    if (!one || one.platformId !== input.platformId) {
      throw new WebhookDeliveryNotFoundError(
        `platform ${input.platformId} has no webhook delivery ${input.deliveryId.slice(0, 200)}`,
      );
    }
    candidates = [one];
  } else {
    candidates = await deps.deliveries.listDeliveries(input.platformId, {
      status: 'DEAD',
      limit: 1000,
    });
  }
  const resent: string[] = [];
  for (const delivery of candidates) {
    if (delivery.status !== 'DEAD') continue;
    if (await deps.deliveries.requeue(delivery.deliveryId, deps.now))
      resent.push(delivery.deliveryId);
  }
  return resent;
};
