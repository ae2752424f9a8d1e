import { batchEvent, tipEvent, type WebhookEvent } from '../domain/webhook-events.js';
import type {
  LedgerChange,
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookEndpointStore,
} from '../ports/webhooks.js';
import { batchProgress } from './batch-status.js';
import type { DispatcherCheckpoint } from './deliver-webhooks.js';

/** The events ledger changes cause: a tip finishing, a batch completing. */
export const webhookEventsOf = (changes: LedgerChange[]): WebhookEvent[] =>
  changes.flatMap((change) => {
    const found =
      change.table === 'tips'
        ? tipEvent(change.before, change.after)
        : batchEvent(
            change.after?.platformId ?? '',
            change.before ? batchProgress(change.before) : undefined,
            change.after ? batchProgress(change.after) : undefined,
            change.at,
          );
    // A tip sent to the queue without a platform (the operator's own) has no one to tell, and
    // no endpoint can be looked up for an empty platform id.
    return found?.platformId ? [found] : [];
  });

/**
 * The dispatcher's first step for changes read from the ledger's streams: one PENDING delivery
 * per event and enabled endpoint of the event's platform, due at once. Recording is idempotent
 * (a delivery's id is `<eventId>@<endpointId>`): a replayed stream batch records nothing twice, so
 * the stream may be re-read after any crash. An endpoint hears of changes from its registration on.
 *
 * Returns the deliveries this call created (the caller tries them at once).
 */
export const recordWebhookEvents = async (
  events: WebhookEvent[],
  deps: {
    endpoints: Pick<WebhookEndpointStore, 'listEndpoints'>;
    deliveries: Pick<WebhookDeliveryStore, 'recordDeliveries'>;
    now: Date;
    checkpoint?: DispatcherCheckpoint;
  },
): Promise<WebhookDelivery[]> => {
  const at = deps.now.toISOString();
  const byPlatform = new Map<string, Awaited<ReturnType<WebhookEndpointStore['listEndpoints']>>>();
  const wanted: WebhookDelivery[] = [];
  for (const event of events) {
    let endpoints = byPlatform.get(event.platformId);
    if (!endpoints) {
      endpoints = await deps.endpoints.listEndpoints(event.platformId);
      byPlatform.set(event.platformId, endpoints);
    }
    for (const endpoint of endpoints) {
      if (!endpoint.enabled || endpoint.createdAt > event.occurredAt) continue;
      wanted.push({
        deliveryId: `${event.id}@${endpoint.endpointId}`,
        eventId: event.id,
        eventType: event.type,
        endpointId: endpoint.endpointId,
        platformId: event.platformId,
        subject: event.subject,
        occurredAt: event.occurredAt,
        body: event.body,
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: at,
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  if (wanted.length === 0) return [];
  const created = await deps.deliveries.recordDeliveries(wanted);
  for (const delivery of created) deps.checkpoint?.('after-record', delivery);
  return created;
};
