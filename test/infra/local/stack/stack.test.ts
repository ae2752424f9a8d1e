import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../../../infra/local/stack/config.js';
import { silentProgress } from '../../../../infra/local/stack/progress.js';
import { checkStackHealth, stackDown } from '../../../../infra/local/stack/stack.js';
import type { StackFile } from '../../../../shared/config/stack-file.js';

const deadStack = (runDir: string): StackFile => ({
  version: 1,
  startedAt: '2026-11-24T00:00:00.000Z',
  runDir,
  region: 'us-east-1',
  dynamodb: { endpoint: 'http://127.0.0.1:1', local: true },
  sqs: {
    endpoint: 'http://127.0.0.1:1',
    tipsQueueUrl: 'http://127.0.0.1:1/q',
    tipsDlqUrl: 'http://127.0.0.1:1/dlq',
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 30,
    local: true,
  },
  lightning: {
    network: 'regtest',
    operator: 'alice',
    nodes: [],
    channels: [],
    binaries: null,
    bitcoin: null,
  },
  // pid_max on Linux is at most 2^22: this pid cannot exist.
  processes: [
    { name: 'lnd-alice', pid: 2 ** 22 + 11, command: 'lnd', args: [], logFile: '/dev/null' },
  ],
});

describe('stack health and stop', () => {
  it('reports a recorded process that is gone, by name and pid', async () => {
    const problems = await checkStackHealth(deadStack('/run'));
    expect(problems).toEqual([`lnd-alice (pid ${2 ** 22 + 11}) is not running`]);
  });

  it('does not reuse a regtest network made by an older version without the nodes tests need', async () => {
    const older = { ...deadStack('/run'), processes: [] };
    older.lightning = {
      ...older.lightning,
      nodes: ['alice', 'bob', 'carol', 'dave', 'erin'].map((name) => ({
        name,
        role: 'creator' as const,
        pubkey: `02${'11'.repeat(32)}`,
        socket: '127.0.0.1:1',
        certPath: '/dev/null',
        macaroonPath: '/dev/null',
      })),
    };
    expect(await checkStackHealth(older)).toEqual([
      'the regtest network has no frank, grace (made by an older Tipstream)',
    ]);
  });

  it('stack:down forgets a dead stack and says when there was nothing to stop', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'tipstream-down-'));
    const config = readStackConfig({ TIPSTREAM_RUN_DIR: runDir }, process.cwd());
    await writeFile(join(runDir, 'stack.json'), JSON.stringify(deadStack(runDir)));
    expect(await stackDown(config, silentProgress)).toBe(true);
    expect(await stackDown(config, silentProgress)).toBe(false);
  });
});
