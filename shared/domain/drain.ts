/**
 * Takes `items` in order with at most `concurrency` at once, each worker taking the next when done
 * with one. `visit` returning `'stop'` ends the drain: no item is taken after it, and the items
 * already taken finish. Resolves when every taken item is done.
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
      if ((await visit(queue.shift() as T)) === 'stop') stopped = true;
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker),
  );
};
