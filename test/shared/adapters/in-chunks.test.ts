import { describe, expect, it } from 'vitest';
import { untilProcessed } from '../../../shared/adapters/dynamodb/common.js';
import { inChunks } from '../../../shared/adapters/in-chunks.js';

describe('inChunks', () => {
  it('hands over every item once, in chunks of at most the size, at most `concurrency` at once', async () => {
    const items = Array.from({ length: 1_003 }, (_, i) => i);
    const seen: number[][] = [];
    let running = 0;
    let most = 0;
    await inChunks(
      items,
      10,
      async (chunk) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(chunk);
        running -= 1;
      },
      4,
    );
    expect(seen).toHaveLength(101);
    expect(Math.max(...seen.map((chunk) => chunk.length))).toBe(10);
    expect(seen.flat().sort((a, b) => a - b)).toEqual(items);
    expect(most).toBe(4);
  });

  it('makes no call for no items', async () => {
    let calls = 0;
    await inChunks([], 25, async () => {
      calls += 1;
    });
    expect(calls).toBe(0);
  });
});

describe('untilProcessed', () => {
  it('sends again only what came back unprocessed, until nothing does', async () => {
    const sent: string[][] = [];
    await untilProcessed(
      ['a', 'b', 'c'],
      async (pending) => {
        sent.push(pending);
        return pending.slice(1);
      },
      'test rows',
    );
    expect(sent).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
  });

  it('gives up after 10 retries with a message naming what it was writing', async () => {
    let calls = 0;
    const always = async (pending: string[]) => {
      calls += 1;
      return pending;
    };
    await expect(untilProcessed(['a'], always, 'the batch rows')).rejects.toThrow(
      'DynamoDB kept throttling the batch rows; retry the request',
    );
    expect(calls).toBe(11);
  }, 10_000);
});
