import type {
  EndpointQueue,
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookEndpoint,
  WebhookEndpointStore,
} from '../../../shared/ports/webhooks.js';

/** In-memory endpoint store with the DynamoDB adapter's rules (ids unique, update of a missing one is undefined). */
export class FakeWebhookEndpoints implements WebhookEndpointStore {
  readonly items = new Map<string, WebhookEndpoint>();
  async putEndpoint(endpoint: WebhookEndpoint) {
    if (this.items.has(endpoint.endpointId)) return 'exists' as const;
    this.items.set(endpoint.endpointId, { ...endpoint });
    return 'created' as const;
  }
  async getEndpoint(id: string) {
    const found = this.items.get(id);
    return found && { ...found };
  }
  async listEndpoints(platformId: string) {
    return [...this.items.values()]
      .filter((e) => e.platformId === platformId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  async updateEndpoint(
    id: string,
    change: Partial<Pick<WebhookEndpoint, 'secret' | 'enabled' | 'url'>>,
    now: Date,
  ) {
    const found = this.items.get(id);
    if (!found) return undefined;
    const updated = { ...found, ...change, updatedAt: now.toISOString() };
    this.items.set(id, updated);
    return { ...updated };
  }
  async deleteEndpoint(id: string) {
    this.items.delete(id);
  }
  async setEndpointFailing(id: string, since: Date | undefined) {
    const found = this.items.get(id);
    if (!found) return;
    const { failingSince: _was, ...rest } = found;
    this.items.set(id, since ? { ...rest, failingSince: since.toISOString() } : rest);
  }
}

/**
 * In-memory delivery store with the DynamoDB adapter's conditions (claim, lease, defer, abandon,
 * requeue) and its queues: one per endpoint, walked in endpoint id order, soonest due first; ids
 * in `legacy` are in the retry queue's first layout (one queue for all), which no walk reads.
 */
export class FakeWebhookDeliveries implements WebhookDeliveryStore {
  readonly items = new Map<string, WebhookDelivery>();
  readonly legacy = new Set<string>();
  sweepCursor: string | undefined;
  async recordDeliveries(deliveries: WebhookDelivery[]) {
    const created = deliveries.filter((d) => !this.items.has(d.deliveryId));
    for (const d of created) this.items.set(d.deliveryId, { ...d });
    return created;
  }
  /** Deliveries as an earlier version recorded them, in the one queue for all endpoints. */
  recordLegacy(deliveries: WebhookDelivery[]) {
    for (const d of deliveries) {
      this.items.set(d.deliveryId, { ...d });
      this.legacy.add(d.deliveryId);
    }
  }
  async getDelivery(id: string) {
    const found = this.items.get(id);
    return found && { ...found };
  }
  async claim(id: string, now: Date, leaseUntil: Date) {
    const d = this.items.get(id);
    const at = now.toISOString();
    if (d?.status !== 'PENDING' || (d.nextAttemptAt ?? '') > at) return undefined;
    if (d.leaseUntil && d.leaseUntil >= at) return undefined;
    const claimed = {
      ...d,
      attempts: d.attempts + 1,
      leaseUntil: leaseUntil.toISOString(),
      updatedAt: at,
    };
    this.items.set(id, claimed);
    return { ...claimed };
  }
  async finishAttempt(
    delivery: WebhookDelivery,
    outcome: Parameters<WebhookDeliveryStore['finishAttempt']>[1],
    next: Date | undefined,
    now: Date,
  ) {
    const d = this.items.get(delivery.deliveryId);
    if (!d || d.attempts !== delivery.attempts || d.leaseUntil !== delivery.leaseUntil) return;
    const { leaseUntil: _lease, ...rest } = d;
    this.legacy.delete(d.deliveryId);
    this.items.set(d.deliveryId, {
      ...rest,
      status: outcome.ok ? 'DELIVERED' : next ? 'PENDING' : 'DEAD',
      updatedAt: now.toISOString(),
      ...(outcome.status === undefined ? {} : { lastStatusCode: outcome.status }),
      ...(outcome.ok ? { deliveredAt: now.toISOString() } : { lastError: outcome.error }),
      ...(next ? { nextAttemptAt: next.toISOString() } : {}),
    });
  }
  /** Each endpoint's queue: its PENDING deliveries not in the first layout, soonest due first. */
  private queues() {
    const queues = new Map<string, WebhookDelivery[]>();
    for (const d of this.items.values()) {
      if (d.status !== 'PENDING' || this.legacy.has(d.deliveryId)) continue;
      queues.set(d.endpointId, [...(queues.get(d.endpointId) ?? []), d]);
    }
    for (const queue of queues.values()) {
      queue.sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? ''));
    }
    return queues;
  }
  async nextQueue(after: string | undefined): Promise<EndpointQueue | undefined> {
    const [endpointId, queue] =
      [...this.queues().entries()]
        .filter(([id]) => after === undefined || id > after)
        .sort(([a], [b]) => a.localeCompare(b))[0] ?? [];
    if (!endpointId || !queue?.[0]) return undefined;
    return { endpointId, dueAt: queue[0].nextAttemptAt ?? '', cursor: endpointId };
  }
  async listQueue(endpointId: string, until: Date | undefined, limit: number) {
    return (this.queues().get(endpointId) ?? [])
      .filter((d) => !until || (d.nextAttemptAt ?? '') <= until.toISOString())
      .slice(0, limit)
      .map((d) => ({ ...d }));
  }
  async moveLegacyDue(limit: number, now: Date) {
    const movable = [...this.legacy]
      .map((id) => this.items.get(id))
      .filter((d): d is WebhookDelivery => d?.status === 'PENDING')
      .sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? ''))
      .slice(0, limit)
      .filter((d) => !d.leaseUntil || d.leaseUntil < now.toISOString());
    for (const d of movable) this.legacy.delete(d.deliveryId);
    return movable.length;
  }
  async readSweepCursor() {
    return this.sweepCursor;
  }
  async saveSweepCursor(cursor: string | undefined) {
    this.sweepCursor = cursor;
  }
  async earliestPending(delivery: WebhookDelivery) {
    const earlier = [...this.items.values()]
      .filter(
        (d) =>
          d.status === 'PENDING' &&
          d.endpointId === delivery.endpointId &&
          d.subject === delivery.subject &&
          d.occurredAt < delivery.occurredAt,
      )
      .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))[0];
    return earlier && { ...earlier };
  }
  /** The condition of `defer` and `abandon`: PENDING, and no attempt holds it. */
  private free(delivery: WebhookDelivery, now: Date) {
    const d = this.items.get(delivery.deliveryId);
    if (d?.status !== 'PENDING') return undefined;
    if (d.leaseUntil && d.leaseUntil >= now.toISOString()) return undefined;
    return d;
  }
  async defer(delivery: WebhookDelivery, until: Date, now: Date) {
    const d = this.free(delivery, now);
    if (!d || d.attempts !== delivery.attempts) return false;
    this.legacy.delete(d.deliveryId);
    this.items.set(d.deliveryId, { ...d, nextAttemptAt: until.toISOString() });
    return true;
  }
  async abandon(delivery: WebhookDelivery, reason: string, now: Date) {
    const d = this.free(delivery, now);
    if (!d) return false;
    const { leaseUntil: _lease, ...rest } = d;
    this.legacy.delete(d.deliveryId);
    this.items.set(d.deliveryId, {
      ...rest,
      status: 'DEAD',
      lastError: reason,
      updatedAt: now.toISOString(),
    });
    return true;
  }
  async listDeliveries(
    platformId: string,
    filter: { endpointId?: string; status?: WebhookDelivery['status']; limit: number },
  ) {
    return [...this.items.values()]
      .filter(
        (d) =>
          d.platformId === platformId &&
          (!filter.endpointId || d.endpointId === filter.endpointId) &&
          (!filter.status || d.status === filter.status),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, filter.limit);
  }
  async requeue(id: string, now: Date) {
    const d = this.items.get(id);
    if (d?.status !== 'DEAD') return undefined;
    const requeued: WebhookDelivery = {
      ...d,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    this.legacy.delete(id);
    this.items.set(id, requeued);
    return { ...requeued };
  }
}

/** The dispatcher's production bounds (`createWebhookDelivery`), with a fixed jitter. */
export const dispatcherBounds = {
  perEndpointLimit: 25,
  sweepLimit: 500,
  sweepQueues: 200,
  legacyStep: 100,
  retryScale: 1,
  jitter: () => 0.5,
};

/** Webhook deps for API tests that do not exercise webhooks. */
export const fakeWebhookDeps = () => ({
  endpoints: new FakeWebhookEndpoints(),
  deliveries: new FakeWebhookDeliveries(),
  policy: { allowedHosts: [] as string[] },
});
