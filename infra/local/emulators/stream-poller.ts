import { setTimeout as sleep } from 'node:timers/promises';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { LOCAL_CREDENTIALS } from '../../../shared/config/aws.js';
import { lambdaContext } from './poller.js';

type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

/** A streams client of the local stack's DynamoDB Local. */
export const localStreamsClient = (endpoint: string, region: string) =>
  new DynamoDBStreamsClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

/**
 * Where reading a shard stands: the next iterator (`undefined` once the shard is closed) and the
 * last sequence number read, to start again right after it when an iterator goes stale.
 */
export type Cursors = Map<string, { iterator: string | undefined; lastSequence?: string }>;

const shardsOf = async (streams: DynamoDBStreamsClient, streamArn: string) => {
  const shards: { id: string; parent: string | undefined }[] = [];
  let start: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      if (shard.ShardId) shards.push({ id: shard.ShardId, parent: shard.ParentShardId });
    }
    start = StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return shards;
};

const iteratorAt = async (
  streams: DynamoDBStreamsClient,
  streamArn: string,
  shardId: string,
  after: string | undefined,
) => {
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shardId,
      ...(after
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
        : { ShardIteratorType: 'TRIM_HORIZON' }),
    }),
  );
  return ShardIterator;
};

/** An iterator DynamoDB (Local) no longer serves: expired, or pointing at trimmed records. */
const isStaleIterator = (error: unknown) =>
  error instanceof Error &&
  (error.name === 'TrimmedDataAccessException' || error.name === 'ExpiredIteratorException');

/**
 * One pass over a stream: finds shards not seen yet (a child only once its parent is closed, so a
 * key's records stay in order) and reads each open shard once. Returns the records in shard order
 * and how many requests that took. `cursors` carries the position between passes. A stale
 * iterator is replaced by one right after the last record read (or the shard's oldest record):
 * a record may come twice then, never not at all.
 */
export const readStreamOnce = async (
  streams: DynamoDBStreamsClient,
  streamArn: string,
  cursors: Cursors,
  limit = 100,
): Promise<{ records: _Record[]; requests: number }> => {
  let requests = 1;
  for (const shard of await shardsOf(streams, streamArn)) {
    if (cursors.has(shard.id)) continue;
    const parentOpen = shard.parent !== undefined && cursors.get(shard.parent)?.iterator;
    if (parentOpen) continue;
    requests += 1;
    cursors.set(shard.id, { iterator: await iteratorAt(streams, streamArn, shard.id, undefined) });
  }
  const records: _Record[] = [];
  for (const [shardId, cursor] of cursors) {
    if (!cursor.iterator) continue;
    requests += 1;
    try {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: limit }),
      );
      const last = Records.at(-1)?.dynamodb?.SequenceNumber ?? cursor.lastSequence;
      cursors.set(shardId, { iterator: NextShardIterator, lastSequence: last });
      records.push(...Records);
    } catch (error) {
      if (!isStaleIterator(error)) throw error;
      requests += 1;
      let iterator: string | undefined;
      try {
        iterator = await iteratorAt(streams, streamArn, shardId, cursor.lastSequence);
      } catch (again) {
        if (!isStaleIterator(again)) throw again;
        iterator = await iteratorAt(streams, streamArn, shardId, undefined);
      }
      cursors.set(shardId, { iterator, lastSequence: cursor.lastSequence });
    }
  }
  return { records, requests };
};

export interface StreamPollerOptions {
  streams: DynamoDBStreamsClient;
  /** The streams to read (the tips and batches tables' LatestStreamArn). */
  streamArns: string[];
  handler: StreamHandler;
  /** Records per invocation (the event source mapping's BatchSize). */
  batchSize: number;
  /** The function timeout: what `getRemainingTimeInMillis` counts down from. */
  functionTimeoutMs: number;
  /**
   * Pause after a pass that found nothing, doubled up to `maxIdleMs` while the streams stay
   * quiet: DynamoDB Local is one SQLite database, and GetRecords in a tight loop takes its lock
   * away from the writers (see `npm run bench:streams`).
   */
  idleMs?: number;
  maxIdleMs?: number;
  functionName?: string;
  onError?: (error: unknown) => void;
}

/**
 * Feeds a Lambda DynamoDB Streams handler from DynamoDB Local's streams with the event source
 * mapping's rules: records of a shard in order, a batch per invocation, a thrown error (or a
 * reported batch item failure) retries the batch from the failed record on, and the position moves
 * on only past records the handler took. It starts at TRIM_HORIZON: what changed while no
 * dispatcher ran is still delivered (the handler is idempotent per change).
 */
export const startStreamPoller = (options: StreamPollerOptions) => {
  const functionName = options.functionName ?? 'tipstream-dispatcher';
  const idleMs = options.idleMs ?? 200;
  const maxIdleMs = options.maxIdleMs ?? 1000;
  let running = true;
  const wake = new AbortController();

  const invoke = async (records: DynamoDBRecord[]): Promise<number> => {
    try {
      const response = await options.handler(
        { Records: records },
        lambdaContext(functionName, options.functionTimeoutMs),
      );
      const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
      if (failed === undefined) return records.length;
      const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
      return index < 0 ? 0 : index;
    } catch (error) {
      options.onError?.(error);
      return 0;
    }
  };

  const loops = options.streamArns.map(async (streamArn) => {
    const cursors: Cursors = new Map();
    let pending: DynamoDBRecord[] = [];
    let pause = idleMs;
    while (running) {
      try {
        if (pending.length === 0) {
          const { records } = await readStreamOnce(options.streams, streamArn, cursors, 1000);
          pending = records.map((record) => ({
            ...(record as DynamoDBRecord),
            eventSourceARN: streamArn,
          }));
        }
        if (pending.length === 0) {
          await sleep(pause, undefined, { signal: wake.signal }).catch(() => {});
          pause = Math.min(maxIdleMs, pause * 2);
          continue;
        }
        pause = idleMs;
        const batch = pending.slice(0, options.batchSize);
        const taken = await invoke(batch);
        pending = pending.slice(taken);
        if (taken < batch.length)
          await sleep(idleMs, undefined, { signal: wake.signal }).catch(() => {});
      } catch (error) {
        if (!running) break;
        options.onError?.(error);
        await sleep(500, undefined, { signal: wake.signal }).catch(() => {});
      }
    }
  });

  return {
    /** Stops reading; an invocation in progress finishes first. */
    async stop() {
      running = false;
      wake.abort();
      await Promise.all(loops);
    },
  };
};
