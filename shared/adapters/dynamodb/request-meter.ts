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
  /**
   * Writes of budget counters by key (each item of a transaction or a single write counted, failed
   * ones too): the most written is the hot item every accepted tip would wait on.
   */
  budgetWrites: Record<string, number>;
}

type Reason = { Code?: string };
type Write = { TableName?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> };
type TransactItem = Record<string, Write>;

/** The budget key a write names: marshalled (`{S: …}`) or not, depending on the middleware order. */
const budgetKeyOf = (write: Write): string => {
  const raw = (write.Key ?? write.Item)?.budgetKey as string | { S?: string } | undefined;
  return String((typeof raw === 'object' ? raw.S : raw) ?? '');
};

/** The item a transaction item writes, named for the counts: its table and, for budgets, kind. */
const itemKind = (item: TransactItem | undefined, budgetsTable: string): string => {
  const op = item && Object.values(item)[0];
  if (!op?.TableName) return 'unknown';
  if (op.TableName !== budgetsTable) return op.TableName;
  const key = budgetKeyOf(op);
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
  const budgetWrites: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests[operation] = (requests[operation] ?? 0) + 1;
      const input = args.input as Write & { TransactItems?: TransactItem[] };
      const writes = input.TransactItems
        ? input.TransactItems.flatMap((item) => Object.values(item))
        : /^(Put|Update|Delete)/.test(operation)
          ? [input]
          : [];
      for (const write of writes) {
        if (write.TableName !== budgetsTable) continue;
        const key = budgetKeyOf(write);
        budgetWrites[key] = (budgetWrites[key] ?? 0) + 1;
      }
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
  return {
    counts: () => ({
      requests: { ...requests },
      conflicts: { ...conflicts },
      budgetWrites: { ...budgetWrites },
    }),
  };
};
