/**
 * How the tips queue feeds the payer when nothing says otherwise: the CDK context defaults
 * (`tipstream:payer*`) and the local poller's, one place so the local stack runs the payer the
 * way the event source mapping does.
 */
export const PAYER_EVENT_SOURCE_DEFAULTS = {
  /** Messages per invocation (the event source mapping's BatchSize). */
  batchSize: 10,
  /** Invocations at once (ScalingConfig.MaximumConcurrency): protects the LND node. */
  maxConcurrency: 5,
} as const;
