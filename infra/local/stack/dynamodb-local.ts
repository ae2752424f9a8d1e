import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { EMULATOR_JVM_FLAGS } from './config.js';
import type { RunningProcess, Supervisor } from './supervisor.js';

/**
 * DynamoDB Local's command line: the jars in `libDir`, one database for every client
 * (`-sharedDb`), kept in `dataDir` or (`inMemory`) in memory only, on loopback's `port`.
 */
export const dynamoDbLocalArgs = (options: {
  libDir: string;
  port: number;
  dataDir: string;
  inMemory?: boolean;
}) => [
  '-Xmx512m',
  ...EMULATOR_JVM_FLAGS,
  // sqlite4java loads its native library from here (Maven puts the .so beside the jars).
  `-Dsqlite4java.library.path=${options.libDir}`,
  '-cp',
  `${options.libDir}/*`,
  'software.amazon.dynamodb.services.local.main.ServerRunner',
  '-port',
  String(options.port),
  '-sharedDb',
  ...(options.inMemory ? ['-inMemory'] : ['-dbPath', options.dataDir]),
  // Loopback only: no telemetry calls out of the machine.
  '-disableTelemetry',
];

/** Where DynamoDB Local keeps a `-sharedDb` database under `-dbPath`. */
const sharedDbFile = (dataDir: string) => join(dataDir, 'shared-local-instance.db');

/**
 * The index DynamoDB Local's stream records lack. It keeps every stream record of every table in
 * one SQLite table (`us`, keyed by sequence number only, records kept 24 hours, also those of
 * deleted tables), and every write to a table with a stream looks that table up by stream id: a
 * scan of all of them. Writes slowed as records piled up: a PutItem to a new streamed table took
 * 66-83 ms after 22,000 records (one morning of `bench:payer`), 3.3 without a stream; the
 * "database grown to 284 MB" slowness of the integration runs (134-290 ms writes) was this.
 * With this index: 3.3-5.0 ms, however many records. DynamoDB Local uses an index created beside
 * it at once (SQLite re-plans). Idempotent; false when there is nothing to index (an in-memory
 * DynamoDB Local, or a version without that table: the writes are then as DynamoDB Local makes
 * them).
 */
export const indexStreamRecords = (dataDir: string): boolean => {
  const file = sharedDbFile(dataDir);
  if (!existsSync(file)) return false;
  const db = new DatabaseSync(file, { timeout: 10_000 });
  try {
    const columns = db.prepare("SELECT name FROM pragma_table_info('us')").all();
    if (!columns.some((column) => column.name === 'StreamID')) return false;
    db.exec('CREATE INDEX IF NOT EXISTS tipstream_us_stream_id ON us (StreamID)');
    return true;
  } finally {
    db.close();
  }
};

/**
 * `indexStreamRecords` for a stack that must come up anyway: a failure (the database locked past
 * the timeout, a file it cannot open) is told, not thrown: the writes are then only slower.
 */
export const tryIndexStreamRecords = (dataDir: string, warn: (message: string) => void) => {
  try {
    indexStreamRecords(dataDir);
  } catch (error) {
    warn(
      `could not index DynamoDB Local's stream records (${error instanceof Error ? error.message : String(error)}): writes to the tips and batches tables will slow down as records pile up; "npm run stack:down && npm run stack:up" tries again`,
    );
  }
};

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
    /** Where a problem that does not stop the start is told (the stack's progress). */
    warn: (message: string) => void;
  },
  timeoutMs: number,
): Promise<{ process: RunningProcess; endpoint: string }> => {
  await mkdir(options.dataDir, { recursive: true });
  const running = supervisor.start({
    name: 'dynamodb-local',
    command: options.javaBin,
    args: dynamoDbLocalArgs(options),
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
  tryIndexStreamRecords(options.dataDir, options.warn);
  return { process: running, endpoint };
};

/**
 * Bytes DynamoDB Local keeps in its data folder (its one SQLite file and what sits beside it);
 * 0 when there is no folder yet.
 */
export const dynamoDbDataBytes = async (dataDir: string): Promise<number> => {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const sizes = await Promise.all(
    names.map(async (name) => (await stat(join(dataDir, name))).size),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
};

/**
 * From this size on, the status says the database is large: at 284 MB DynamoDB Local's writes
 * took 134-290 ms instead of ~15 ms and its SQLite timed out waiting for a lock.
 */
export const LARGE_DYNAMODB_DATA_BYTES = 200 * 1024 * 1024;

/** The status line for DynamoDB Local's data: where, how big, and how to reset it when large. */
export const describeDynamoDbData = (dataDir: string, bytes: number): string => {
  const size = `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return bytes >= LARGE_DYNAMODB_DATA_BYTES
    ? `${dataDir} ${size}: large, DynamoDB Local slows down as it grows; "npm run stack:down", then delete that folder (the service's tips, payouts and platforms with it) for an empty one`
    : `${dataDir} ${size}`;
};
