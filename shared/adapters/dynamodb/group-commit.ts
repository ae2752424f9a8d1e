import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** DynamoDB's limit on the items of one TransactWriteItems (DynamoDB Local 3.x takes 100 too). */
export const MAX_TRANSACT_ITEMS = 100;
/**
 * DynamoDB's limit on a transaction's size is 4 MB of items; a group stops short of it, measured
 * on the items as sent (the request's JSON, a little more than the items themselves).
 */
const MAX_GROUP_BYTES = 3_500_000;

/**
 * An unconditional update that only adds to numbers and sets values (`ADD a :x, b :y SET c = :z`):
 * the shape of every counter a tip's end changes (recipient totals, hourly counters, batch
 * progress, budgets). Two of them on one item merge into one update.
 */
const COUNTER =
  /^ADD ((?:[\w#]+ :\w+)(?:, [\w#]+ :\w+)*)(?: SET ((?:[\w#]+ = :\w+)(?:, [\w#]+ = :\w+)*))?$/;

interface Counter {
  /** Placeholders of the ADD clause (summed) and of the SET clause (the greatest kept). */
  added: string[];
  set: string[];
}

const counterOf = (item: TransactItem): Counter | undefined => {
  const update = item.Update;
  if (!update || update.ConditionExpression !== undefined) return undefined;
  const match = COUNTER.exec(update.UpdateExpression ?? '');
  if (!match) return undefined;
  const placeholders = (clause: string | undefined) =>
    (clause ?? '').split(', ').flatMap((part) => (part ? [part.slice(part.indexOf(':'))] : []));
  return { added: placeholders(match[1]), set: placeholders(match[2]) };
};

type PutKey = (table: string, item: Record<string, unknown>) => Record<string, unknown>;

/** The item a transaction item writes or checks: its table and key (a Put's key: `putKey`). */
const itemKey = (item: TransactItem, putKey: PutKey) => {
  const keyed = item.Update ?? item.ConditionCheck ?? item.Delete;
  const [table, key] = item.Put
    ? [item.Put.TableName, putKey(item.Put.TableName ?? '', item.Put.Item ?? {})]
    : [keyed?.TableName, keyed?.Key ?? {}];
  const sorted = Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${table}\n${JSON.stringify(sorted)}`;
};

/**
 * `a` and `b` (counter updates of one item, the same expression) as one update: the ADDs summed,
 * each SET the greatest of the two (they are ISO times: the latest, the value the later of two
 * transactions would leave); `undefined` when they cannot merge exactly.
 */
const mergeCounters = (a: TransactItem, b: TransactItem): TransactItem | undefined => {
  const counter = counterOf(a);
  const x = a.Update;
  const y = b.Update;
  if (!counter || !x || !y || counterOf(b) === undefined) return undefined;
  if (
    x.UpdateExpression !== y.UpdateExpression ||
    JSON.stringify(x.ExpressionAttributeNames) !== JSON.stringify(y.ExpressionAttributeNames)
  ) {
    return undefined;
  }
  const values: Record<string, unknown> = { ...x.ExpressionAttributeValues };
  for (const name of counter.added) {
    const [p, q] = [x.ExpressionAttributeValues?.[name], y.ExpressionAttributeValues?.[name]];
    if (typeof p !== 'number' || typeof q !== 'number') return undefined;
    // Exact or not at all: a sum a double cannot hold waits for another transaction.
    if (!Number.isSafeInteger(p) || !Number.isSafeInteger(q) || !Number.isSafeInteger(p + q)) {
      return undefined;
    }
    values[name] = p + q;
  }
  for (const name of counter.set) {
    const [p, q] = [x.ExpressionAttributeValues?.[name], y.ExpressionAttributeValues?.[name]];
    if (typeof p !== 'string' || typeof q !== 'string') return undefined;
    values[name] = p > q ? p : q;
  }
  return { Update: { ...x, ExpressionAttributeValues: values } };
};

/** The items of a group being built: one per item of DynamoDB, counters merged. */
class Group {
  readonly items = new Map<string, TransactItem>();
  readonly ids = new Set<string>();
  bytes = 0;

  constructor(private readonly putKey: PutKey) {}

  /**
   * Adds a member's items if they fit: its id not yet in the group, no item of it on an item of
   * the group other than a counter that merges, at most `MAX_TRANSACT_ITEMS` items and
   * `MAX_GROUP_BYTES` in all. Adds nothing otherwise.
   */
  add(id: string, items: TransactItem[], bytes: number): boolean {
    if (this.ids.has(id) || this.bytes + bytes > MAX_GROUP_BYTES) return false;
    const next = new Map<string, TransactItem>();
    for (const item of items) {
      const key = itemKey(item, this.putKey);
      const present = next.get(key) ?? this.items.get(key);
      if (present === undefined) {
        next.set(key, item);
        continue;
      }
      const merged = mergeCounters(present, item);
      if (!merged) return false;
      next.set(key, merged);
    }
    const added = [...next.keys()].filter((key) => !this.items.has(key)).length;
    if (this.items.size + added > MAX_TRANSACT_ITEMS) return false;
    for (const [key, item] of next) this.items.set(key, item);
    this.ids.add(id);
    this.bytes += bytes;
    return true;
  }
}

/**
 * Errors after which nothing of the transaction was applied: cancelled (a condition, a conflict
 * past `send`'s retries) or refused as invalid (a group DynamoDB would not take). The SDK retries a
 * transaction under one ClientRequestToken, so a cancellation also means no earlier try of it
 * applied: DynamoDB answers a repeated token whose transaction applied with that success.
 */
const nothingApplied = (error: unknown) =>
  error instanceof TransactionCanceledException ||
  (error instanceof Error && error.name === 'ValidationException');

/**
 * How long a queued end waits for the transaction in flight before it goes in a transaction of its
 * own beside it: a request that hangs (the SDK's socket timeout is 5 minutes, times its retries)
 * stalls no other tip's end for longer than this. Concurrent transactions are safe (each guarded
 * by its own conditions, conflicts retried by `send`); one at a time is only the batching policy.
 */
export const STALLED_AFTER_MS = 1_000;

interface Member {
  id: string;
  items: TransactItem[];
  bytes: number;
  /** Starts another sender if the member is still queued after `STALLED_AFTER_MS`. */
  stalled: ReturnType<typeof setTimeout>;
  done: (outcome: 'committed' | 'alone') => void;
  failed: (error: unknown) => void;
}

/**
 * Group commit of transactions (one process's: the groups live in memory). A transaction that
 * finds none in flight is sent at once; while one is in flight the next ones queue, and when it
 * returns ONE TransactWriteItems carries every queued one that fits (`Group.add`; the first in the
 * queue always goes, so none waits forever). A member still queued `STALLED_AFTER_MS` after it
 * came (every transaction in flight that long: a slow or hung request) starts another sender, so a
 * hung request delays the other ends by that much, not by its timeout. A member learns:
 * - `committed`: its items applied, all or nothing with the group's;
 * - `alone`: the group applied nothing (cancelled, e.g. one member's condition failed, or
 *   refused): the member sends its own transaction, as without grouping, and gets its own answer;
 * - an error: the group's outcome is unknown (a network error, a timeout, a server error after the
 *   SDK's retries): every member gets it, as a lone transaction's caller would. Whatever retries a
 *   member later (a redelivery, the reconciler) finds the tip ended or not by the guards.
 * A group of one member sends exactly the member's items and passes DynamoDB's answer through.
 */
export const createGroupCommit = (
  send: (items: TransactItem[]) => Promise<void>,
  putKey: PutKey,
) => {
  const queue: Member[] = [];
  /** Senders running (`flush` loops): one, more only while a transaction is stalled. */
  let senders = 0;

  const take = (): { members: Member[]; items: TransactItem[] } => {
    const group = new Group(putKey);
    const first = queue.shift() as Member;
    clearTimeout(first.stalled);
    // The first always goes: alone, when its own items are past the bounds (DynamoDB answers it
    // as it would answer it without grouping).
    if (!group.add(first.id, first.items, first.bytes))
      return { members: [first], items: first.items };
    const members = [first];
    for (let i = 0; i < queue.length; ) {
      const member = queue[i] as Member;
      if (group.add(member.id, member.items, member.bytes)) {
        members.push(member);
        clearTimeout(member.stalled);
        queue.splice(i, 1);
      } else {
        i += 1;
      }
    }
    return { members, items: members.length === 1 ? first.items : [...group.items.values()] };
  };

  const flush = async () => {
    senders += 1;
    try {
      while (queue.length > 0) {
        const { members, items } = take();
        try {
          await send(items);
          for (const member of members) member.done('committed');
        } catch (error) {
          for (const member of members) {
            if (members.length > 1 && nothingApplied(error)) member.done('alone');
            else member.failed(error);
          }
        }
      }
    } finally {
      senders -= 1;
    }
  };

  /** Commits `items` (a transaction of member `id`), grouped with others while one is in flight. */
  return async (id: string, items: TransactItem[]): Promise<void> => {
    const outcome = await new Promise<'committed' | 'alone'>((done, failed) => {
      // Measured as JSON; a BigInt (the document client writes it as a number) as its digits.
      const bytes = Buffer.byteLength(
        JSON.stringify(items, (_, value) => (typeof value === 'bigint' ? value.toString() : value)),
      );
      const member: Member = {
        id,
        items,
        bytes,
        done,
        failed,
        stalled: setTimeout(() => {
          if (queue.includes(member)) void flush();
        }, STALLED_AFTER_MS),
      };
      queue.push(member);
      if (senders === 0) void flush();
    });
    if (outcome === 'alone') await send(items);
  };
};
