import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

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
