/**
 * What DynamoDB Streams cost DynamoDB Local's writes, and what a stream reader adds.
 *   npm run bench:streams -- [writes=2000] [concurrency=20]
 * Each scenario starts its own DynamoDB Local (the stack's jars, a free port, a fresh database),
 * creates the tips table as the stack does (with or without a stream), and times PutItems of a
 * tip-sized item while a stream reader (none, one polling every shard with no pause, or the
 * dispatcher's own reader that pauses when a shard is empty) runs beside the writers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAMES, tableDefinitions } from '../../../shared/adapters/dynamodb/tables.js';
import { type Cursors, localStreamsClient, readStreamOnce } from '../emulators/stream-poller.js';
import { type ScratchStorage, startScratchDynamoDb } from './scratch-dynamodb.js';

type Storage = ScratchStorage;
type StreamView = 'none' | 'KEYS_ONLY' | 'NEW_AND_OLD_IMAGES';
type Reader = 'none' | 'hammer' | 'backoff';
type Write = 'put' | 'transact';

const [writesArg = '2000', concurrencyArg = '20'] = process.argv.slice(2);
const writes = Number(writesArg);
const concurrency = Number(concurrencyArg);

const scenario = async (storage: Storage, view: StreamView, reader: Reader, write: Write) => {
  const local = await startScratchDynamoDb(storage);
  try {
    const [tips, payouts] = tableDefinitions(LOCAL_TABLE_NAMES);
    if (!tips || !payouts) throw new Error('no tips or payouts table definition');
    await local.client.send(new CreateTableCommand(payouts));
    const created = await local.client.send(
      new CreateTableCommand({
        ...tips,
        ...(view === 'none'
          ? {}
          : { StreamSpecification: { StreamEnabled: true, StreamViewType: view } }),
      }),
    );
    const streamArn = created.TableDescription?.LatestStreamArn;
    const streams = localStreamsClient(local.endpoint, local.region);
    const stopReader = new AbortController();
    let records = 0;
    let reads = 0;
    const readerDone =
      reader === 'none' || !streamArn
        ? Promise.resolve()
        : (async () => {
            const cursors: Cursors = new Map();
            while (!stopReader.signal.aborted) {
              const result = await readStreamOnce(streams, streamArn, cursors);
              records += result.records.length;
              reads += result.requests;
              if (reader === 'backoff' && result.records.length === 0) await sleep(250);
            }
          })();
    const item = (i: number) => ({
      tipId: { S: `tip-${i}` },
      state: { S: 'SUCCEEDED' },
      platformId: { S: 'bench' },
      createdAt: { S: new Date(1_700_000_000_000 + i).toISOString() },
      recipient: { S: `02${'ab'.repeat(32)}` },
      amountMsat: { N: '1000' },
      receipt: { S: 'x'.repeat(600) },
    });
    let next = 0;
    let done = 0;
    const window = Math.max(1, Math.floor(writes / 4));
    const windows: number[] = [];
    let windowStart = performance.now();
    const started = windowStart;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < writes) {
          const i = next++;
          if (write === 'put') {
            await local.client.send(
              new PutItemCommand({ TableName: LOCAL_TABLE_NAMES.tips, Item: item(i) }),
            );
          } else {
            // As the ledger records a paid tip: the tip and the recipient's totals together.
            await local.client.send(
              new TransactWriteItemsCommand({
                TransactItems: [
                  { Put: { TableName: LOCAL_TABLE_NAMES.tips, Item: item(i) } },
                  {
                    Update: {
                      TableName: LOCAL_TABLE_NAMES.payouts,
                      Key: { recipient: { S: `r-${i % 200}` } },
                      UpdateExpression: 'ADD paidMsat :amount',
                      ExpressionAttributeValues: { ':amount': { N: '1000' } },
                    },
                  },
                ],
              }),
            );
          }
          done += 1;
          if (done % window === 0) {
            const now = performance.now();
            windows.push(Math.round((window * 1000) / (now - windowStart)));
            windowStart = now;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Let the reader catch up, to count what the stream holds.
    if (reader !== 'none') await sleep(1500);
    stopReader.abort();
    await readerDone;
    streams.destroy();
    return {
      storage,
      view,
      reader,
      write,
      writesPerSecond: Math.round(writes / seconds),
      /** Writes per second in each quarter of the run: does the stream's growth slow writes? */
      byQuarter: windows,
      streamRecords: records,
      getRecordsCalls: reads,
    };
  } finally {
    await local.stop();
  }
};

const scenarios: [Storage, StreamView, Reader][] = [
  ['dbPath', 'none', 'none'],
  ['dbPath', 'NEW_AND_OLD_IMAGES', 'none'],
  ['dbPath', 'KEYS_ONLY', 'none'],
  ['dbPath', 'NEW_AND_OLD_IMAGES', 'hammer'],
  ['dbPath', 'NEW_AND_OLD_IMAGES', 'backoff'],
  ['inMemory', 'none', 'none'],
  ['inMemory', 'NEW_AND_OLD_IMAGES', 'none'],
  ['inMemory', 'NEW_AND_OLD_IMAGES', 'hammer'],
  ['inMemory', 'NEW_AND_OLD_IMAGES', 'backoff'],
];
const only = process.env.BENCH_STREAMS_ONLY;
for (const [storage, view, reader] of scenarios) {
  for (const write of ['put', 'transact'] as const) {
    if (only && !`${storage}/${view}/${reader}/${write}`.includes(only)) continue;
    process.stdout.write(`${JSON.stringify(await scenario(storage, view, reader, write))}\n`);
  }
}
