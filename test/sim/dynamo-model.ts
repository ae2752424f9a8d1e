/**
 * DynamoDB as the simulator's adapters meet it: an in-memory interpreter of the commands the
 * tip-ledger and intake adapters send through `DynamoDBDocumentClient.send` (conditions and update
 * expressions of the shapes they use), with DynamoDB's semantics: a conditional write applies or
 * fails as a whole, a transaction applies all of its items or none and says why per item
 * (`ConditionalCheckFailed`, `TransactionConflict`), and a request may be throttled or may apply
 * while its answer is lost. Which of those happens is the caller's (the world's) choice.
 *
 * Started from the interpreter of the hostile review's budget-release test (branch `review`).
 */
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAMES } from '../../shared/adapters/dynamodb/tables.js';

export type Item = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: command inputs are the SDK's loosely typed shapes
type Input = Record<string, any>;

export const TABLES = LOCAL_TABLE_NAMES;
const KEYS: Record<string, string> = {
  [TABLES.tips]: 'tipId',
  [TABLES.requests]: 'tipId',
  [TABLES.batches]: 'batchId',
  [TABLES.budgets]: 'budgetKey',
  [TABLES.payouts]: 'recipient',
  [TABLES.platforms]: 'platformId',
};
/** Sort keys of the indexes the adapters query. */
const INDEX_SORT: Record<string, string> = {
  'inFlight-sendingSince': 'sendingSince',
  'batchId-line': 'line',
};

/** What the world decided a request meets before it is applied. */
export type DynamoFault = 'none' | 'throttle' | 'conflict' | 'lost-answer';

/** A network error after the request was applied: the caller cannot tell whether it was. */
class LostAnswerError extends Error {
  override name = 'TimeoutError';
}

/** DynamoDB's answer to a request it refuses to run (the SDK names it by its error code). */
class ValidationError extends Error {
  override name = 'ValidationException';
}

const clone = <T>(value: T): T => structuredClone(value);
/** Like the document client with `removeUndefinedValues`: absent attributes are not stored. */
const stored = (item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));

export class DynamoModel {
  readonly tables = new Map<string, Map<string, Item>>();

  table(name: string): Map<string, Item> {
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  keyOf(name: string, key: Item): string {
    const attribute = KEYS[name];
    if (!attribute) throw new Error(`dynamo model: unknown table ${name}`);
    return String(key[attribute]);
  }

  get(name: string, key: Item): Item | undefined {
    return this.table(name).get(this.keyOf(name, key));
  }

  items(name: string): Item[] {
    return [...this.table(name).values()];
  }

  /** A short name of a command for traces: `UpdateCommand tips/T3`. */
  describe(
    command: { constructor: { name: string }; input: Input },
    alias: (id: string) => string,
  ) {
    const input = command.input;
    const name = command.constructor.name.replace('Command', '');
    const short = (table: string) => table.replace('tipstream-', '');
    if (name === 'TransactWrite') {
      const parts = (input.TransactItems as Input[]).map((entry) => {
        const op = entry.Put ?? entry.Update ?? entry.ConditionCheck;
        const key = entry.Put ? entry.Put.Item : op.Key;
        return `${short(op.TableName)}/${alias(this.keyOf(op.TableName, key))}`;
      });
      return `TransactWrite[${parts.join(' ')}]`;
    }
    if (input.Key)
      return `${name} ${short(input.TableName)}/${alias(this.keyOf(input.TableName, input.Key))}`;
    if (input.Item)
      return `${name} ${short(input.TableName)}/${alias(this.keyOf(input.TableName, input.Item))}`;
    return `${name} ${input.TableName ? short(input.TableName) : ''}`;
  }

  condition(expr: string | undefined, item: Item | undefined, names: Item = {}, values: Item = {}) {
    if (!expr) return true;
    const attr = (token: string) => String(names[token] ?? token);
    return expr.split(' OR ').some((disjunct) =>
      disjunct.split(' AND ').every((atom) => {
        const a = atom.trim();
        const fn = /^attribute_(not_exists|exists)\((.+)\)$/.exec(a);
        if (fn) {
          const present = item?.[attr(fn[2] as string)] !== undefined;
          return fn[1] === 'exists' ? present : !present;
        }
        const cmp = /^(\S+) (=|<=|<) (:\w+)$/.exec(a);
        if (!cmp) throw new Error(`dynamo model: condition ${a}`);
        const left = item?.[attr(cmp[1] as string)];
        const right = values[cmp[3] as string];
        if (left === undefined) return false;
        // Lists and maps compare by value, as DynamoDB's `=` does.
        if (cmp[2] === '=') return JSON.stringify(left) === JSON.stringify(right);
        return typeof left === 'number'
          ? cmp[2] === '<'
            ? left < Number(right)
            : left <= Number(right)
          : cmp[2] === '<'
            ? String(left) < String(right)
            : String(left) <= String(right);
      }),
    );
  }

  update(name: string, key: Item, expr: string, names: Item = {}, values: Item = {}): Item {
    const table = this.table(name);
    const id = this.keyOf(name, key);
    const item: Item = { ...(table.get(id) ?? clone(key)) };
    const attr = (token: string) => String(names[token] ?? token);
    for (const clause of expr.split(/(?=\b(?:SET|ADD|REMOVE)\s)/)) {
      const [verb, ...rest] = clause.trim().split(/\s+/);
      const parts = rest
        .join(' ')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      for (const part of parts) {
        if (verb === 'SET') {
          const [left, right] = part.split('=').map((side) => side.trim());
          const value = values[right as string];
          if (value === undefined) delete item[attr(left as string)];
          else item[attr(left as string)] = clone(value);
        } else if (verb === 'ADD') {
          const [left, right] = part.split(/\s+/);
          const current = item[attr(left as string)];
          item[attr(left as string)] = Number(current ?? 0) + Number(values[right as string]);
        } else if (verb === 'REMOVE') {
          delete item[attr(part)];
        } else {
          throw new Error(`dynamo model: update clause ${clause}`);
        }
      }
    }
    table.set(id, item);
    return item;
  }

  /**
   * Applies one command as DynamoDB would, after the world's `fault`: throttled requests and
   * transactions cancelled by a conflict apply nothing; a lost answer applies, then throws.
   */
  apply(command: { constructor: { name: string }; input: Input }, fault: DynamoFault): unknown {
    if (fault === 'throttle') {
      throw new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput was exceeded (simulated)',
        $metadata: {},
      });
    }
    const input = command.input;
    const name = command.constructor.name;
    if (fault === 'conflict' && name === 'TransactWriteCommand') {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled (simulated conflict)',
        $metadata: {},
        CancellationReasons: (input.TransactItems as Input[]).map((_, i) => ({
          Code: i === 0 ? 'TransactionConflict' : 'None',
        })),
      });
    }
    const answer = this.#apply(name, input);
    if (fault === 'lost-answer')
      throw new LostAnswerError('socket hang up after the request was sent');
    return answer;
  }

  #conditional(input: Input, existing: Item | undefined) {
    return this.condition(
      input.ConditionExpression,
      existing,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
  }

  #apply(name: string, input: Input): unknown {
    switch (name) {
      case 'GetCommand':
        return { Item: clone(this.get(input.TableName, input.Key)) };
      case 'PutCommand': {
        const existing = this.get(input.TableName, input.Item);
        if (!this.#conditional(input, existing)) {
          throw new ConditionalCheckFailedException({ message: 'condition', $metadata: {} });
        }
        this.table(input.TableName).set(
          this.keyOf(input.TableName, input.Item),
          stored(clone(input.Item)),
        );
        return {};
      }
      case 'UpdateCommand': {
        if (!this.#conditional(input, this.get(input.TableName, input.Key))) {
          throw new ConditionalCheckFailedException({ message: 'condition', $metadata: {} });
        }
        const item = this.update(
          input.TableName,
          input.Key,
          input.UpdateExpression,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        );
        return { Attributes: input.ReturnValues === 'ALL_NEW' ? clone(item) : undefined };
      }
      case 'BatchGetCommand': {
        const Responses: Record<string, Item[]> = {};
        for (const [table, { Keys }] of Object.entries(
          input.RequestItems as Record<string, { Keys: Item[] }>,
        )) {
          Responses[table] = Keys.map((key) => this.get(table, key))
            .filter((item): item is Item => item !== undefined)
            .map(clone);
        }
        return { Responses, UnprocessedKeys: {} };
      }
      case 'QueryCommand':
        return this.#query(input);
      case 'TransactWriteCommand': {
        const items = input.TransactItems as Input[];
        // As DynamoDB: at most 100 items, never two on one item (a group commit must merge them).
        const touched = items.map((entry) => {
          const op = entry.Put ?? entry.Update ?? entry.ConditionCheck;
          return `${op.TableName}/${this.keyOf(op.TableName, entry.Put ? entry.Put.Item : op.Key)}`;
        });
        if (items.length > 100 || new Set(touched).size !== touched.length) {
          throw new ValidationError(
            'Transaction request cannot include multiple operations on one item (or > 100 items)',
          );
        }
        const reasons = items.map((entry) => {
          const op = entry.Put ?? entry.Update ?? entry.ConditionCheck;
          const key = entry.Put ? entry.Put.Item : op.Key;
          return this.#conditional(op, this.get(op.TableName, key))
            ? { Code: 'None' }
            : { Code: 'ConditionalCheckFailed' };
        });
        if (reasons.some((reason) => reason.Code !== 'None')) {
          throw new TransactionCanceledException({
            message: 'Transaction cancelled',
            $metadata: {},
            CancellationReasons: reasons,
          });
        }
        for (const entry of items) {
          if (entry.Put) {
            this.table(entry.Put.TableName).set(
              this.keyOf(entry.Put.TableName, entry.Put.Item),
              stored(clone(entry.Put.Item)),
            );
          }
          if (entry.Update) {
            const u = entry.Update;
            this.update(
              u.TableName,
              u.Key,
              u.UpdateExpression,
              u.ExpressionAttributeNames,
              u.ExpressionAttributeValues,
            );
          }
        }
        return {};
      }
      default:
        throw new Error(`dynamo model: ${name} is not modelled`);
    }
  }

  /** An index query: equality on the partition attribute, an optional `<` on the sort key. */
  #query(input: Input) {
    const atoms = String(input.KeyConditionExpression).split(' AND ');
    const sortKey = INDEX_SORT[input.IndexName as string];
    if (!sortKey) throw new Error(`dynamo model: index ${input.IndexName} is not modelled`);
    const matches = this.items(input.TableName)
      .filter((item) =>
        this.condition(
          atoms.join(' AND '),
          item,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        ),
      )
      .sort((a, b) => {
        const x = a[sortKey] as string | number;
        const y = b[sortKey] as string | number;
        if (x !== y) return x < y ? -1 : 1;
        const p = this.keyOf(input.TableName, a);
        const q = this.keyOf(input.TableName, b);
        return p < q ? -1 : p > q ? 1 : 0;
      });
    let start = 0;
    if (input.ExclusiveStartKey) {
      const after = this.keyOf(input.TableName, input.ExclusiveStartKey);
      start = matches.findIndex((item) => this.keyOf(input.TableName, item) === after) + 1;
    }
    const limit = input.Limit ?? matches.length;
    const page = matches.slice(start, start + limit);
    const last = page.at(-1);
    const more = start + limit < matches.length && last !== undefined;
    return {
      Items: page.map(clone),
      LastEvaluatedKey: more
        ? {
            [KEYS[input.TableName] as string]: this.keyOf(input.TableName, last),
            [sortKey]: last[sortKey],
          }
        : undefined,
    };
  }
}
