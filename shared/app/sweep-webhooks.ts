import type { WebhookDelivery, WebhookDeliveryStore, WebhookEndpoint } from '../ports/webhooks.js';
import {
  type DeliverWebhooksDeps,
  deliverWebhooks,
  type WebhookTally,
} from './deliver-webhooks.js';

/** Dead letters of a closed endpoint one sweep takes, as a multiple of `perEndpointLimit`. */
const CLOSED_FACTOR = 4;

export interface SweepWebhooksDeps extends DeliverWebhooksDeps {
  deliveries: DeliverWebhooksDeps['deliveries'] &
    Pick<
      WebhookDeliveryStore,
      'nextQueue' | 'listQueue' | 'moveLegacyDue' | 'readSweepCursor' | 'saveSweepCursor'
    >;
  /** Deliveries one sweep takes in all (the function's time limit bounds what it can try). */
  sweepLimit: number;
  /** Endpoint queues one sweep looks at, due or not (each costs a read or two). */
  sweepQueues: number;
  /** Deliveries of the retry queue's first layout one sweep moves to their endpoints' queues. */
  legacyStep: number;
}

/**
 * The retry sweep (the dispatcher's schedule): tries due deliveries, fairly across endpoints.
 *
 * Each endpoint has its own queue. The sweep walks the endpoints that have pending deliveries,
 * round-robin from where the previous sweep stopped (a cursor the store keeps), and takes at most
 * `perEndpointLimit` due deliveries from each, `sweepLimit` in all, looking at `sweepQueues`
 * queues at most. However large some endpoints' backlogs, an endpoint with one due retry is
 * reached within ⌈endpoints with pending deliveries / `sweepQueues`⌉ sweeps, and within
 * ⌈busy endpoints × `perEndpointLimit` / `sweepLimit`⌉ when the deliveries are the bound.
 *
 * A deleted or disabled endpoint's queue is found like any other (the queues do not depend on the
 * endpoints table), and its pending deliveries, due or not, become dead letters, a bounded
 * number each sweep: a delete that stopped part-way leaves nothing that no sweep reads.
 *
 * The cursor is saved before any attempt, so a sweep that dies mid-way is not walked again; two
 * sweeps at once may read the same queues, and the claims let one attempt through.
 */
export const sweepWebhooks = async (
  deps: SweepWebhooksDeps,
  { deadline }: { deadline?: Date } = {},
): Promise<WebhookTally> => {
  const now = deps.clock();
  await deps.deliveries.moveLegacyDue(deps.legacyStep, now);
  const start = await deps.deliveries.readSweepCursor();
  const due: WebhookDelivery[] = [];
  const endpoints = new Map<string, WebhookEndpoint | undefined>();
  let cursor = start;
  let wrapped = start === undefined;
  while (endpoints.size < deps.sweepQueues && due.length < deps.sweepLimit) {
    const queue = await deps.deliveries.nextQueue(cursor);
    if (!queue) {
      // The end of the order: on from its start, once, up to where this sweep began.
      if (wrapped) break;
      wrapped = true;
      cursor = undefined;
      continue;
    }
    if (endpoints.has(queue.endpointId)) break;
    cursor = queue.cursor;
    const endpoint = await deps.endpoints.getEndpoint(queue.endpointId);
    endpoints.set(queue.endpointId, endpoint);
    const open = endpoint?.enabled === true;
    if (open && queue.dueAt > now.toISOString()) continue;
    const room = deps.sweepLimit - due.length;
    const take = open ? deps.perEndpointLimit : deps.perEndpointLimit * CLOSED_FACTOR;
    due.push(
      ...(await deps.deliveries.listQueue(
        queue.endpointId,
        open ? now : undefined,
        Math.min(room, take),
      )),
    );
  }
  await deps.deliveries.saveSweepCursor(cursor);
  return deliverWebhooks(due, deps, { endpoints, deadline });
};
