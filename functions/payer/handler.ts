import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import { tipMessageOf } from '../../shared/adapters/sqs/tip-message.js';
import { type PayerStep, payTipMessage } from '../../shared/app/pay-tip.js';
import { buildOnSecretChange } from '../../shared/config/secrets-loader.js';
import { createObservability, observeInvocation } from '../observability.js';
import { createPayerRuntime, type PayerRuntime, reportOutcome } from './runtime.js';

/**
 * The payer: pays each tip message of an SQS batch by keysend, exactly once. Records that must be
 * retried (LND or DynamoDB unreachable) are reported in `batchItemFailures`; rejected and failed
 * tips are acknowledged, since retrying cannot change their outcome.
 */
export const makePayerHandler = (
  runtime: PayerRuntime,
  options: { checkpoint?: (step: PayerStep, tipId: string) => void } = {},
) => {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Per invocation, as in Lambda (one invocation per container at a time); the local poller
    // runs several invocations of one handler at once, each with its own limit.
    const limit = pLimit(runtime.deps.policy.concurrency);
    const processor = new BatchProcessor(EventType.SQS);
    const handleRecord = (record: SQSRecord) =>
      limit(async () => {
        const outcome = await payTipMessage(tipMessageOf(record), {
          ...runtime.deps,
          remainingMs: () => context.getRemainingTimeInMillis(),
          checkpoint: options.checkpoint,
        }).catch((error: unknown) => {
          runtime.metrics.addMetric('TipsRetried', MetricUnit.Count, 1);
          runtime.logger.warn('tip will be retried', {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: error instanceof Error ? error.message : String(error),
          });
          throw error;
        });
        reportOutcome(runtime, outcome);
      });
    return observeInvocation(runtime, context, () =>
      processPartialResponse(event, handleRecord, processor, {
        context,
        throwOnFullBatchFailure: false,
      }),
    );
  };
};

// Logs, metrics and traces outlive a runtime rebuilt after a rotation: one cold start per container.
const observability = createObservability('payer');
const currentHandler = buildOnSecretChange((env) =>
  makePayerHandler(createPayerRuntime(env, observability)),
);

/** Lambda entry point: clients built once per container, and again after a secret rotation. */
export const handler = async (event: SQSEvent, context: Context) =>
  (await currentHandler())(event, context);
