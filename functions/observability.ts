import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

type Env = Record<string, string | undefined>;

/**
 * Powertools' own rule for whether its Tracer traces: in a Lambda execution environment (not SAM
 * local, not Amplify's mock) unless `POWERTOOLS_TRACE_ENABLED=false`. So never in the local
 * service, benchmarks or tests. Each variable read as Powertools reads it, trimmed (commons'
 * `getStringFromEnv`): a blank `AWS_SAM_LOCAL` is not SAM, ` false` is off.
 */
export const tracingEnabled = (env: Env): boolean => {
  const read = (key: string) => (env[key] ?? '').trim();
  const executionEnv = read('AWS_EXECUTION_ENV');
  return (
    read('POWERTOOLS_TRACE_ENABLED').toLowerCase() !== 'false' &&
    executionEnv !== '' &&
    executionEnv !== 'AWS_Lambda_amplify-mock' &&
    read('AWS_SAM_LOCAL') === ''
  );
};

/**
 * The Tracer's module, loaded only by a process that traces. Importing it loads the X-Ray SDK,
 * whose automatic mode (`cls-hooked`) enables an async hook with destroy tracking for the whole
 * process at import, traced or not: every promise then registers a destroy callback. Measured
 * with 300,000 sequential awaits on Node 24: 22 ms before the import, 260-307 ms after it; in the
 * payer's profile (`bench:payer`, 30 in flight) the hook's bookkeeping was ~1.4 s of ~20 s busy.
 */
const TracerClass = tracingEnabled(process.env)
  ? (await import('@aws-lambda-powertools/tracer')).Tracer
  : undefined;

/**
 * Logs, metrics and traces of one function: built once per container and kept when the runtime
 * is rebuilt after a secret rotation, so a container's cold start is logged, counted and traced
 * once (each Powertools instance flags only its first invocation as cold).
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  /** Absent when tracing is off (`tracingEnabled`): nothing of X-Ray is loaded then. */
  tracer?: Tracer;
}

export const createObservability = (service: string, env: Env = process.env): Observability => ({
  logger: new Logger({
    serviceName: `tipstream-${service}`,
    logLevel: (env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  }),
  metrics: new Metrics({ namespace: 'Tipstream', serviceName: `tipstream-${service}` }),
  ...(TracerClass &&
    tracingEnabled(env) && { tracer: new TracerClass({ serviceName: `tipstream-${service}` }) }),
});

/**
 * An AWS SDK client whose calls become subsegments of the invocation's trace; the client itself
 * when tracing is off.
 */
export const traced = <T>({ tracer }: Pick<Observability, 'tracer'>, client: T): T =>
  tracer ? tracer.captureAWSv3Client(client) : client;

/**
 * Runs one invocation the Powertools way: the Lambda context on every log line, a `ColdStart`
 * metric on a container's first invocation, and a `## <function>` subsegment annotated with the
 * cold start and service; stored metrics are published at the end, whatever happens (none
 * stored: no empty-metrics warning).
 */
export const observeInvocation = async <R>(
  { logger, metrics, tracer }: Observability,
  context: Context,
  invoke: () => Promise<R>,
): Promise<R> => {
  logger.addContext(context);
  metrics.captureColdStartMetric(context.functionName);
  const segment = tracer?.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${context.functionName}`);
  if (subsegment) tracer?.setSegment(subsegment);
  tracer?.annotateColdStart();
  tracer?.addServiceNameAnnotation();
  try {
    return await invoke();
  } catch (error) {
    tracer?.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer?.setSegment(segment);
    // Nothing stored: the reconciler's idle run, or (locally, where the poller runs invocations
    // of one container at once) metrics another invocation already published.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
