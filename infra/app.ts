import { App, Duration, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readPayerConfig } from '../shared/config/payer-config.js';
import { recoveryWindowProblem } from '../shared/domain/payment-failure.js';
import { PAYER_EVENT_SOURCE_DEFAULTS } from './payer-defaults.js';
import { RECONCILER_TIMEOUT, ServiceStack } from './stacks/service-stack.js';
import { StatefulStack } from './stacks/stateful-stack.js';

/** Settings from CDK context (`cdk.json` or `-c key=value`), with documented defaults. */
export const readContext = (app: App) => {
  const number = (key: string, fallback: number) => {
    const raw = app.node.tryGetContext(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`context ${key} must be a positive number, got ${raw}`);
    return value;
  };
  return {
    maxReceiveCount: number('tipstream:maxReceiveCount', 5),
    payerTimeoutSeconds: number('tipstream:payerTimeoutSeconds', 60),
    payerBatchSize: number('tipstream:payerBatchSize', PAYER_EVENT_SOURCE_DEFAULTS.batchSize),
    payerMaxConcurrency: number(
      'tipstream:payerMaxConcurrency',
      PAYER_EVENT_SOURCE_DEFAULTS.maxConcurrency,
    ),
    payerConcurrencyPerBatch: number('tipstream:payerConcurrencyPerBatch', 4),
    reconcileEveryMinutes: number('tipstream:reconcileEveryMinutes', 2),
    apiRateLimit: number('tipstream:apiRateLimit', 50),
    apiBurstLimit: number('tipstream:apiBurstLimit', 100),
    maxTipSats: number('tipstream:maxTipSats', 1_000_000),
    feePpm: number('tipstream:feePpm', 5_000),
    minFeeSats: number('tipstream:minFeeSats', 10),
    globalHourlyLimitSats: number('tipstream:globalHourlyLimitSats', 100_000_000),
    nodeRecoverySeconds: number('tipstream:nodeRecoverySeconds', 600),
  };
};

/**
 * A tip the operator node's state holds is acknowledged and left to the reconciler (so a hold
 * never spends the message's receives towards the DLQ): the schedule, the held attempt's lease and
 * the payer's settings must let the reconciler judge it within the window. The lease is the
 * longer of the payer's timeout and the reconciler's: an attempt the reconciler starts is leased
 * for its own remaining time.
 */
const checkRecoveryWindow = (
  policy: Record<string, string>,
  context: ReturnType<typeof readContext>,
) => {
  const { nodeRecoveryMs, stuckAfterMs, leaseGraceMs } = readPayerConfig(policy).policy;
  const problem = recoveryWindowProblem(nodeRecoveryMs, {
    stuckAfterMs,
    leaseMs: Math.max(context.payerTimeoutSeconds, RECONCILER_TIMEOUT.toSeconds()) * 1000,
    leaseGraceMs,
    reconcileEveryMs: context.reconcileEveryMinutes * 60_000,
  });
  if (problem) {
    throw new Error(
      `${problem}: raise tipstream:nodeRecoverySeconds or lower tipstream:reconcileEveryMinutes / tipstream:payerTimeoutSeconds`,
    );
  }
};

/** Builds the Tipstream app: the stateful stack (tables, queues) and the service stack. */
export const buildApp = (app = new App()) => {
  const context = readContext(app);
  const payerTimeout = Duration.seconds(context.payerTimeoutSeconds);
  const policy = {
    TIPSTREAM_MAX_TIP_SATS: String(context.maxTipSats),
    TIPSTREAM_FEE_PPM: String(context.feePpm),
    TIPSTREAM_MIN_FEE_SATS: String(context.minFeeSats),
    TIPSTREAM_GLOBAL_HOURLY_LIMIT_SATS: String(context.globalHourlyLimitSats),
    TIPSTREAM_NODE_RECOVERY_SECONDS: String(context.nodeRecoverySeconds),
  };
  checkRecoveryWindow(policy, context);
  const stateful = new StatefulStack(app, 'TipstreamStateful', {
    maxReceiveCount: context.maxReceiveCount,
    payerTimeout,
  });
  const text = (key: string) => app.node.tryGetContext(key) as string | undefined;
  const alarmEmail = text('tipstream:alarmEmail');
  const service = new ServiceStack(app, 'TipstreamService', {
    stateful,
    alarmEmail,
    existingSecrets: {
      lndSecretArn: text('tipstream:lndSecretArn'),
      keysSecretArn: text('tipstream:keysSecretArn'),
    },
    settings: {
      payerTimeout,
      payerBatchSize: context.payerBatchSize,
      payerMaxConcurrency: context.payerMaxConcurrency,
      payerConcurrencyPerBatch: context.payerConcurrencyPerBatch,
      reconcileEvery: Duration.minutes(context.reconcileEveryMinutes),
      apiThrottle: { rateLimit: context.apiRateLimit, burstLimit: context.apiBurstLimit },
      logRetention: RetentionDays.ONE_MONTH,
      policy,
    },
  });
  // cdk-nag's AWS Solutions rules run on every synth and deploy: an unacknowledged finding stops it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, service };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  buildApp().app.synth();
}
