import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeDynamoDbData,
  dynamoDbDataBytes,
  indexStreamRecords,
  LARGE_DYNAMODB_DATA_BYTES,
  tryIndexStreamRecords,
} from '../../../../infra/local/stack/dynamodb-local.js';

describe('DynamoDB Local data size (stack:status)', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('adds up the files in the data folder; 0 when there is none yet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tipstream-dynamodb-size-'));
    dirs.push(dir);
    await writeFile(join(dir, 'shared-local-instance.db'), Buffer.alloc(3_000));
    await writeFile(join(dir, 'dynamodb-local-metadata.json'), Buffer.alloc(45));
    expect(await dynamoDbDataBytes(dir)).toBe(3_045);
    expect(await dynamoDbDataBytes(join(dir, 'not-started-yet'))).toBe(0);
  });

  it.each([
    { bytes: 0, text: '/d 0.0 MiB' },
    { bytes: 24 * 1024 * 1024 + 52_429, text: '/d 24.1 MiB' },
    { bytes: LARGE_DYNAMODB_DATA_BYTES - 1, text: '/d 200.0 MiB' },
  ])('says where and how big: $bytes bytes', ({ bytes, text }) => {
    expect(describeDynamoDbData('/d', bytes)).toBe(text);
  });

  it('from 200 MiB on, says it is large and how to start from an empty one', () => {
    const line = describeDynamoDbData('/d', 284 * 1024 * 1024);
    expect(line).toMatch(/^\/d 284\.0 MiB: large/);
    expect(line).toContain('"npm run stack:down", then delete that folder');
  });
});

describe("DynamoDB Local's stream records index (indexStreamRecords)", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  /** A data folder whose database has DynamoDB Local 3.x's stream records table, or `sql`. */
  const dataDir = async (sql?: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'tipstream-dynamodb-index-'));
    dirs.push(dir);
    if (sql !== undefined) {
      const db = new DatabaseSync(join(dir, 'shared-local-instance.db'));
      db.exec(sql);
      db.close();
    }
    return dir;
  };
  const DDB_LOCAL_US =
    'CREATE TABLE us (StreamID TEXT, ShardID TEXT, SequenceNumber INTEGER, CreationDateTime INTEGER, StreamRecord BLOB, OperationType TEXT, PRIMARY KEY(SequenceNumber))';
  const plan = (dir: string) => {
    const db = new DatabaseSync(join(dir, 'shared-local-instance.db'), { readOnly: true });
    try {
      return db
        .prepare('EXPLAIN QUERY PLAN SELECT COUNT(1) FROM us WHERE StreamID = ?')
        .all('s')
        .map((step) => String(step.detail))
        .join('; ');
    } finally {
      db.close();
    }
  };

  it('indexes the records by stream id, once however often it runs', async () => {
    const dir = await dataDir(DDB_LOCAL_US);
    expect(plan(dir)).toMatch(/SCAN us/);
    expect(indexStreamRecords(dir)).toBe(true);
    expect(indexStreamRecords(dir)).toBe(true);
    expect(plan(dir)).toMatch(/USING (COVERING )?INDEX tipstream_us_stream_id/);
  });

  it('does nothing where there is nothing to index: no database yet, or no such table', async () => {
    const empty = await dataDir();
    expect(indexStreamRecords(empty)).toBe(false);
    expect(await dynamoDbDataBytes(empty)).toBe(0);
    expect(indexStreamRecords(await dataDir('CREATE TABLE other (x TEXT)'))).toBe(false);
  });

  it('tells, and does not throw, when the database cannot be read: the stack comes up anyway', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, 'shared-local-instance.db'), 'not a database, not even close');
    const warnings: string[] = [];
    tryIndexStreamRecords(dir, (message) => warnings.push(message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not index DynamoDB Local's stream records \(.+\): writes/);
  });
});
