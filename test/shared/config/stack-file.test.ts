import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStackFile, type StackFile, stackNode } from '../../../shared/config/stack-file.js';

const node = (name: string, pubkey: string) => ({
  name,
  role: 'creator' as const,
  pubkey,
  socket: '127.0.0.1:10009',
  certPath: '/tls.cert',
  macaroonPath: '/admin.macaroon',
});

const stack: StackFile = {
  version: 1,
  startedAt: '2026-11-24T00:00:00.000Z',
  runDir: '/run',
  region: 'us-east-1',
  dynamodb: { endpoint: 'http://127.0.0.1:8000', local: true },
  sqs: {
    endpoint: 'http://127.0.0.1:9324',
    tipsQueueUrl: 'http://127.0.0.1:9324/000000000000/tipstream-tips',
    tipsDlqUrl: 'http://127.0.0.1:9324/000000000000/tipstream-tips-dlq',
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 30,
    local: true,
  },
  lightning: {
    network: 'regtest',
    operator: 'alice',
    nodes: [node('alice', `02${'a'.repeat(64)}`), node('carol', `03${'c'.repeat(64)}`)],
    channels: [],
    binaries: null,
    bitcoin: null,
  },
  processes: [],
};

const writeTemp = async (content: string) => {
  const path = join(await mkdtemp(join(tmpdir(), 'tipstream-stack-')), 'stack.json');
  await writeFile(path, content);
  return path;
};

describe('stack file', () => {
  it('reads back what stack:up writes', async () => {
    expect(await readStackFile(await writeTemp(JSON.stringify(stack)))).toEqual(stack);
  });

  it('is undefined when no stack was started', async () => {
    expect(await readStackFile(join(tmpdir(), 'no-such-dir', 'stack.json'))).toBeUndefined();
  });

  it('rejects a file from another version and says how to recover', async () => {
    const path = await writeTemp(JSON.stringify({ ...stack, version: 2 }));
    await expect(readStackFile(path)).rejects.toThrow(
      /run "npm run stack:down" then "npm run stack:up"/,
    );
  });

  it('rejects a node whose pubkey is not a compressed secp256k1 key', async () => {
    const bad = { ...stack, lightning: { ...stack.lightning, nodes: [node('alice', 'zz')] } };
    await expect(readStackFile(await writeTemp(JSON.stringify(bad)))).rejects.toThrow(
      /not a stack file/,
    );
  });

  it('finds nodes by name, and lists the names when one is missing', () => {
    expect(stackNode(stack, 'carol').pubkey).toBe(`03${'c'.repeat(64)}`);
    expect(() => stackNode(stack, 'mallory')).toThrow(
      'no lightning node "mallory" in the stack (nodes: alice, carol)',
    );
  });
});
