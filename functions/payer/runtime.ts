import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { DynamoDBClient } from '../../shared/adapters/aws-clients.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { connectLndNode } from '../../shared/adapters/lnd/lnd-node.js';
import type { PayerDeps, PayOutcome } from '../../shared/app/pay-tip.js';
import { dynamoDbFromEnv } from '../../shared/config/aws.js';
import { readPayerConfig } from '../../shared/config/payer-config.js';
import { readLndCredentials, readPayerKeys } from '../../shared/config/secrets.js';

/**
 * Logs, metrics and traces of one function: built once per container and kept when the runtime
 * is rebuilt after a secret rotation, so a container's cold start is logged, counted and traced
 * once (each Powertools instance flags only its first invocation as cold).
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

export const createObservability = (
  service: string,
  env: Record<string, string | undefined> = process.env,
): Observability => ({
  logger: new Logger({
    serviceName: `tipstream-${service}`,
    logLevel: (env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  }),
  metrics: new Metrics({ namespace: 'Tipstream', serviceName: `tipstream-${service}` }),
  // Off outside Lambda by itself; POWERTOOLS_TRACE_ENABLED=false turns it off anywhere.
  tracer: new Tracer({ serviceName: `tipstream-${service}` }),
});

/** Everything a payer or reconciler container builds once and reuses across invocations. */
export interface PayerRuntime extends Observability {
  deps: Omit<PayerDeps, 'remainingMs'>;
  /** The raw client, for request accounting in benchmarks. */
  dynamodb: DynamoDBClient;
}

/** Builds the payer's clients from `TIPSTREAM_*` variables (locally) or the deployed environment. */
export const createPayerRuntime = (
  env: Record<string, string | undefined> = process.env,
  observability: Observability = createObservability('payer', env),
): PayerRuntime => {
  const { policy, tables } = readPayerConfig(env);
  const lightning = connectLndNode(readLndCredentials(env), { rpcTimeoutMs: 10_000 });
  // DynamoDB calls become subsegments of the invocation's trace (a no-op when tracing is off).
  const dynamodb = observability.tracer.captureAWSv3Client(dynamoDbFromEnv(env));
  const { logger } = observability;
  return {
    deps: {
      ledger: createDynamoTipLedger(dynamodb, tables),
      lightning,
      keys: readPayerKeys(env),
      policy,
      now: () => new Date(),
      log: (message, fields) => logger.info(message, fields),
    },
    dynamodb,
    ...observability,
  };
};

/**
 * Runs one invocation the Powertools way: the Lambda context on every log line, a `ColdStart`
 * metric on a container's first invocation, and a `## <function>` subsegment annotated with the
 * cold start and service; stored metrics are published at the end, whatever happens.
 */
export const observeInvocation = async <R>(
  { logger, metrics, tracer }: Observability,
  context: Context,
  invoke: () => Promise<R>,
): Promise<R> => {
  logger.addContext(context);
  metrics.captureColdStartMetric(context.functionName);
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${context.functionName}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await invoke();
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    metrics.publishStoredMetrics();
  }
};

/** Logs and counts one message's outcome (tips paid/failed/retried, fee, latency). */
export const reportOutcome = (runtime: PayerRuntime, outcome: PayOutcome) => {
  const { logger, metrics } = runtime;
  switch (outcome.kind) {
    case 'paid':
      metrics.addMetric('TipsPaid', MetricUnit.Count, 1);
      metrics.addMetric('FeeMsat', MetricUnit.Count, Number(outcome.feeMsat));
      metrics.addMetric('PayLatency', MetricUnit.Milliseconds, outcome.latencyMs);
      logger.info('tip paid', {
        tipId: outcome.tip.tipId,
        amountMsat: outcome.tip.amountMsat.toString(),
        feeMsat: outcome.feeMsat.toString(),
        attempt: outcome.tip.attempt,
        latencyMs: outcome.latencyMs,
      });
      break;
    case 'failed':
      metrics.addMetric('TipsFailed', MetricUnit.Count, 1);
      logger.warn('tip failed', {
        tipId: outcome.tip.tipId,
        code: outcome.code,
        reason: outcome.reason,
      });
      break;
    case 'in-flight':
      metrics.addMetric('TipsInFlight', MetricUnit.Count, 1);
      logger.info('tip still in flight, left to the reconciler', { tipId: outcome.tip.tipId });
      break;
    case 'rejected':
    case 'conflict':
      metrics.addMetric('TipsRejected', MetricUnit.Count, 1);
      logger.warn(`tip ${outcome.kind}`, { reason: outcome.reason });
      break;
    default:
      metrics.addMetric('TipsDuplicate', MetricUnit.Count, 1);
      logger.info(`tip ${outcome.kind}`, { tipId: outcome.tip.tipId });
  }
};
