import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isProcessAlive,
  isSameProcess,
  locateProcess,
  ProcessStartError,
  Supervisor,
  stopProcessGroup,
} from '../../../../infra/local/stack/supervisor.js';
import { waitFor } from '../../../../infra/local/stack/wait.js';

const supervisors: Supervisor[] = [];
const newSupervisor = () => {
  const supervisor = new Supervisor();
  supervisors.push(supervisor);
  return supervisor;
};
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stopAll(500)));
});

const tempLog = async () => join(await mkdtemp(join(tmpdir(), 'tipstream-sup-')), 'child.log');

describe('Supervisor', () => {
  it('starts a child in its own process group with output in its log, and stops it', async () => {
    const logFile = await tempLog();
    const child = newSupervisor().start({
      name: 'greeter',
      command: 'sh',
      args: ['-c', 'echo "hello from $$"; sleep 30'],
      logFile,
    });
    const line = await child.waitUntil(
      'the greeting',
      async () => (await readFile(logFile, 'utf8')).match(/hello from (\d+)/)?.[1],
      { timeoutMs: 5_000 },
    );
    expect(Number(line)).toBe(child.record.pid);
    expect(isProcessAlive(child.record.pid)).toBe(true);
    expect(isSameProcess(child.record)).toBe(true);
    await child.stop(2_000);
    expect(isProcessAlive(child.record.pid)).toBe(false);
    expect(child.hasExited).toBe(true);
  });

  it('runs a child in the folder it is given, and records it, so a restart runs it there too', async () => {
    const logFile = await tempLog();
    const folder = await mkdtemp(join(tmpdir(), 'tipstream-sup-cwd-'));
    const child = newSupervisor().start({
      name: 'where',
      command: 'sh',
      args: ['-c', 'echo "in $(pwd)"; sleep 30'],
      logFile,
      cwd: folder,
    });
    expect(child.record.cwd).toBe(folder);
    await child.waitUntil(
      'its folder',
      async () => (await readFile(logFile, 'utf8')).includes(`in ${folder}`) || undefined,
      { timeoutMs: 5_000 },
    );
    const elsewhere = newSupervisor().start({ name: 'here', command: 'true', args: [], logFile });
    expect('cwd' in elsewhere.record).toBe(false);
  });

  it('fails the health wait at once, with the log tail, when the child exits early', async () => {
    const logFile = await tempLog();
    const child = newSupervisor().start({
      name: 'crasher',
      command: 'sh',
      args: ['-c', 'echo "config file not found" >&2; exit 3'],
      logFile,
    });
    const started = Date.now();
    const error = await child
      .waitUntil('never', async () => undefined, { timeoutMs: 30_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessStartError);
    expect((error as Error).message).toMatch(/crasher exited with code 3 before never/);
    expect((error as Error).message).toMatch(/config file not found/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out a health wait with the last error seen', async () => {
    const child = newSupervisor().start({
      name: 'slow',
      command: 'sleep',
      args: ['30'],
      logFile: await tempLog(),
    });
    await expect(
      child.waitUntil(
        'the port',
        async () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 300, intervalMs: 50 },
      ),
    ).rejects.toThrow(
      /slow: timed out after 0s waiting for the port \(last error: connection refused\)/,
    );
  });

  it('says which command could not be started', () => {
    expect(() =>
      newSupervisor().start({
        name: 'ghost',
        command: '/nonexistent/tipstream-binary',
        args: [],
        logFile: join(tmpdir(), 'tipstream-ghost.log'),
      }),
    ).toThrow(/ghost: could not start \/nonexistent\/tipstream-binary/);
  });

  it('stops the whole process group, grandchildren included (no orphans)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tipstream-sup-'));
    const pidFile = join(dir, 'grandchild.pid');
    const child = newSupervisor().start({
      name: 'parent',
      command: 'sh',
      args: ['-c', `sleep 60 & echo $! > ${pidFile}; wait`],
      logFile: join(dir, 'parent.log'),
    });
    const grandchild = await waitFor(
      'the grandchild pid',
      async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined,
    );
    expect(isProcessAlive(grandchild)).toBe(true);
    await stopProcessGroup(child.record.pid, 2_000);
    await waitFor('the grandchild to be gone', async () => !isProcessAlive(grandchild), {
      timeoutMs: 3_000,
    });
  });

  it('escalates to SIGKILL when a child ignores SIGTERM', async () => {
    const child = newSupervisor().start({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; sleep 60'],
      logFile: await tempLog(),
    });
    await child.waitUntil(
      'ready',
      async () =>
        (await readFile(child.record.logFile, 'utf8')).includes('ready') ? true : undefined,
      { timeoutMs: 5_000 },
    );
    await sleep(50);
    const started = Date.now();
    await stopProcessGroup(child.record.pid, 300);
    expect(isProcessAlive(child.record.pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('stopAll stops every child it started', async () => {
    const supervisor = newSupervisor();
    const children = await Promise.all(
      [1, 2, 3].map(async (n) =>
        supervisor.start({
          name: `c${n}`,
          command: 'sleep',
          args: ['60'],
          logFile: await tempLog(),
        }),
      ),
    );
    await supervisor.stopAll(1_000);
    for (const child of children) expect(isProcessAlive(child.record.pid)).toBe(false);
  });
});

describe('process records', () => {
  it('never mistakes a recycled pid for our process: the executable must match', () => {
    const self = { name: 'me', pid: process.pid, command: process.execPath, args: [], logFile: '' };
    expect(isSameProcess(self)).toBe(true);
    expect(isSameProcess({ ...self, command: '/usr/bin/not-node' })).toBe(false);
  });

  it.each([
    { pid: 0, description: 'zero' },
    { pid: -5, description: 'negative' },
    { pid: 1.5, description: 'fractional' },
    { pid: 2 ** 22 + 7, description: 'above pid_max' },
  ])('treats a $description pid as not alive', ({ pid }) => {
    expect(isProcessAlive(pid)).toBe(false);
  });
});

describe('locateProcess: a part is followed by what it runs, not by the pid recorded at start', () => {
  it('finds a part restarted by someone else by its exact command line, and nothing once it is gone', async () => {
    const logFile = await tempLog();
    const marker = `tipstream-locate-${process.pid}-${Date.now()}`;
    const options = { name: 'part', command: 'sh', args: ['-c', `sleep 30 # ${marker}`], logFile };
    const first = newSupervisor().start(options);
    const recorded = first.record;
    expect(locateProcess(recorded)).toBe(recorded.pid);

    // Restarted by another command: the record still names the old pid.
    await first.stop(500);
    expect(locateProcess(recorded)).toBeUndefined();
    const second = newSupervisor().start(options);
    expect(second.record.pid).not.toBe(recorded.pid);
    expect(locateProcess(recorded)).toBe(second.record.pid);

    // Another command line (another run folder, another argument) is another part.
    expect(
      locateProcess({ ...recorded, args: ['-c', `sleep 30 # ${marker}-other`] }),
    ).toBeUndefined();
    await second.stop(500);
    expect(locateProcess(recorded)).toBeUndefined();
  });
});
