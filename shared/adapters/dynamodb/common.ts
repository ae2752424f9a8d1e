import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError } from '../../ports/activity.js';

/** The document client every adapter uses: optional attributes left out, never stored as null. */
export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A conditional write (or a transaction) refused because a condition did not hold. */
export const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/**
 * Whether a transaction was cancelled by the condition of its requests-table item alone (every
 * other item's condition held): the word about the request that the item checked was wrong.
 */
export const onlyRequestCheckFailed = (
  error: unknown,
  items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  requestsTable: string,
) => {
  if (!(error instanceof TransactionCanceledException)) return false;
  const failed = (error.CancellationReasons ?? []).flatMap((reason, i) =>
    reason.Code === 'ConditionalCheckFailed' ? [i] : [],
  );
  return (
    failed.length > 0 &&
    failed.every((i) => {
      const item = items[i];
      const table = (item?.Update ?? item?.ConditionCheck ?? item?.Put)?.TableName;
      return table === requestsTable;
    })
  );
};

const isConflictOnly = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict') &&
  !isConditionFailure(error);

/**
 * Runs a transaction, retrying with jitter while it is cancelled only by concurrent transactions
 * on the same items ("TransactionConflict": shared budget counters, a batch's progress item). A
 * failed condition is an answer and is thrown at once.
 */
export const transactWithRetry = async (
  doc: DynamoDBDocumentClient,
  items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  maxAttempts = 20,
): Promise<void> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!isConflictOnly(error) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25 * attempt));
    }
  }
};

/**
 * Calls a batch operation until DynamoDB has processed every request in it: what comes back
 * unprocessed (throttling) is sent again after a growing pause, up to 10 retries.
 */
export const untilProcessed = async <T>(
  requests: T[],
  call: (pending: T[]) => Promise<T[]>,
  what: string,
): Promise<void> => {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt > 10) throw new Error(`DynamoDB kept throttling ${what}; retry the request`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    pending = await call(pending);
  }
};

/** A query's LastEvaluatedKey as an opaque page cursor. */
export const encodeCursor = (key: Record<string, unknown> | undefined) =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;

/**
 * Back to an ExclusiveStartKey. With `expected` (cursors a client sends back), a cursor this API
 * did not hand out for this query is refused before it reaches DynamoDB: exactly the `keys`
 * attributes, each a non-empty string, and the `fixed` ones (the query's partition) equal, so a
 * crafted cursor can neither read another platform's items nor become a DynamoDB error (a 500).
 */
export const decodeCursor = (
  cursor: string | undefined,
  expected?: { keys: readonly string[]; fixed: Record<string, string>; what: string },
): Record<string, unknown> | undefined => {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {}
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const key = value as Record<string, unknown>;
    if (!expected) return key;
    const names = Object.keys(key).sort();
    const wanted = [...expected.keys].sort();
    if (
      names.join('\n') === wanted.join('\n') &&
      names.every((name) => {
        const item = key[name];
        return typeof item === 'string' && item.length > 0 && item.length <= 1024;
      }) &&
      Object.entries(expected.fixed).every(([name, item]) => key[name] === item)
    ) {
      return key;
    }
  }
  throw new InvalidCursorError(
    `cursor is not one this API returned${expected ? ` for ${expected.what}` : ''}; use the \`next\` link as given`,
  );
};
