import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApi } from '../../../functions/api/app.js';
import { createApiDeps } from '../../../functions/api/runtime.js';
import { createObservability } from '../../../functions/observability.js';
import { makePayerHandler } from '../../../functions/payer/handler.js';
import { createPayerRuntime, createStuckCheck } from '../../../functions/payer/runtime.js';
import { makeReconcilerHandler } from '../../../functions/reconciler/handler.js';
import { ensureTables } from '../../../shared/adapters/dynamodb/tables.js';
import type { PayerStep } from '../../../shared/app/pay-tip.js';
import { newPlatformSecret } from '../../../shared/app/platforms.js';
import { LOCAL_CREDENTIALS, localDynamoDbClient } from '../../../shared/config/aws.js';
import { type StackFile, stackNode } from '../../../shared/config/stack-file.js';
import { readTableNames, tableNameEnv } from '../../../shared/config/tables.js';
import { activeSecrets, rotateSecrets } from '../../../shared/domain/platform-secrets.js';
import { secp } from '../../../shared/domain/secp.js';
import { PlatformExistsError } from '../../../shared/ports/intake.js';
import type { DemoCreator } from '../../../web/backend/demo-page.js';
import { PAYER_EVENT_SOURCE_DEFAULTS } from '../../payer-defaults.js';
import { localSqsClient } from '../stack/elasticmq.js';
import { type LocalDispatcherOptions, startLocalDispatcher } from './dispatcher.js';
import { startHttpAdapter } from './http-adapter.js';
import { lambdaContext, type PollerOptions, startPoller } from './poller.js';
import { startWebServer } from './web-server.js';

/** Local keys, made once per run folder and never committed (.tipstream is git-ignored). */
interface LocalKeys {
  preimageKeys: string;
  preimageKeyVersion: number;
  receiptPrivateKey: string;
}

/** The platform `npm start` registers so a newcomer can call the API at once. */
const LOCAL_PLATFORM_ID = 'local-dev';

/** The local platform's signing secret, kept beside the keys (never committed). */
const ensureLocalPlatformSecret = async (runDir: string): Promise<string> => {
  const path = join(runDir, 'platform-secret');
  await writeFile(path, newPlatformSecret(new Date()).secret, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return (await readFile(path, 'utf8')).trim();
};

export const ensureLocalKeys = async (runDir: string): Promise<LocalKeys> => {
  const path = join(runDir, 'keys.json');
  if (existsSync(path)) return JSON.parse(await readFile(path, 'utf8')) as LocalKeys;
  const keys: LocalKeys = {
    preimageKeys: `1:${randomBytes(32).toString('hex')}`,
    preimageKeyVersion: 1,
    receiptPrivateKey: randomBytes(32).toString('hex'),
  };
  await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another process made them first: use those
    },
  );
  return JSON.parse(await readFile(path, 'utf8')) as LocalKeys;
};

/** The environment the deployed functions get, pointed at the local stack. */
export const localServiceEnv = async (
  stack: StackFile,
  overrides: Record<string, string> = {},
): Promise<Record<string, string>> => {
  const keys = await ensureLocalKeys(stack.runDir);
  const operator = stackNode(stack, stack.lightning.operator);
  return {
    TIPSTREAM_AWS_REGION: stack.region,
    TIPSTREAM_DYNAMODB_ENDPOINT: stack.dynamodb.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The local names, unless this process was given others (tests, the soak: their own tables,
    // which a running `npm start` never reads).
    ...tableNameEnv(readTableNames(process.env)),
    TIPSTREAM_SQS_ENDPOINT: stack.sqs.endpoint,
    TIPSTREAM_TIPS_QUEUE_URL: stack.sqs.tipsQueueUrl,
    TIPSTREAM_LND_SOCKET: operator.socket,
    TIPSTREAM_LND_CERT_PATH: operator.certPath,
    TIPSTREAM_LND_MACAROON_PATH: operator.macaroonPath,
    TIPSTREAM_PREIMAGE_KEYS: keys.preimageKeys,
    TIPSTREAM_PREIMAGE_KEY_VERSION: String(keys.preimageKeyVersion),
    TIPSTREAM_RECEIPT_PRIVATE_KEY: keys.receiptPrivateKey,
    // The stack's Lightning Address server is on loopback, over http: allowed here only.
    ...(stack.lightningAddress
      ? { TIPSTREAM_LNADDR_ALLOW_HOSTS: stack.lightningAddress.host }
      : {}),
    // Loopback receivers (the example backend, test receivers) over plain http: local only.
    TIPSTREAM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost,::1',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Tracer is off outside Lambda by itself; say so, so a copied environment stays quiet too.
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...overrides,
  };
};

export interface LocalServiceOptions {
  /** Queue to consume; default the stack's tips queue (tests use their own). */
  queueUrl?: string;
  /** Messages per payer invocation (the event source mapping's batch size). */
  batchSize?: number;
  /**
   * Payer invocations at once (the event source mapping's MaximumConcurrency): default the
   * deployed one (`tipstream:payerMaxConcurrency`, 5), each invocation on its own batch.
   */
  maxConcurrency?: number;
  /**
   * The payer's and reconciler's function timeout (default 60 s). An attempt's lease ends with its
   * invocation, so a redelivery decides a dead worker's attempt only after it: keep the visibility
   * timeout above it, as AWS does (6×), or redeliveries come back early and wait.
   */
  functionTimeoutMs?: number;
  /** Overrides the queue's visibility timeout (crash tests want redelivery within seconds). */
  visibilityTimeoutSeconds?: number;
  /** How often the reconciler runs; 0 turns it off. */
  reconcileEveryMs?: number;
  checkpoint?: (step: PayerStep, tipId: string) => void;
  /** Serve the HTTP API on this loopback port (0: any free port); false: no API. */
  apiPort?: number | false;
  /**
   * Serve the web pages (demo stream page, dashboard, tip button) and the example platform
   * backend on this loopback port (0: any free port); needs the API. Default: not served.
   */
  webPort?: number | false;
  /** The platform the example backend signs as; default the local platform (`local-dev`). */
  webPlatform?: { platformId: string; secret: string };
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Told of each payer invocation once its batch's messages are deleted (benchmarks count them). */
  onPayerBatch?: PollerOptions['onBatch'];
  /**
   * Run the webhook dispatcher over this environment's tables' streams (npm start does; a test
   * asks for it). Default: not run, so tests that do not need it put no stream reader on
   * DynamoDB Local.
   */
  dispatcher?: Omit<LocalDispatcherOptions, 'log' | 'functionTimeoutMs'> | false;
}

/**
 * Runs the payer on the tips queue through the local poller, and the reconciler on a timer,
 * with the same handlers Lambda runs.
 */
/** Serves the API handler over HTTP, with the local platform registered. */
const startApi = async (stack: StackFile, env: Record<string, string>, port: number) => {
  const deps = createApiDeps(env);
  const secret = await ensureLocalPlatformSecret(stack.runDir);
  const existing = await deps.platforms.getPlatform(LOCAL_PLATFORM_ID);
  if (!existing) {
    await deps.platforms
      .createPlatform({
        platformId: LOCAL_PLATFORM_ID,
        name: 'Local development',
        secrets: [{ secretId: 'sec_local', secret, createdAt: new Date().toISOString() }],
        dailyLimitSats: 10_000_000,
        createdAt: new Date().toISOString(),
      })
      .catch((error: unknown) => {
        if (!(error instanceof PlatformExistsError)) throw error;
      });
  } else if (
    !activeSecrets(existing.secrets, new Date()).some((entry) => entry.secret === secret)
  ) {
    // The run dir's secret is the local platform's: it replaces whatever the table had.
    const now = new Date();
    await deps.platforms.updateSecrets(LOCAL_PLATFORM_ID, (current) =>
      rotateSecrets(
        current,
        { secretId: 'sec_local', secret, createdAt: now.toISOString() },
        now,
        0,
      ),
    );
  }
  const http = await startHttpAdapter(createApi(deps), { port });
  return {
    url: http.url,
    secret,
    async close() {
      await http.close();
      deps.close();
    },
  };
};

/** The x-only key receipts are signed with: what the example backend verifies them against. */
const receiptPubkey = (env: Record<string, string>) =>
  env.TIPSTREAM_RECEIPT_PRIVATE_KEY
    ? Buffer.from(
        secp.schnorr.getPublicKey(Buffer.from(env.TIPSTREAM_RECEIPT_PRIVATE_KEY, 'hex')),
      ).toString('hex')
    : undefined;

/**
 * The regtest creators on the demo page: carol and dave, erin to show a failure, and frank, who
 * is reached over a private channel (not in the graph).
 */
const demoCreators = (stack: StackFile): DemoCreator[] =>
  stack.lightning.nodes
    .filter((node) => node.role === 'creator')
    .map((node) => ({
      name: node.name.slice(0, 1).toUpperCase() + node.name.slice(1),
      pubkey: node.pubkey,
      acceptsKeysend: node.acceptsKeysend !== false,
      note:
        node.acceptsKeysend === false
          ? `regtest node ${node.name}: does not accept keysend, so tips to it fail (to see a failure)`
          : stack.lightning.channels.some((channel) => channel.to === node.name && channel.private)
            ? `regtest creator node ${node.name}, accepts keysend over a private channel (not in the graph)`
            : `regtest creator node ${node.name}, accepts keysend`,
    }))
    // Creators who can be paid first.
    .sort((a, b) => Number(b.acceptsKeysend) - Number(a.acceptsKeysend));

export const startLocalService = async (stack: StackFile, options: LocalServiceOptions = {}) => {
  const env = await localServiceEnv(stack, options.env);
  // EMF metrics are for CloudWatch; locally they would only flood the terminal. No X-Ray either.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  await ensureTables(dynamodb, readTableNames(env));
  dynamodb.destroy();

  const api =
    options.apiPort === false
      ? undefined
      : await startApi(
          stack,
          {
            ...env,
            TIPSTREAM_TIPS_QUEUE_URL: options.queueUrl ?? env.TIPSTREAM_TIPS_QUEUE_URL ?? '',
          },
          options.apiPort ?? 0,
        );

  const web =
    api && options.webPort !== undefined && options.webPort !== false
      ? await startWebServer({
          port: options.webPort,
          backend: {
            tipstreamUrl: api.url,
            platformId: options.webPlatform?.platformId ?? LOCAL_PLATFORM_ID,
            secret: options.webPlatform?.secret ?? api.secret,
            creators: demoCreators(stack).map(({ name, pubkey }) => ({ name, pubkey })),
            operatorReceiptPubkey: receiptPubkey(env),
          },
          creators: demoCreators(stack),
        })
      : undefined;

  // Both functions' timeout: what their invocations' deadlines, and so attempt leases, count from.
  const functionTimeoutMs = options.functionTimeoutMs ?? 60_000;
  const runtime = createPayerRuntime(env);
  const payer = makePayerHandler(runtime, { checkpoint: options.checkpoint });
  const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
  const log = options.log ?? (() => {});
  const poller = startPoller({
    sqs,
    queueUrl: options.queueUrl ?? stack.sqs.tipsQueueUrl,
    region: stack.region,
    handler: payer,
    batchSize: options.batchSize ?? PAYER_EVENT_SOURCE_DEFAULTS.batchSize,
    maxConcurrency: options.maxConcurrency ?? PAYER_EVENT_SOURCE_DEFAULTS.maxConcurrency,
    functionTimeoutMs,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    onError: (error) => log(`payer: ${error instanceof Error ? error.message : String(error)}`),
    onBatch: options.onPayerBatch,
  });

  const reconcilerRuntime = createPayerRuntime(env, createObservability('reconciler', env));
  const reconciler = makeReconcilerHandler(
    reconcilerRuntime,
    createStuckCheck(env, reconcilerRuntime),
  );
  const reconcileEveryMs = options.reconcileEveryMs ?? 30_000;
  // Like an EventBridge schedule with one run at a time: a tick while a run is going is skipped.
  let reconciling: Promise<unknown> | undefined;
  const timer =
    reconcileEveryMs > 0
      ? setInterval(() => {
          if (reconciling) return;
          reconciling = reconciler({}, lambdaContext('tipstream-reconciler', functionTimeoutMs))
            .catch((error: unknown) => log(`reconciler: ${String(error)}`))
            .finally(() => {
              reconciling = undefined;
            });
        }, reconcileEveryMs)
      : undefined;

  const dispatcher = options.dispatcher
    ? await startLocalDispatcher(stack, env, { ...options.dispatcher, functionTimeoutMs, log })
    : undefined;

  return {
    env,
    runtime,
    sqs,
    api: api && { url: api.url, platformId: LOCAL_PLATFORM_ID, secret: api.secret },
    web: web && { url: web.url },
    async stop() {
      if (timer) clearInterval(timer);
      await dispatcher?.stop();
      await web?.close();
      await api?.close();
      await poller.stop();
      await reconciling;
      sqs.destroy();
      runtime.dynamodb.destroy();
      reconcilerRuntime.dynamodb.destroy();
    },
  };
};
