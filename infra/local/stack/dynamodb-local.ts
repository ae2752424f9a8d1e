import { mkdir } from 'node:fs/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import type { RunningProcess, Supervisor } from './supervisor.js';

/**
 * Starts DynamoDB Local with its data on disk (`-dbPath`), so a restart keeps the tables, and
 * `-sharedDb` so every client sees one database whatever its credentials or region.
 */
export const startDynamoDbLocal = async (
  supervisor: Supervisor,
  options: {
    javaBin: string;
    libDir: string;
    dataDir: string;
    logFile: string;
    port: number;
    region: string;
  },
  timeoutMs: number,
): Promise<{ process: RunningProcess; endpoint: string }> => {
  await mkdir(options.dataDir, { recursive: true });
  const running = supervisor.start({
    name: 'dynamodb-local',
    command: options.javaBin,
    args: [
      '-Xmx512m',
      // sqlite4java loads its native library from here (Maven puts the .so beside the jars).
      `-Dsqlite4java.library.path=${options.libDir}`,
      '-cp',
      `${options.libDir}/*`,
      'software.amazon.dynamodb.services.local.main.ServerRunner',
      '-port',
      String(options.port),
      '-sharedDb',
      '-dbPath',
      options.dataDir,
      // Loopback only: no telemetry calls out of the machine.
      '-disableTelemetry',
    ],
    // It writes dynamodb-local-metadata.json into its working directory: keep that with its data.
    cwd: options.dataDir,
    logFile: options.logFile,
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoDbClient(endpoint, options.region);
  try {
    await running.waitUntil(
      'DynamoDB Local to answer ListTables',
      async () => (await client.send(new ListTablesCommand({}))).TableNames,
      { timeoutMs, intervalMs: 300 },
    );
  } finally {
    client.destroy();
  }
  return { process: running, endpoint };
};
