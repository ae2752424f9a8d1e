/**
 * Takes `items` in order with at most `concurrency` at once, each worker taking the next when done
 * with one. `visit` returning `'stop'` ends the drain: no item is taken after it, and the items
 * already taken finish. Resolves when every taken item is done. A visit that throws ends it the
 * same way and the drain rejects with that error once the items already taken are done, so no
 * worker goes on taking items after the caller has seen the failure.
 */
export const drain = async <T>(
  items: readonly T[],
  concurrency: number,
  visit: (item: T) => Promise<unknown>,
): Promise<void> => {
  const queue = [...items];
  let stopped = false;
  const worker = async () => {
    while (!stopped && queue.length > 0) {
      try {
        if ((await visit(queue.shift() as T)) === 'stop') stopped = true;
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
};
