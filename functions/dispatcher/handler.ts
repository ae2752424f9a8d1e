import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { DynamoDBClient } from '../../shared/adapters/aws-clients.js';
import { ledgerChanges } from '../../shared/adapters/dynamodb/stream-changes.js';
import { type DispatcherCheckpoint, deliverWebhooks } from '../../shared/app/deliver-webhooks.js';
import { recordWebhookEvents, webhookEventsOf } from '../../shared/app/record-webhook-events.js';
import { dynamoDbFromEnv } from '../../shared/config/aws.js';
import { createWebhookDelivery } from '../../shared/config/webhook-config.js';
import type { WebhookDelivery } from '../../shared/ports/webhooks.js';
import { createObservability, type Observability, observeInvocation } from '../observability.js';

export interface DispatcherRuntime extends Observability {
  /** With a crash test's `checkpoint` (the local dispatcher worker's only). */
  delivery: ReturnType<typeof createWebhookDelivery> & { checkpoint?: DispatcherCheckpoint };
}

/** Due deliveries one sweep takes (retries, and deliveries a dead dispatcher left leased). */
const SWEEP_LIMIT = 500;

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
 * tries every delivery that is due (retries, leases of dead dispatchers).
 */
export const makeDispatcherHandler =
  (runtime: DispatcherRuntime) => async (event: unknown, context: Context) =>
    observeInvocation(runtime, context, async () => {
      const { delivery, metrics, logger } = runtime;
      let due: WebhookDelivery[];
      const fromStream = isStreamEvent(event);
      if (fromStream) {
        const events = webhookEventsOf(ledgerChanges(event.Records));
        due = await recordWebhookEvents(events, { ...delivery, now: delivery.clock() });
        metrics.addMetric('WebhookEvents', MetricUnit.Count, events.length);
      } else {
        due = await delivery.deliveries.listDue(delivery.clock(), SWEEP_LIMIT);
      }
      let tally: Awaited<ReturnType<typeof deliverWebhooks>>;
      try {
        tally = await deliverWebhooks(due, delivery, { fromStream });
      } catch (error) {
        // Recorded is safe: the sweep tries these again. Failing the stream batch here would only
        // hold the shard back and spend its retries, after which Lambda drops the records.
        if (!fromStream) throw error;
        logger.error('webhook deliveries left to the sweep', { error, deliveries: due.length });
        metrics.addMetric('WebhookDeliveryErrors', MetricUnit.Count, 1);
        tally = { delivered: 0, failed: 0, dead: 0, skipped: due.length };
      }
      metrics.addMetric('WebhooksDelivered', MetricUnit.Count, tally.delivered);
      metrics.addMetric('WebhookAttemptsFailed', MetricUnit.Count, tally.failed);
      metrics.addMetric('WebhooksDeadLettered', MetricUnit.Count, tally.dead);
      if (due.length > 0) logger.info('webhook deliveries', { ...tally });
      return tally;
    });

export const createDispatcherRuntime = (
  env: Record<string, string | undefined> = process.env,
  observability: Observability = createObservability('dispatcher', env),
  dynamodb: DynamoDBClient = dynamoDbFromEnv(env),
): DispatcherRuntime => ({
  ...observability,
  delivery: createWebhookDelivery(observability.tracer.captureAWSv3Client(dynamodb), env),
});

/** Lambda entry point: the tips and batches streams, and the retry schedule. */
export const handler = makeDispatcherHandler(createDispatcherRuntime());
