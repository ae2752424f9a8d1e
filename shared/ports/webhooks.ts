import type { AttemptOutcome } from '../domain/webhook-delivery.js';
import type { WebhookEvent } from '../domain/webhook-events.js';
import type { BatchSummary } from './activity.js';
import type { TipRecord } from './tip-ledger.js';

/** One change of the ledger, read from a table's stream: the item before and after. */
export type LedgerChange =
  | { table: 'tips'; before?: TipRecord; after?: TipRecord; at: string }
  | { table: 'batches'; before?: BatchSummary; after?: BatchSummary; at: string };

/** A platform's webhook endpoint. */
export interface WebhookEndpoint {
  /** `we_…` */
  endpointId: string;
  platformId: string;
  url: string;
  /** Standard Webhooks signing secret, `whsec_<base64>`; shown to the platform on register and rotate. */
  secret: string;
  enabled: boolean;
  /**
   * When an attempt to it last failed, while no later one succeeded: the stream's at-once
   * attempts leave such an endpoint to the retry sweep, so it cannot hold up the stream.
   */
  failingSince?: string;
  createdAt: string;
  updatedAt: string;
}

/** PENDING: will be tried (again) at `nextAttemptAt`; DEAD: every attempt failed (dead letter). */
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD';

/** One event on its way to one endpoint, with every attempt's result. */
export interface WebhookDelivery {
  /** `<eventId>@<endpointId>`: one per event and endpoint, however often the stream replays. */
  deliveryId: string;
  eventId: string;
  eventType: WebhookEvent['type'];
  endpointId: string;
  platformId: string;
  /** The tip or batch: a subject's deliveries to an endpoint go out in `occurredAt` order. */
  subject: string;
  occurredAt: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  /** While an attempt runs: no one else tries it before this instant (a dispatcher may die). */
  leaseUntil?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
}

/** A position in the order of endpoint queues; only the store that made it reads it. */
export type QueueCursor = string;

/** One endpoint's retry queue, as a walk of all of them meets it. */
export interface EndpointQueue {
  endpointId: string;
  /** When its soonest PENDING delivery is due. */
  dueAt: string;
  /** Give to `nextQueue` for the queue after this one. */
  cursor: QueueCursor;
}

export interface WebhookEndpointStore {
  /** Creates the endpoint unless its id exists: `exists` then, and nothing is written. */
  putEndpoint(endpoint: WebhookEndpoint): Promise<'created' | 'exists'>;
  getEndpoint(endpointId: string): Promise<WebhookEndpoint | undefined>;
  /** A platform's endpoints, oldest first. */
  listEndpoints(platformId: string): Promise<WebhookEndpoint[]>;
  updateEndpoint(
    endpointId: string,
    change: Partial<Pick<WebhookEndpoint, 'secret' | 'enabled' | 'url'>>,
    now: Date,
  ): Promise<WebhookEndpoint | undefined>;
  deleteEndpoint(endpointId: string): Promise<void>;
  /** Sets (an attempt failed at `since`) or clears (`undefined`: one succeeded) `failingSince`. */
  setEndpointFailing(endpointId: string, since: Date | undefined): Promise<void>;
}

export interface WebhookDeliveryStore {
  /** Records deliveries not recorded yet (conditional puts); returns those it created. */
  recordDeliveries(deliveries: WebhookDelivery[]): Promise<WebhookDelivery[]>;
  getDelivery(deliveryId: string): Promise<WebhookDelivery | undefined>;
  /**
   * Takes a PENDING delivery that is due and not leased for one attempt (attempts + 1, leased
   * until `leaseUntil`); `undefined` when someone else has it or it is not due.
   */
  claim(deliveryId: string, now: Date, leaseUntil: Date): Promise<WebhookDelivery | undefined>;
  /** Records an attempt's result: DELIVERED, PENDING again at `nextAttemptAt`, or DEAD. */
  finishAttempt(
    delivery: WebhookDelivery,
    outcome: AttemptOutcome,
    nextAttemptAt: Date | undefined,
    now: Date,
  ): Promise<void>;
  /**
   * The next endpoint, after `after` (from the first when `undefined`), with PENDING deliveries,
   * in the store's fixed order of endpoint queues; `undefined` past the last. Endpoints without
   * pending deliveries are not in the order at all.
   */
  nextQueue(after: QueueCursor | undefined): Promise<EndpointQueue | undefined>;
  /**
   * An endpoint's PENDING deliveries due by `until` (all of them when `undefined`; leased ones
   * too: their lease may have run out), soonest due first, at most `limit`.
   */
  listQueue(endpointId: string, until: Date | undefined, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Moves up to `limit` PENDING deliveries of the retry queue's first layout (one queue for all
   * endpoints, written by earlier versions) into their endpoints' queues; how many it moved.
   * Leased ones stay until their lease ends (an attempt of an earlier version may hold them).
   */
  moveLegacyDue(limit: number, now: Date): Promise<number>;
  /** Where the last sweep stopped in the order of endpoint queues (the next goes on after it). */
  readSweepCursor(): Promise<QueueCursor | undefined>;
  saveSweepCursor(cursor: QueueCursor | undefined): Promise<void>;
  /**
   * The earliest PENDING delivery to the same endpoint of an event of the same subject that
   * happened before this one's: it goes first.
   */
  earliestPending(delivery: WebhookDelivery): Promise<WebhookDelivery | undefined>;
  /**
   * Makes a PENDING delivery that no attempt holds due at `until` instead (it waits for an
   * earlier event of its subject); `false` when it changed meanwhile (someone else has it).
   */
  defer(delivery: WebhookDelivery, until: Date, now: Date): Promise<boolean>;
  /**
   * Ends a PENDING delivery that no attempt holds as DEAD with `reason`, without an attempt (its
   * endpoint is deleted or disabled); `false` when it changed meanwhile.
   */
  abandon(delivery: WebhookDelivery, reason: string, now: Date): Promise<boolean>;
  /** A platform's most recent deliveries, newest first. */
  listDeliveries(
    platformId: string,
    filter: { endpointId?: string; status?: DeliveryStatus; limit: number },
  ): Promise<WebhookDelivery[]>;
  /** DEAD → PENDING, due at once, attempts counted from zero again (a resend). */
  requeue(deliveryId: string, now: Date): Promise<WebhookDelivery | undefined>;
}

/** Sends one signed attempt. Never throws for what the endpoint did: that is the outcome. */
export interface WebhookSender {
  send(attempt: {
    url: string;
    secret: string;
    webhookId: string;
    timestamp: Date;
    body: string;
  }): Promise<AttemptOutcome>;
}
