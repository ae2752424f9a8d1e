import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveRunDir, stackFilePath } from '../../../shared/config/stack-file.js';

/** Pinned versions of the local stack's parts; changing one rebuilds/refetches that part's cache. */
export const PINNED = {
  /** lnd tag from the Go module proxy; the btcd version is whatever that lnd requires (infra/local/stack/go/go.mod). */
  lnd: 'v0.21.3-beta',
  dynamodbLocal: '3.3.1',
  elasticmq: '1.7.1',
} as const;

/**
 * JVM flags for the local stand-ins of AWS (DynamoDB Local, ElasticMQ), after their heap size.
 * C1 only (`TieredStopAtLevel=1`): C2 kept compiling their hot paths for thousands of requests,
 * so a fresh stack spent most of its emulator CPU on the JIT, CPU the lnd nodes need on a small
 * machine. Measured with a payer-like load at 30 at once (`/proc` CPU per tip, after 1,500-2,000
 * tips of warm-up, 4 rounds of 600): ElasticMQ 1.4-2.4 ms per tip with the default flags, 0.8-1.1
 * with these; DynamoDB Local 4.2-6.0 (falling round by round), 4.4-5.2 (flat from the start).
 * The serial collector: one GC thread for heaps of 256-512 MB instead of G1's concurrent ones.
 */
export const EMULATOR_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] as const;

/** lnd RPC sub-servers the payer and tests need, besides the default ones. */
export const LND_BUILD_TAGS = [
  'signrpc',
  'walletrpc',
  'chainrpc',
  'invoicesrpc',
  'peersrpc',
  'routerrpc',
];

interface ExternalLnd {
  socket: string;
  certPath: string;
  macaroonPath: string;
}

/** Everything the local stack reads from the environment. All knobs are `TIPSTREAM_*`. */
export interface StackConfig {
  /** Repository root (where package.json lives). */
  projectDir: string;
  /** Run folder: stack.json, logs, node data. Default `<project>/.tipstream`. */
  runDir: string;
  /** Cache for built binaries and fetched jars, shared by every checkout. */
  cacheDir: string;
  region: string;
  /** Set → use this DynamoDB endpoint (e.g. real AWS) and do not start DynamoDB Local. */
  dynamodbEndpoint: string | undefined;
  /** Set (with both queue URLs) → use this SQS and do not start ElasticMQ. */
  sqsEndpoint: string | undefined;
  tipsQueueUrl: string | undefined;
  tipsDlqUrl: string | undefined;
  /** Set → use this hosted LND as the operator node and do not start the regtest network. */
  externalLnd: ExternalLnd | undefined;
  /** Receives of one message before ElasticMQ moves it to the dead-letter queue. */
  maxReceiveCount: number;
  /** Default visibility timeout of the tips queue, seconds. */
  visibilityTimeoutSeconds: number;
  /** How long a part may take to become healthy, ms. */
  startTimeoutMs: number;
  javaBin: string;
  goBin: string;
  mvnBin: string;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const positiveInt = (env: Env, key: string, fallback: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${key} must be a positive whole number, got "${raw}"`);
  }
  return value;
};

const defaultCacheDir = (env: Env): string =>
  join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tipstream');

/** Reads the stack configuration from `TIPSTREAM_*` variables, with defaults for a local run. */
export const readStackConfig = (
  env: Env = process.env,
  projectDir = process.cwd(),
): StackConfig => {
  const root = resolve(projectDir);
  const lndVars = {
    socket: 'TIPSTREAM_LND_SOCKET',
    certPath: 'TIPSTREAM_LND_CERT_PATH',
    macaroonPath: 'TIPSTREAM_LND_MACAROON_PATH',
  } as const;
  const lndMissing = Object.values(lndVars).filter((key) => !env[key]);
  if (lndMissing.length > 0 && lndMissing.length < 3) {
    throw new ConfigError(
      `to use a hosted LND set all of ${Object.values(lndVars).join(', ')} (missing: ${lndMissing.join(', ')})`,
    );
  }
  const externalLnd: ExternalLnd | undefined =
    lndMissing.length === 0
      ? {
          socket: env[lndVars.socket] as string,
          certPath: env[lndVars.certPath] as string,
          macaroonPath: env[lndVars.macaroonPath] as string,
        }
      : undefined;
  const sqsParts = [
    env.TIPSTREAM_SQS_ENDPOINT,
    env.TIPSTREAM_TIPS_QUEUE_URL,
    env.TIPSTREAM_TIPS_DLQ_URL,
  ];
  const sqsGiven = sqsParts.filter(Boolean).length;
  if (sqsGiven > 0 && sqsGiven < 3) {
    throw new ConfigError(
      'to use an existing SQS set all of TIPSTREAM_SQS_ENDPOINT, TIPSTREAM_TIPS_QUEUE_URL and TIPSTREAM_TIPS_DLQ_URL',
    );
  }
  return {
    projectDir: root,
    runDir: resolveRunDir(env, root),
    cacheDir: resolve(env.TIPSTREAM_CACHE_DIR || defaultCacheDir(env)),
    region: env.TIPSTREAM_AWS_REGION || env.AWS_REGION || 'us-east-1',
    dynamodbEndpoint: env.TIPSTREAM_DYNAMODB_ENDPOINT || undefined,
    sqsEndpoint: env.TIPSTREAM_SQS_ENDPOINT || undefined,
    tipsQueueUrl: env.TIPSTREAM_TIPS_QUEUE_URL || undefined,
    tipsDlqUrl: env.TIPSTREAM_TIPS_DLQ_URL || undefined,
    externalLnd,
    maxReceiveCount: positiveInt(env, 'TIPSTREAM_MAX_RECEIVE_COUNT', 5),
    visibilityTimeoutSeconds: positiveInt(env, 'TIPSTREAM_VISIBILITY_TIMEOUT_SECONDS', 30),
    startTimeoutMs: positiveInt(env, 'TIPSTREAM_START_TIMEOUT_SECONDS', 180) * 1000,
    javaBin: env.TIPSTREAM_JAVA || 'java',
    goBin: env.TIPSTREAM_GO || 'go',
    mvnBin: env.TIPSTREAM_MVN || 'mvn',
  };
};

/** Paths inside the run folder. */
export const runPaths = (runDir: string) => ({
  stackFile: stackFilePath(runDir),
  lockFile: join(runDir, 'stack.lock'),
  logs: join(runDir, 'logs'),
  bitcoin: join(runDir, 'bitcoin'),
  lightning: join(runDir, 'lightning'),
  dynamodb: join(runDir, 'dynamodb'),
  elasticmq: join(runDir, 'elasticmq'),
});
