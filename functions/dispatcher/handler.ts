import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { DynamoDBClient } from '../../shared/adapters/aws-clients.js';
import { ledgerChanges } from '../../shared/adapters/dynamodb/stream-changes.js';
import {
  type DispatcherCheckpoint,
  deliverWebhooks,
  type WebhookTally,
} from '../../shared/app/deliver-webhooks.js';
import { recordWebhookEvents, webhookEventsOf } from '../../shared/app/record-webhook-events.js';
import { sweepWebhooks } from '../../shared/app/sweep-webhooks.js';
import { dynamoDbFromEnv } from '../../shared/config/aws.js';
import { createWebhookDelivery } from '../../shared/config/webhook-config.js';
import {
  createObservability,
  type Observability,
  observeInvocation,
  traced,
} from '../observability.js';

export interface DispatcherRuntime extends Observability {
  /** With a crash test's `checkpoint` (the local dispatcher worker's only). */
  delivery: ReturnType<typeof createWebhookDelivery> & { checkpoint?: DispatcherCheckpoint };
}

const isStreamEvent = (event: unknown): event is DynamoDBStreamEvent =>
  typeof event === 'object' &&
  event !== null &&
  Array.isArray((event as DynamoDBStreamEvent).Records);

/**
 * Two triggers, one function. A batch of the tips and batches tables' stream records: the events
 * they cause are recorded as deliveries (a throw here makes Lambda retry the batch: nothing is
 * checkpointed before it is recorded), then tried once at once (but not at an endpoint that is
 * failing: the stream waits for this call, so those wait for the sweep); an error while trying
 * them does not fail the batch, since they are recorded. Anything else (the schedule): a sweep
 * tries due deliveries (retries, leases of dead dispatchers), a bounded number from each
 * endpoint's queue in turn (`sweepWebhooks`).
 */
export const makeDispatcherHandler =
  (runtime: DispatcherRuntime) => async (event: unknown, context: Context) =>
    observeInvocation(runtime, context, async () => {
      const { delivery, metrics, logger } = runtime;
      // Attempts that could not finish before Lambda stops this invocation are not begun.
      const deadline = new Date(delivery.clock().getTime() + context.getRemainingTimeInMillis());
      if (!isStreamEvent(event)) {
        const tally = await sweepWebhooks(delivery, { deadline });
        recordTally(runtime, tally);
        return tally;
      }
      const events = webhookEventsOf(ledgerChanges(event.Records));
      const due = await recordWebhookEvents(events, { ...delivery, now: delivery.clock() });
      metrics.addMetric('WebhookEvents', MetricUnit.Count, events.length);
      let tally: WebhookTally;
      try {
        tally = await deliverWebhooks(due, delivery, { fromStream: true, deadline });
      } catch (error) {
        // Recorded is safe: the sweep tries these again. Failing the stream batch here would only
        // hold the shard back and spend its retries, after which Lambda drops the records.
        logger.error('webhook deliveries left to the sweep', { error, deliveries: due.length });
        metrics.addMetric('WebhookDeliveryErrors', MetricUnit.Count, 1);
        tally = { delivered: 0, failed: 0, dead: 0, skipped: due.length };
      }
      recordTally(runtime, tally);
      return tally;
    });

const recordTally = ({ metrics, logger }: Observability, tally: WebhookTally) => {
  metrics.addMetric('WebhooksDelivered', MetricUnit.Count, tally.delivered);
  metrics.addMetric('WebhookAttemptsFailed', MetricUnit.Count, tally.failed);
  metrics.addMetric('WebhooksDeadLettered', MetricUnit.Count, tally.dead);
  if (tally.delivered + tally.failed + tally.dead + tally.skipped > 0) {
    logger.info('webhook deliveries', { ...tally });
  }
};

export const createDispatcherRuntime = (
  env: Record<string, string | undefined> = process.env,
  observability: Observability = createObservability('dispatcher', env),
  dynamodb: DynamoDBClient = dynamoDbFromEnv(env),
): DispatcherRuntime => ({
  ...observability,
  delivery: createWebhookDelivery(traced(observability, dynamodb), env),
});

/** Lambda entry point: the tips and batches streams, and the retry schedule. */
export const handler = makeDispatcherHandler(createDispatcherRuntime());
