import pLimit from 'p-limit';

/**
 * Runs `call` on consecutive chunks of `items` (the most one batch API call takes), at most
 * `concurrency` at once. For the batch APIs of DynamoDB and SQS, where a 10,000-row payout is
 * hundreds of calls and running them one after another would take most of an API request's time.
 */
export const inChunks = async <T>(
  items: readonly T[],
  size: number,
  call: (chunk: T[]) => Promise<void>,
  concurrency = 8,
): Promise<void> => {
  const limit = pLimit(concurrency);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  await Promise.all(chunks.map((chunk) => limit(() => call(chunk))));
};
