import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '../../shared/adapters/aws-clients.js';
import { createDynamoStuckFlags } from '../../shared/adapters/dynamodb/stuck-flags.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { connectLndInspector, connectLndNode } from '../../shared/adapters/lnd/lnd-node.js';
import type { PayerDeps, PayOutcome } from '../../shared/app/pay-tip.js';
import type { StuckCheckOptions } from '../../shared/app/reconcile-tips.js';
import { dynamoDbFromEnv } from '../../shared/config/aws.js';
import { createAddressResolverFromEnv } from '../../shared/config/lightning-address.js';
import { readFlagInFlightAfterMs, readPayerConfig } from '../../shared/config/payer-config.js';
import { readLndCredentials, readPayerKeys } from '../../shared/config/secrets.js';
import { createObservability, type Observability, traced } from '../observability.js';

/** Everything a payer or reconciler container builds once and reuses across invocations. */
export interface PayerRuntime extends Observability {
  deps: Omit<PayerDeps, 'remainingMs'>;
  /** The raw client, for request accounting in benchmarks. */
  dynamodb: DynamoDBClient;
  /** gRPC calls made to the operator's node so far, by method (accounting in benchmarks). */
  lndCalls: Map<string, number>;
}

/** Builds the payer's clients from `TIPSTREAM_*` variables (locally) or the deployed environment. */
export const createPayerRuntime = (
  env: Record<string, string | undefined> = process.env,
  observability: Observability = createObservability('payer', env),
): PayerRuntime => {
  const { policy, tables } = readPayerConfig(env);
  const lndCalls = new Map<string, number>();
  const lightning = connectLndNode(readLndCredentials(env), {
    rpcTimeoutMs: 10_000,
    onCall: (method) => lndCalls.set(method, (lndCalls.get(method) ?? 0) + 1),
  });
  // DynamoDB calls become subsegments of the invocation's trace (a no-op when tracing is off).
  const dynamodb = traced(observability, dynamoDbFromEnv(env));
  const { logger } = observability;
  return {
    deps: {
      ledger: createDynamoTipLedger(dynamodb, tables),
      lightning,
      addresses: createAddressResolverFromEnv(env),
      keyAgreement: lightning.keyAgreement,
      keys: readPayerKeys(env),
      policy,
      now: () => new Date(),
      log: (message, fields) => logger.info(message, fields),
    },
    dynamodb,
    lndCalls,
    ...observability,
  };
};

/**
 * Tips the operator node's own state holds (`payment-failure.ts`): counted by the payer for each
 * hold, and by the reconciler for each held tip it holds again, so the metric shows how long a
 * node's trouble lasts, not only how it began.
 */
export const TIPS_HELD_METRIC = 'TipsHeld';

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
    case 'held':
      metrics.addMetric(TIPS_HELD_METRIC, MetricUnit.Count, 1);
      logger.warn('tip held: the operator node is not forwarding, left to the reconciler', {
        tipId: outcome.tip.tipId,
        reason: outcome.reason,
      });
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

/** What the reconciler needs besides the payer's deps to check tips LND keeps in flight. */
export const createStuckCheck = (
  env: Record<string, string | undefined>,
  runtime: PayerRuntime,
): StuckCheckOptions => ({
  deps: {
    inspector: connectLndInspector(readLndCredentials(env), { rpcTimeoutMs: 10_000 }),
    flags: createDynamoStuckFlags(runtime.dynamodb, readPayerConfig(env).tables),
  },
  flagAfterMs: readFlagInFlightAfterMs(env),
});
