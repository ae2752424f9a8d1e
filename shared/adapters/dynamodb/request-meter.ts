import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What a metered client sent: requests by operation, and transactions cancelled by conflicts. */
export interface DynamoRequestCounts {
  /** Requests by operation (`TransactWriteItems`, `GetItem`, …), each `send` once. */
  requests: Record<string, number>;
  /**
   * Transactions cancelled by `TransactionConflict`, by the item that conflicted: budget counters
   * by kind (`budgets global#…`, `budgets platform#…`), other tables by name.
   */
  conflicts: Record<string, number>;
}

type Reason = { Code?: string };
type TransactItem = Record<string, { TableName?: string; Key?: Record<string, unknown> }>;

/** The item a transaction item writes, named for the counts: its table and, for budgets, kind. */
const itemKind = (item: TransactItem | undefined, budgetsTable: string): string => {
  const op = item && Object.values(item)[0];
  if (!op?.TableName) return 'unknown';
  if (op.TableName !== budgetsTable) return op.TableName;
  // Marshalled (`{S: …}`) or not, depending on where the document client's middleware runs.
  const raw = op.Key?.budgetKey as string | { S?: string } | undefined;
  const key = String((typeof raw === 'object' ? raw.S : raw) ?? '');
  return `budgets ${key.slice(0, key.indexOf('#') + 1)}…`;
};

/**
 * Counts the requests `client` sends and the transaction conflicts it meets, by an SDK middleware
 * (benchmarks read it: DynamoDB requests per accepted tip, and whether budgets contend).
 */
export const meterDynamoRequests = (
  client: DynamoDBClient,
  budgetsTable: string,
): { counts(): DynamoRequestCounts } => {
  const requests: Record<string, number> = {};
  const conflicts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests[operation] = (requests[operation] ?? 0) + 1;
      try {
        return await next(args);
      } catch (error) {
        const reasons = (error as { CancellationReasons?: Reason[] }).CancellationReasons ?? [];
        const items = (args.input as { TransactItems?: TransactItem[] }).TransactItems ?? [];
        reasons.forEach((reason, i) => {
          if (reason.Code !== 'TransactionConflict') return;
          const kind = itemKind(items[i], budgetsTable);
          conflicts[kind] = (conflicts[kind] ?? 0) + 1;
        });
        throw error;
      }
    },
    { step: 'initialize', name: 'tipstreamRequestMeter' },
  );
  return { counts: () => ({ requests: { ...requests }, conflicts: { ...conflicts } }) };
};
