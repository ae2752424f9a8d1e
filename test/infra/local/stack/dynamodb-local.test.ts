import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeDynamoDbData,
  dynamoDbDataBytes,
  LARGE_DYNAMODB_DATA_BYTES,
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
