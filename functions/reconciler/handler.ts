import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { reconcileStuckTips, type StuckCheckOptions } from '../../shared/app/reconcile-tips.js';
import { buildOnSecretChange } from '../../shared/config/secrets-loader.js';
import { createObservability, observeInvocation } from '../observability.js';
import {
  createPayerRuntime,
  createStuckCheck,
  type PayerRuntime,
  TIPS_HELD_METRIC,
} from '../payer/runtime.js';

/**
 * Scheduled: settles tips stuck in SENDING by asking LND about their payment hashes, and checks
 * those LND keeps in flight for long (`stuckCheck`): flagged, counted in `TipsStuckInLnd` (the
 * StuckInLnd alarm), failed only when LND's own facts prove they cannot settle.
 */
export const makeReconcilerHandler =
  (runtime: PayerRuntime, stuckCheck?: StuckCheckOptions) =>
  async (_event: unknown, context: Context) =>
    observeInvocation(runtime, context, async () => {
      const summary = await reconcileStuckTips(
        { ...runtime.deps, remainingMs: () => context.getRemainingTimeInMillis() },
        { stuckAfterMs: runtime.deps.policy.stuckAfterMs, limit: 100, stuckCheck },
      );
      runtime.metrics.addMetric('TipsReconciled', MetricUnit.Count, summary.examined);
      // Held tips the node still cannot forward, held on: counted at each run (the payer counts
      // each delivery it holds), so the metric counts looks, not tips.
      runtime.metrics.addMetric(TIPS_HELD_METRIC, MetricUnit.Count, summary.outcomes.held ?? 0);
      if (summary.stuck) {
        const stuck = Object.values(summary.stuck).reduce((sum, count) => sum + (count ?? 0), 0);
        runtime.metrics.addMetric('TipsStuckInLnd', MetricUnit.Count, stuck);
        runtime.metrics.addMetric('TipsStuckExpired', MetricUnit.Count, summary.stuckExpired ?? 0);
      }
      if (summary.examined > 0) runtime.logger.info('reconciled stuck tips', { ...summary });
      return summary;
    });

// Logs, metrics and traces outlive a runtime rebuilt after a rotation: one cold start per container.
const observability = createObservability('reconciler');
const currentHandler = buildOnSecretChange((env) => {
  const runtime = createPayerRuntime(env, observability);
  return makeReconcilerHandler(runtime, createStuckCheck(env, runtime));
});

/** Lambda entry point (EventBridge schedule); rebuilt after a secret rotation. */
export const handler = async (event: unknown, context: Context) =>
  (await currentHandler())(event, context);
