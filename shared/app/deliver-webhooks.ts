import { drain } from '../domain/drain.js';
import { dueAfterBlocker, type Jitter, nextAttemptAt } from '../domain/webhook-delivery.js';
import type {
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookEndpoint,
  WebhookEndpointStore,
  WebhookSender,
} from '../ports/webhooks.js';

/**
 * Steps of a delivery where a crash test may kill the dispatcher: the deliveries of a stream
 * batch recorded (none tried yet), an attempt claimed (leased, not sent), an attempt answered
 * (the receiver has it, its result not recorded).
 */
export type DispatcherStep = 'after-record' | 'after-claim' | 'after-send';

/** Test hook at each step; a no-op in production. */
export type DispatcherCheckpoint = (step: DispatcherStep, delivery: WebhookDelivery) => void;

export interface DeliverWebhooksDeps {
  deliveries: Pick<
    WebhookDeliveryStore,
    'claim' | 'finishAttempt' | 'earliestPending' | 'defer' | 'abandon'
  >;
  endpoints: Pick<WebhookEndpointStore, 'getEndpoint' | 'setEndpointFailing'>;
  sender: WebhookSender;
  clock: () => Date;
  /** How long an attempt may hold a delivery: longer than the sender's timeout. */
  leaseMs: number;
  /** Endpoints served at once; each endpoint gets its own lane, one attempt at a time. */
  endpointConcurrency: number;
  /** At most this many attempts per endpoint per call: a backlog at one endpoint waits its turn. */
  perEndpointLimit: number;
  /** Shrinks the retry schedule (tests); 1 in production. */
  retryScale: number;
  jitter?: Jitter;
  checkpoint?: DispatcherCheckpoint;
}

/**
 * Tries each given delivery once (those still due and not taken by another dispatcher). Each
 * endpoint has its own lane: a slow or dead endpoint holds up only its own deliveries, never
 * another endpoint's. Within a lane a subject's (a tip's) events go in the order they happened: a
 * delivery waits while an earlier event of its subject is still pending at that endpoint, and is
 * deferred until just after that one's next attempt (it leaves the head of the due queue, where
 * it would take the place of deliveries that can go, and comes back in order behind its blocker).
 * A deleted or disabled endpoint's deliveries become dead letters without an attempt.
 *
 * A failed attempt marks the endpoint failing until an attempt to it succeeds. `fromStream` (the
 * stream path's at-once attempts: the stream's next records wait for this call) stops a lane at
 * its first failed attempt and leaves a failing endpoint's deliveries to the sweep altogether, so
 * an endpoint that hangs costs the stream one attempt's timeout, once, not one per event. The
 * sweep tries every due delivery of the lane (up to `perEndpointLimit`), each on its own schedule.
 *
 * An attempt is claimed (a lease and attempts + 1) before the POST and its result recorded after:
 * a dispatcher killed in between leaves a lease that runs out, and the next sweep tries again
 * with the same webhook-id (at least once; the receiver deduplicates by id).
 */
/** What became of the deliveries one call was given. */
export interface WebhookTally {
  delivered: number;
  failed: number;
  dead: number;
  /** Not tried: taken by another dispatcher, left to the sweep, or waiting for an earlier event. */
  skipped: number;
}

export const deliverWebhooks = async (
  deliveries: WebhookDelivery[],
  deps: DeliverWebhooksDeps,
  {
    fromStream = false,
    endpoints: known,
    deadline,
  }: {
    fromStream?: boolean;
    /**
     * When the function running this call is stopped (its time limit): no attempt is begun that
     * might not finish by then (`leaseMs` before it). One cut off would count as an attempt, never
     * sent, and shorten its delivery's schedule; those not begun wait for the next sweep.
     */
    deadline?: Date;
    /** Endpoints the caller has just read (the sweep), so they are not read again. */
    endpoints?: Map<string, WebhookEndpoint | undefined>;
  } = {},
): Promise<WebhookTally> => {
  const tally = { delivered: 0, failed: 0, dead: 0, skipped: 0 };
  const lanes = new Map<string, WebhookDelivery[]>();
  for (const delivery of deliveries) {
    const lane = lanes.get(delivery.endpointId) ?? [];
    lane.push(delivery);
    lanes.set(delivery.endpointId, lane);
  }
  const queue = [...lanes.entries()];
  const serveLane = async ([endpointId, lane]: [string, WebhookDelivery[]]) => {
    const endpoint = known?.has(endpointId)
      ? known.get(endpointId)
      : await deps.endpoints.getEndpoint(endpointId);
    if (fromStream && endpoint?.enabled && endpoint.failingSince) {
      tally.skipped += lane.length;
      return;
    }
    const ordered = lane
      .sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0))
      // Dead letters of a closed endpoint cost no attempt: the sweep hands over more of them.
      .slice(0, endpoint?.enabled ? deps.perEndpointLimit : undefined);
    tally.skipped += lane.length - ordered.length;
    let failing = endpoint?.failingSince !== undefined;
    for (const [index, delivery] of ordered.entries()) {
      if (deadline && deps.clock().getTime() + deps.leaseMs > deadline.getTime()) {
        tally.skipped += ordered.length - index;
        return;
      }
      const result = await attempt(delivery, endpoint, deps);
      tally[result] += 1;
      // A disabled or deleted endpoint dead-letters without sending: nothing to learn from it.
      if (closedTo(delivery, endpoint)) continue;
      if (result === 'delivered' && failing) {
        failing = false;
        await deps.endpoints.setEndpointFailing(endpointId, undefined);
      } else if (result === 'failed' || result === 'dead') {
        if (!failing) await deps.endpoints.setEndpointFailing(endpointId, deps.clock());
        failing = true;
        if (fromStream) {
          tally.skipped += ordered.length - index - 1;
          return;
        }
      }
    }
  };
  // `endpointConcurrency` workers, each taking the next lane when done with one.
  await drain(queue, deps.endpointConcurrency, serveLane);
  return tally;
};

/**
 * Why `delivery` has nowhere to go, if so: its endpoint is disabled, or deleted. Deleted also when
 * the endpoint found is a later registration under the same id (an endpoint's id derives from its
 * Idempotency-Key, which registers anew once its endpoint is deleted): an event from before that
 * registration was recorded for the deleted one (`recordWebhookEvents` records an event only for
 * endpoints registered by then), and goes neither to the new URL nor ahead of its events.
 */
const closedTo = (delivery: WebhookDelivery, endpoint: WebhookEndpoint | undefined) =>
  !endpoint || endpoint.createdAt > delivery.occurredAt
    ? 'endpoint deleted'
    : endpoint.enabled
      ? undefined
      : 'endpoint disabled';

const attempt = async (
  waiting: WebhookDelivery,
  endpoint: WebhookEndpoint | undefined,
  deps: DeliverWebhooksDeps,
): Promise<'delivered' | 'failed' | 'dead' | 'skipped'> => {
  const closed = closedTo(waiting, endpoint);
  if (closed || !endpoint) {
    // Nowhere to send it: a dead letter at once, due or not (resent once the endpoint is enabled
    // again). No order to keep: nothing of this endpoint is sent.
    return (await deps.deliveries.abandon(waiting, closed ?? 'endpoint deleted', deps.clock()))
      ? 'dead'
      : 'skipped';
  }
  let blocker = await deps.deliveries.earliestPending(waiting);
  // One of a deleted registration under this endpoint's id is no event of this one to wait for:
  // it ends as a dead letter now (it would when due), and the next earlier one is looked at.
  while (
    blocker?.status === 'PENDING' &&
    closedTo(blocker, endpoint) &&
    (await deps.deliveries.abandon(blocker, 'endpoint deleted', deps.clock()))
  ) {
    blocker = await deps.deliveries.earliestPending(waiting);
  }
  if (blocker) {
    const now = deps.clock();
    // One no longer PENDING is still in the order index (read eventually, it catches up): its
    // `nextAttemptAt` (an abandoned one's may be hours ahead) is no attempt to wait for.
    const until = dueAfterBlocker(blocker.status === 'PENDING' ? blocker : {}, now);
    await deps.deliveries.defer(waiting, until, now);
    return 'skipped';
  }
  const now = deps.clock();
  const delivery = await deps.deliveries.claim(
    waiting.deliveryId,
    now,
    new Date(now.getTime() + deps.leaseMs),
  );
  if (!delivery) return 'skipped';
  deps.checkpoint?.('after-claim', delivery);
  const outcome = await deps.sender.send({
    url: endpoint.url,
    secret: endpoint.secret,
    webhookId: delivery.eventId,
    timestamp: now,
    body: delivery.body,
  });
  deps.checkpoint?.('after-send', delivery);
  const finished = deps.clock();
  const next = outcome.ok
    ? undefined
    : nextAttemptAt(delivery.attempts, finished, { scale: deps.retryScale, jitter: deps.jitter });
  await deps.deliveries.finishAttempt(delivery, outcome, next, finished);
  if (outcome.ok) return 'delivered';
  return next ? 'failed' : 'dead';
};
