import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startStackProcess, stopStackProcess } from '../../infra/local/stack/stack.js';
import { isProcessAlive } from '../../infra/local/stack/supervisor.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { readStackFile } from '../../shared/config/stack-file.js';

/**
 * These start a second, private stack in a temporary run folder (its own ports, nodes and data)
 * and check that stopping it, or failing to start it, leaves no process behind.
 */

const children: ChildProcess[] = [];
const runDirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of runDirs.splice(0)) {
    for (const pid of await processesUsing(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** Pids of live processes whose command line mentions `dir` (every stack child names its run folder). */
const processesUsing = async (dir: string): Promise<number[]> => {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir) && !cmdline.includes('cli.ts') && isProcessAlive(pid)) pids.push(pid);
  }
  return pids;
};

const runCli = (command: string, env: NodeJS.ProcessEnv) => {
  // Node with tsx's loader, not the tsx binary: a signal sent to the tsx binary alone is relayed
  // only if its child confirms within 30 ms, else it is killed (exit 130), which a busy machine
  // misses. A terminal's Ctrl-C reaches both processes, so `npm start` itself is not affected.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/scripts/cli.ts', command],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
};

const newRunDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tipstream-run-'));
  runDirs.push(dir);
  return dir;
};

const stack = inject('stack');

describe('stack lifecycle', () => {
  it('npm start: follows a part another command restarted, and Ctrl-C stops everything it started, the restarted part too', async () => {
    const runDir = await newRunDir();
    const start = runCli('start', {
      TIPSTREAM_RUN_DIR: runDir,
      TIPSTREAM_WATCH_INTERVAL_MS: '1000',
    });
    await waitFor(
      'npm start to say the stack is up',
      async () => start.output().includes('Press Ctrl-C'),
      {
        timeoutMs: 240_000,
        intervalMs: 500,
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${start.output()}`);
    });

    const stack = await readStackFile(join(runDir, 'stack.json'));
    expect(stack?.processes.map((p) => p.name).sort()).toEqual([
      'btcd',
      'btcd-miner',
      'dynamodb-local',
      'elasticmq',
      'lightning-address',
      'lnd-alice',
      'lnd-bob',
      'lnd-carol',
      'lnd-dave',
      'lnd-erin',
      'lnd-frank',
      'lnd-grace',
    ]);
    for (const record of stack?.processes ?? []) expect(isProcessAlive(record.pid)).toBe(true);
    expect(start.output()).toContain(stack?.lightning.nodes[0]?.pubkey);
    expect(start.output()).toContain(stack?.sqs.tipsQueueUrl);

    // A test (or an operator) restarts alice from another process: npm start's watcher reports it
    // down while it is, then finds the new alice by name, and Ctrl-C stops the new one.
    const stackFile = join(runDir, 'stack.json');
    await stopStackProcess(stackFile, 'lnd-alice');
    await waitFor('the watcher to see alice down', async () =>
      start.output().includes('stack problem: lnd-alice'),
    );
    await startStackProcess(stackFile, 'lnd-alice');
    const restarted = (await readStackFile(stackFile))?.processes.find(
      (record) => record.name === 'lnd-alice',
    );
    expect(restarted?.pid).not.toBe(stack?.processes.find((p) => p.name === 'lnd-alice')?.pid);
    await waitFor('the watcher to find alice again', async () =>
      start.output().includes('stack healthy again'),
    );
    const afterRestart = start.output().length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(start.output().slice(afterRestart)).not.toContain('is not running');

    start.child.kill('SIGINT');
    expect(await start.exited).toBe(0);
    for (const record of stack?.processes ?? []) expect(isProcessAlive(record.pid)).toBe(false);
    expect(isProcessAlive(restarted?.pid ?? 0)).toBe(false);
    expect(await processesUsing(runDir)).toEqual([]);
    expect(existsSync(join(runDir, 'stack.json'))).toBe(false);
  }, 300_000);

  it('a part that cannot start fails stack:up with its reason and leaves nothing running', async () => {
    const runDir = await newRunDir();
    // A java that runs DynamoDB Local for real but makes ElasticMQ die at once, mid-start.
    const fakeJava = join(runDir, 'java-without-elasticmq');
    await writeFile(
      fakeJava,
      '#!/bin/sh\ncase "$*" in *elasticmq*) echo "simulated: ElasticMQ cannot bind its port" >&2; exit 1;; esac\nexec java "$@"\n',
    );
    await chmod(fakeJava, 0o755);

    const up = runCli('up', { TIPSTREAM_RUN_DIR: runDir, TIPSTREAM_JAVA: fakeJava });
    expect(await up.exited).toBe(1);
    expect(up.output()).toMatch(/elasticmq exited with code 1 before ElasticMQ to serve/);
    expect(up.output()).toContain('simulated: ElasticMQ cannot bind its port');
    expect(up.output()).toContain('start failed: stopping what was started');
    expect(await processesUsing(runDir)).toEqual([]);
    expect(existsSync(join(runDir, 'stack.json'))).toBe(false);
  }, 300_000);

  it('TIPSTREAM_* settings pointing at existing services skip the local parts', async () => {
    const runDir = await newRunDir();
    const alice = stack.lightning.nodes.find((node) => node.name === stack.lightning.operator);
    const up = runCli('up', {
      TIPSTREAM_RUN_DIR: runDir,
      // The running stack's services stand in for a hosted LND and real AWS endpoints.
      TIPSTREAM_LND_SOCKET: alice?.socket,
      TIPSTREAM_LND_CERT_PATH: alice?.certPath,
      TIPSTREAM_LND_MACAROON_PATH: alice?.macaroonPath,
      TIPSTREAM_DYNAMODB_ENDPOINT: stack.dynamodb.endpoint,
      TIPSTREAM_SQS_ENDPOINT: stack.sqs.endpoint,
      TIPSTREAM_TIPS_QUEUE_URL: stack.sqs.tipsQueueUrl,
      TIPSTREAM_TIPS_DLQ_URL: stack.sqs.tipsDlqUrl,
      // Nothing may be built or fetched: an empty cache would show it.
      TIPSTREAM_CACHE_DIR: join(runDir, 'empty-cache'),
    });
    expect(await up.exited, up.output()).toBe(0);
    const external = await readStackFile(join(runDir, 'stack.json'));
    expect(external?.processes).toEqual([]);
    expect(external?.dynamodb).toEqual({ endpoint: stack.dynamodb.endpoint, local: false });
    expect(external?.sqs).toMatchObject({ tipsQueueUrl: stack.sqs.tipsQueueUrl, local: false });
    expect(external?.lightning).toMatchObject({ network: 'external', operator: 'operator' });
    expect(external?.lightning.nodes[0]?.pubkey).toBe(alice?.pubkey);
    expect(existsSync(join(runDir, 'empty-cache'))).toBe(false);
  }, 60_000);
});
