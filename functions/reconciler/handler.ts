import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { reconcileStuckTips } from '../../shared/app/reconcile-tips.js';
import { buildOnSecretChange } from '../../shared/config/secrets-loader.js';
import { createObservability, observeInvocation } from '../observability.js';
import { createPayerRuntime, type PayerRuntime } from '../payer/runtime.js';

/** Scheduled: settles tips stuck in SENDING by asking LND about their payment hashes. */
export const makeReconcilerHandler =
  (runtime: PayerRuntime) => async (_event: unknown, context: Context) =>
    observeInvocation(runtime, context, async () => {
      const summary = await reconcileStuckTips(
        { ...runtime.deps, remainingMs: () => context.getRemainingTimeInMillis() },
        { stuckAfterMs: runtime.deps.policy.stuckAfterMs, limit: 100 },
      );
      runtime.metrics.addMetric('TipsReconciled', MetricUnit.Count, summary.examined);
      if (summary.examined > 0) runtime.logger.info('reconciled stuck tips', { ...summary });
      return summary;
    });

// Logs, metrics and traces outlive a runtime rebuilt after a rotation: one cold start per container.
const observability = createObservability('reconciler');
const currentHandler = buildOnSecretChange((env) =>
  makeReconcilerHandler(createPayerRuntime(env, observability)),
);

/** Lambda entry point (EventBridge schedule); rebuilt after a secret rotation. */
export const handler = async (event: unknown, context: Context) =>
  (await currentHandler())(event, context);
