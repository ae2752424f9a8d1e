import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { reconcileStuckTips } from '../../shared/app/reconcile-tips.js';
import { withSecrets } from '../../shared/config/secrets-loader.js';
import { createPayerRuntime, type PayerRuntime } from '../payer/runtime.js';

/** Scheduled: settles tips stuck in SENDING by asking LND about their payment hashes. */
export const makeReconcilerHandler =
  (runtime: PayerRuntime) => async (_event: unknown, context: Context) => {
    try {
      const summary = await reconcileStuckTips(
        { ...runtime.deps, remainingMs: () => context.getRemainingTimeInMillis() },
        { stuckAfterMs: runtime.deps.policy.stuckAfterMs, limit: 100 },
      );
      runtime.metrics.addMetric('TipsReconciled', MetricUnit.Count, summary.examined);
      if (summary.examined > 0) runtime.logger.info('reconciled stuck tips', { ...summary });
      return summary;
    } finally {
      runtime.metrics.publishStoredMetrics();
    }
  };

let handlerInstance: Promise<ReturnType<typeof makeReconcilerHandler>> | undefined;

/** Lambda entry point (EventBridge schedule). */
export const handler = async (event: unknown, context: Context) => {
  handlerInstance ??= withSecrets(process.env).then((env) =>
    makeReconcilerHandler(createPayerRuntime(env, 'reconciler')),
  );
  return (await handlerInstance)(event, context);
};
