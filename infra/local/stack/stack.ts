import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { getWalletInfo } from 'lightning';
import { withTimeout } from '../../../shared/adapters/with-timeout.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile, type StackFile } from '../../../shared/config/stack-file.js';
import { runPaths, type StackConfig } from './config.js';
import { startDynamoDbLocal, tryIndexStreamRecords } from './dynamodb-local.js';
import { localSqsClient, startElasticMq } from './elasticmq.js';
import {
  checkJava,
  DYNAMODB_LOCAL,
  ELASTICMQ,
  ensureJavaArtifact,
  ensureLightningBinaries,
} from './install.js';
import { startLightningAddressServer } from './lightning-address.js';
import { connectLnd } from './lnd.js';
import { PortAllocator } from './ports.js';
import type { Progress } from './progress.js';
import { NODES, startRegtestNetwork } from './regtest-network.js';
import { isProcessAlive, locateProcess, Supervisor, stopProcessGroup } from './supervisor.js';

class StackError extends Error {
  override name = 'StackError';
}

/** Like Promise.all, but waits for every install to finish before reporting the first failure. */
const settleAll = async <T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> => {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
};

/** How long each process of a running stack has to answer the health check before it is rebuilt. */
const HEALTH_CHECK_MS = 20_000;

/** Every reason the recorded stack is not usable right now; empty when all parts answer. */
export const checkStackHealth = async (stack: StackFile): Promise<string[]> => {
  const problems: string[] = [];
  for (const record of stack.processes) {
    // Followed by what it is, not the pid recorded at start: another command may have restarted it.
    if (locateProcess(record) === undefined) {
      problems.push(`${record.name} (pid ${record.pid}) is not running`);
    }
  }
  if (problems.length > 0) return problems;
  if (stack.lightning.network === 'regtest') {
    // A network made by an older version lacks nodes the tests and demo now rely on: start anew.
    const missing = NODES.filter(
      (spec) => !stack.lightning.nodes.some((node) => node.name === spec.name),
    );
    if (missing.length > 0) {
      problems.push(
        `the regtest network has no ${missing.map((spec) => spec.name).join(', ')} (made by an older Tipstream)`,
      );
      return problems;
    }
    if (!stack.lightningAddress) {
      problems.push('the stack has no Lightning Address server (made by an older Tipstream)');
      return problems;
    }
  }
  const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
  const checks: Array<[string, () => Promise<unknown>]> = [
    ['DynamoDB', () => dynamodb.send(new ListTablesCommand({ Limit: 1 }))],
    [
      'SQS tips queue',
      () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.sqs.tipsQueueUrl })),
    ],
    ...stack.lightning.nodes.map((node): [string, () => Promise<unknown>] => [
      `lnd ${node.name}`,
      async () => {
        const info = await getWalletInfo({ lnd: await connectLnd(node) });
        if (info.public_key !== node.pubkey) throw new Error('answers with another pubkey');
      },
    ]),
  ];
  await Promise.all(
    checks.map(async ([name, check]) => {
      try {
        // Generous: a healthy stack that misses it is rebuilt (80–90 s), and on a loaded 2-core
        // machine seven new gRPC clients took over 5 s; a stopped process fails at once anyway.
        await withTimeout(check(), HEALTH_CHECK_MS, () => {
          return new Error(`${name} did not answer within ${HEALTH_CHECK_MS} ms`);
        });
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
      }
    }),
  );
  dynamodb.destroy();
  sqs.destroy();
  return problems;
};

/** Only one `stack:up` at a time per run folder (npm start and a test run may race). */
const acquireLock = async (lockFile: string): Promise<() => Promise<void>> => {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => '0'));
      if (holder && holder !== process.pid && isProcessAlive(holder)) {
        throw new StackError(
          `another "stack:up" (pid ${holder}) is starting the stack in this run folder; wait for it, or stop it and run "npm run stack:down"`,
        );
      }
      await rm(lockFile, { force: true }); // left by a killed run
    }
  }
  throw new StackError(`could not take the lock ${lockFile}`);
};

export interface StackUpResult {
  stack: StackFile;
  /** True when a healthy stack was already running and is reused as it is. */
  reused: boolean;
  /** Set when this call started processes: stops them (for npm start and test runs). */
  supervisor?: Supervisor;
}

/**
 * Brings the local stack up: installs what is missing, starts DynamoDB Local, ElasticMQ and the
 * regtest Lightning network in parallel, and writes stack.json. Reuses a healthy running stack.
 * On any failure, stops everything it started before rethrowing.
 */
export const stackUp = async (config: StackConfig, progress: Progress): Promise<StackUpResult> => {
  const paths = runPaths(config.runDir);
  await mkdir(config.runDir, { recursive: true });
  const release = await acquireLock(paths.lockFile);
  const supervisor = new Supervisor();
  let starting: Array<Promise<unknown> | undefined> = [];
  try {
    const existing = await readStackFile(paths.stackFile).catch(() => undefined);
    if (existing) {
      const problems = await checkStackHealth(existing);
      if (problems.length === 0) {
        // A stack started before the index existed gets it now (DynamoDB Local uses it at once).
        if (!config.dynamodbEndpoint) {
          tryIndexStreamRecords(paths.dynamodb, (message) => progress.info(message));
        }
        return { stack: existing, reused: true };
      }
      progress.info(`the recorded stack is not healthy (${problems.join('; ')}): restarting it`);
      await stopRecorded(existing);
      await rm(paths.stackFile, { force: true });
    }
    const started = Date.now();
    const ports = new PortAllocator();
    const needJava = !config.dynamodbEndpoint || !config.sqsEndpoint;
    const [binaries, dynamodbLib, elasticmqLib] = await settleAll([
      config.externalLnd ? undefined : ensureLightningBinaries(config, progress),
      config.dynamodbEndpoint ? undefined : ensureJavaArtifact(config, DYNAMODB_LOCAL, progress),
      config.sqsEndpoint ? undefined : ensureJavaArtifact(config, ELASTICMQ, progress),
      needJava ? checkJava(config) : undefined,
    ] as const);

    // A fresh regtest network every start: lnd and btcd state would otherwise drift between runs.
    await rm(paths.lightning, { recursive: true, force: true });
    await rm(paths.bitcoin, { recursive: true, force: true });
    await mkdir(paths.logs, { recursive: true });

    const dynamodbPromise = dynamodbLib
      ? progress.step('starting DynamoDB Local', async () =>
          startDynamoDbLocal(
            supervisor,
            {
              javaBin: config.javaBin,
              libDir: dynamodbLib,
              dataDir: paths.dynamodb,
              logFile: join(paths.logs, 'dynamodb-local.log'),
              port: await ports.next(),
              region: config.region,
              warn: (message) => progress.info(message),
            },
            config.startTimeoutMs,
          ),
        )
      : Promise.resolve({ endpoint: config.dynamodbEndpoint as string });
    const sqsPromise = elasticmqLib
      ? progress.step('starting ElasticMQ', async () =>
          startElasticMq(
            supervisor,
            {
              javaBin: config.javaBin,
              libDir: elasticmqLib,
              dir: paths.elasticmq,
              logFile: join(paths.logs, 'elasticmq.log'),
              port: await ports.next(),
              region: config.region,
              queues: {
                maxReceiveCount: config.maxReceiveCount,
                visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
              },
            },
            config.startTimeoutMs,
          ),
        )
      : Promise.resolve({
          endpoint: config.sqsEndpoint as string,
          tipsQueueUrl: config.tipsQueueUrl as string,
          tipsDlqUrl: config.tipsDlqUrl as string,
        });
    const lightningPromise = binaries
      ? startRegtestNetwork({
          supervisor,
          binaries,
          ports,
          dir: paths.lightning,
          logDir: paths.logs,
          progress,
          timeoutMs: config.startTimeoutMs,
        })
      : undefined;
    starting = [dynamodbPromise, sqsPromise, lightningPromise];
    const [dynamodb, sqs, network] = await Promise.all([
      dynamodbPromise,
      sqsPromise,
      lightningPromise,
    ]);

    let lightning: StackFile['lightning'];
    let lightningAddress: StackFile['lightningAddress'];
    if (network) {
      lightningAddress = await progress.step('starting the Lightning Address server', async () =>
        startLightningAddressServer({
          supervisor,
          nodes: network.nodes,
          port: await ports.next(),
          dir: paths.lightning,
          logDir: paths.logs,
          timeoutMs: config.startTimeoutMs,
        }),
      );
      lightning = {
        network: 'regtest',
        operator: 'alice',
        nodes: network.nodes,
        channels: network.channels,
        binaries: binaries ?? null,
        bitcoin: network.bitcoin,
      };
    } else {
      const external = config.externalLnd as NonNullable<StackConfig['externalLnd']>;
      const info = await getWalletInfo({ lnd: await connectLnd(external) });
      lightning = {
        network: 'external',
        operator: 'operator',
        nodes: [{ name: 'operator', role: 'operator', pubkey: info.public_key, ...external }],
        channels: [],
        binaries: null,
        bitcoin: null,
      };
    }
    const stack: StackFile = {
      version: 1,
      startedAt: new Date().toISOString(),
      runDir: config.runDir,
      region: config.region,
      dynamodb: { endpoint: dynamodb.endpoint, local: Boolean(dynamodbLib) },
      sqs: {
        endpoint: sqs.endpoint,
        tipsQueueUrl: sqs.tipsQueueUrl,
        tipsDlqUrl: sqs.tipsDlqUrl,
        maxReceiveCount: config.maxReceiveCount,
        visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
        local: Boolean(elasticmqLib),
      },
      lightning,
      ...(lightningAddress ? { lightningAddress } : {}),
      processes: supervisor.processes.map((running) => running.record),
    };
    await writeFile(paths.stackFile, `${JSON.stringify(stack, null, 2)}\n`);
    progress.info(`stack is up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return { stack, reused: false, supervisor };
  } catch (error) {
    progress.info('start failed: stopping what was started');
    // Stop first (the other parts then fail fast), let them settle, and sweep once more.
    await supervisor.stopAll(5_000);
    await Promise.allSettled(starting);
    await supervisor.stopAll(5_000);
    throw error;
  } finally {
    await release();
  }
};

/** Stops every recorded part wherever it runs now (restarted parts have new pids). */
const stopRecorded = async (stack: StackFile) => {
  await Promise.all(
    stack.processes.map(async (record) => {
      const pid = locateProcess(record);
      if (pid !== undefined) await stopProcessGroup(pid, 15_000);
    }),
  );
};

/** Stops the stack recorded in stack.json (from any shell) and removes the file. */
export const stackDown = async (config: StackConfig, progress: Progress): Promise<boolean> => {
  const paths = runPaths(config.runDir);
  const stack = await readStackFile(paths.stackFile).catch(() => undefined);
  if (!stack) {
    if (existsSync(paths.stackFile)) await rm(paths.stackFile, { force: true });
    return false;
  }
  await progress.step(`stopping ${stack.processes.length} processes`, () => stopRecorded(stack));
  await rm(paths.stackFile, { force: true });
  return true;
};

/** Stops what `stackUp` started in this process and forgets stack.json. */
export const stopStarted = async (config: StackConfig, result: StackUpResult) => {
  if (!result.supervisor) return;
  await result.supervisor.stopAll(15_000);
  // Parts restarted since (tests restart lnd and DynamoDB) are only in stack.json.
  const recorded = await readStackFile(runPaths(config.runDir).stackFile).catch(() => undefined);
  if (recorded) await stopRecorded(recorded);
  await rm(runPaths(config.runDir).stackFile, { force: true });
};

/** Waits until the named part answers again after a restart. */
const partIsReady = (stack: StackFile, name: string) => async (): Promise<true | undefined> => {
  if (name === 'dynamodb-local') {
    const client = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return true;
    } finally {
      client.destroy();
    }
  }
  if (name === 'elasticmq') {
    const client = localSqsClient(stack.sqs.endpoint, stack.region);
    try {
      await client.send(new GetQueueAttributesCommand({ QueueUrl: stack.sqs.tipsQueueUrl }));
      return true;
    } finally {
      client.destroy();
    }
  }
  if (name.startsWith('lnd-')) {
    const node = stack.lightning.nodes.find((candidate) => `lnd-${candidate.name}` === name);
    if (!node) throw new StackError(`no node for ${name}`);
    const channels = stack.lightning.channels.filter(
      (channel) => channel.from === node.name || channel.to === node.name,
    ).length;
    const info = await getWalletInfo({ lnd: await connectLnd(node) });
    // Ready to pay again: synced, and every channel reactivated with its peer.
    return info.is_synced_to_chain && info.active_channels_count >= channels ? true : undefined;
  }
  return true;
};

/**
 * Stops one recorded part of the stack (tests: an lnd restart, DynamoDB going away): cleanly
 * (SIGTERM), or with `crash` by SIGKILL at once, as a power cut would.
 */
export const stopStackProcess = async (
  stackFile: string,
  name: string,
  { crash = false }: { crash?: boolean } = {},
): Promise<void> => {
  const stack = await readStackFile(stackFile);
  const record = stack?.processes.find((candidate) => candidate.name === name);
  if (!record) throw new StackError(`no running part named ${name} in ${stackFile}`);
  const pid = locateProcess(record);
  if (pid !== undefined) await stopProcessGroup(pid, crash ? 0 : 15_000);
};

/** Starts a stopped part again exactly as it was started, waits until it is ready, updates stack.json. */
export const startStackProcess = async (
  stackFile: string,
  name: string,
  timeoutMs = 120_000,
): Promise<void> => {
  const stack = await readStackFile(stackFile);
  const record = stack?.processes.find((candidate) => candidate.name === name);
  if (!stack || !record) throw new StackError(`no part named ${name} in ${stackFile}`);
  const live = locateProcess(record);
  if (live !== undefined) throw new StackError(`${name} (pid ${live}) is still running`);
  const supervisor = new Supervisor();
  const running = supervisor.start({
    name,
    command: record.command,
    args: record.args,
    logFile: record.logFile,
    cwd: record.cwd,
  });
  running.detach();
  await running.waitUntil('it to be ready again', partIsReady(stack, name), {
    timeoutMs,
    intervalMs: 300,
  });
  const updated: StackFile = {
    ...stack,
    processes: stack.processes.map((candidate) =>
      candidate.name === name ? running.record : candidate,
    ),
  };
  await writeFile(stackFile, `${JSON.stringify(updated, null, 2)}\n`);
};
