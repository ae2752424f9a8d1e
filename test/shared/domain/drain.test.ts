import { describe, expect, it } from 'vitest';
import { drain } from '../../../shared/domain/drain.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('drain', () => {
  it.each([
    { items: 0, concurrency: 3, peak: 0 },
    { items: 1, concurrency: 3, peak: 1 },
    { items: 10, concurrency: 1, peak: 1 },
    { items: 10, concurrency: 4, peak: 4 },
    { items: 3, concurrency: 8, peak: 3 },
    { items: 5, concurrency: 0, peak: 1 },
  ])(
    '$items items, $concurrency at once: each once, in order taken, at most $peak at once',
    async ({ items, concurrency, peak }) => {
      const taken: number[] = [];
      let running = 0;
      let highest = 0;
      await drain(
        Array.from({ length: items }, (_, i) => i),
        concurrency,
        async (item) => {
          taken.push(item);
          running += 1;
          highest = Math.max(highest, running);
          await tick();
          running -= 1;
        },
      );
      expect(taken).toEqual(Array.from({ length: items }, (_, i) => i));
      expect(highest).toBe(peak);
    },
  );

  it("takes nothing after a visit answers 'stop'; the items already taken finish", async () => {
    const finished: number[] = [];
    await drain([0, 1, 2, 3, 4, 5], 2, async (item) => {
      if (item === 2) return 'stop';
      await tick();
      finished.push(item);
    });
    // 0 and 1 start together; whichever worker is free first takes 2, which stops the drain.
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('falsy items are visited too', async () => {
    const seen: number[] = [];
    await drain([0, 0, 1], 2, async (item) => {
      seen.push(item);
    });
    expect(seen).toEqual([0, 0, 1]);
  });
  it('a visit that throws: nothing is taken after it, and the drain rejects once the taken items are done', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const drained = drain([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 0) throw new Error('boom');
      await tick();
      finished.push(item);
    });
    await expect(drained).rejects.toThrow('boom');
    // 1 was taken with 0 and finished before the rejection; the other worker took nothing more.
    expect(finished).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });
});
