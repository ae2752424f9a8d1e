import type {
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

/** In-memory delivery store with the DynamoDB adapter's conditions (claim, lease, requeue). */
export class FakeWebhookDeliveries implements WebhookDeliveryStore {
  readonly items = new Map<string, WebhookDelivery>();
  async recordDeliveries(deliveries: WebhookDelivery[]) {
    const created = deliveries.filter((d) => !this.items.has(d.deliveryId));
    for (const d of created) this.items.set(d.deliveryId, { ...d });
    return created;
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
    this.items.set(d.deliveryId, {
      ...rest,
      status: outcome.ok ? 'DELIVERED' : next ? 'PENDING' : 'DEAD',
      updatedAt: now.toISOString(),
      ...(outcome.status === undefined ? {} : { lastStatusCode: outcome.status }),
      ...(outcome.ok ? { deliveredAt: now.toISOString() } : { lastError: outcome.error }),
      ...(next ? { nextAttemptAt: next.toISOString() } : {}),
    });
  }
  async listDue(now: Date, limit: number) {
    return [...this.items.values()]
      .filter((d) => d.status === 'PENDING' && (d.nextAttemptAt ?? '') <= now.toISOString())
      .slice(0, limit);
  }
  async hasEarlierPending(delivery: WebhookDelivery) {
    return [...this.items.values()].some(
      (d) =>
        d.status === 'PENDING' &&
        d.endpointId === delivery.endpointId &&
        d.subject === delivery.subject &&
        d.occurredAt < delivery.occurredAt,
    );
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
    this.items.set(id, requeued);
    return { ...requeued };
  }
}

/** Webhook deps for API tests that do not exercise webhooks. */
export const fakeWebhookDeps = () => ({
  endpoints: new FakeWebhookEndpoints(),
  deliveries: new FakeWebhookDeliveries(),
  policy: { allowedHosts: [] as string[] },
});
