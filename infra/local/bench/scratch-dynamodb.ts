/**
 * A DynamoDB Local of a benchmark's own: the stack's jars and flags, a free port, a fresh
 * database (`-inMemory`, or on disk in a temporary folder as the stack keeps it), stopped and
 * removed by `stop()`. Shared by `npm run bench:streams` and `npm run bench:summary`, so a
 * benchmark neither fills nor disturbs the stack's own database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { PINNED, readStackConfig } from '../stack/config.js';
import { dynamoDbLocalArgs, indexStreamRecords } from '../stack/dynamodb-local.js';

export type ScratchStorage = 'inMemory' | 'dbPath';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('port')),
      );
    });
  });

export const startScratchDynamoDb = async (storage: ScratchStorage) => {
  const config = readStackConfig();
  const libDir = join(config.cacheDir, 'java', `dynamodb-local-${PINNED.dynamodbLocal}`, 'lib');
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'tipstream-scratch-dynamodb-'));
  const child: ChildProcess = spawn(
    config.javaBin,
    dynamoDbLocalArgs({ libDir, port, dataDir, inMemory: storage === 'inMemory' }),
    { cwd: dataDir, stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint, config.region);
  for (let tries = 0; ; tries += 1) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await sleep(200);
    }
  }
  if (storage === 'dbPath') indexStreamRecords(dataDir);
  return {
    endpoint,
    region: config.region,
    client,
    stop: async () => {
      client.destroy();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
