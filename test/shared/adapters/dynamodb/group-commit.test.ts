import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createGroupCommit,
  MAX_TRANSACT_ITEMS,
  STALLED_AFTER_MS,
  type TransactItem,
} from '../../../../shared/adapters/dynamodb/group-commit.js';
import { DynamoModel, TABLES } from '../../../sim/dynamo-model.js';

/**
 * The group commit on the simulator's DynamoDB model (which, like DynamoDB, refuses two operations
 * on one item and more than 100 items in a transaction).
 */

const putKey = (_table: string, item: Record<string, unknown>) => ({ tipId: item.tipId });

/** A member: its tip (conditional: still SENDING) and counters on shared items. */
const memberItems = (
  tipId: string,
  counters: Array<{ key: string; add: number; at: string }>,
): TransactItem[] => [
  {
    Update: {
      TableName: TABLES.tips,
      Key: { tipId },
      UpdateExpression: 'SET #state = :to, updatedAt = :at',
      ConditionExpression: '#state = :sending',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':to': 'SUCCEEDED', ':sending': 'SENDING', ':at': 'x' },
    },
  },
  ...counters.map(
    ({ key, add, at }): TransactItem => ({
      Update: {
        TableName: TABLES.payouts,
        Key: { recipient: key },
        UpdateExpression: 'ADD paidMsat :amount, tipCount :count SET lastPaidAt = :at',
        ExpressionAttributeValues: { ':amount': add, ':count': 1, ':at': at },
      },
    }),
  ),
];

/** `send` on the model, answering after a turn of the event loop (so ends queue meanwhile). */
const modelSend = (db: DynamoModel, sent: number[]) => async (items: TransactItem[]) => {
  sent.push(items.length);
  await new Promise((resolve) => setImmediate(resolve));
  db.apply(
    { constructor: { name: 'TransactWriteCommand' }, input: { TransactItems: items } },
    'none',
  );
};

const member = fc.record({
  tip: fc.nat(11),
  /** Ended already: its condition fails, in a group or alone. */
  ended: fc.nat(5).map((n) => n === 0),
  counters: fc.uniqueArray(
    fc.record({
      key: fc.constantFrom('r1', 'r2', 'r3', 'hour'),
      add: fc.integer({ min: -5_000, max: 5_000 }),
      at: fc.constantFrom('2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'),
    }),
    { selector: (counter) => counter.key, maxLength: 4 },
  ),
  delay: fc.constantFrom(0, 0, 1),
});

describe('group commit', () => {
  it('applies each member at most once: counters are the sums over the members that committed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(member, { minLength: 1, maxLength: 30 }), async (members) => {
        const db = new DynamoModel();
        for (const { tip, ended } of members) {
          db.table(TABLES.tips).set(`t${tip}`, {
            tipId: `t${tip}`,
            state: ended && !db.get(TABLES.tips, { tipId: `t${tip}` }) ? 'FAILED' : 'SENDING',
          });
        }
        const sent: number[] = [];
        const commit = createGroupCommit(modelSend(db, sent), putKey);
        const results = await Promise.all(
          members.map(async ({ tip, counters, delay }) => {
            for (let i = 0; i < delay; i += 1) await Promise.resolve();
            try {
              await commit(`t${tip}`, memberItems(`t${tip}`, counters));
              return true;
            } catch (error) {
              expect(error).toBeInstanceOf(TransactionCanceledException);
              return false;
            }
          }),
        );
        // A tip commits once at most, and only from SENDING.
        const committed = new Map<number, number>();
        members.forEach(({ tip }, i) => {
          if (results[i]) committed.set(tip, (committed.get(tip) ?? 0) + 1);
        });
        for (const [tip, times] of committed) {
          expect(times).toBe(1);
          expect(db.get(TABLES.tips, { tipId: `t${tip}` })?.state).toBe('SUCCEEDED');
        }
        for (const { tip } of members) {
          const state = db.get(TABLES.tips, { tipId: `t${tip}` })?.state;
          expect(state === 'SUCCEEDED').toBe(committed.has(tip));
        }
        // Counters: the sums over the members that committed; a time one of them set (the latest
        // of a group; between transactions, the later transaction's, as without grouping).
        for (const key of ['r1', 'r2', 'r3', 'hour']) {
          const mine = members
            .filter((_, i) => results[i])
            .flatMap(({ counters }) => counters.filter((counter) => counter.key === key));
          const item = db.get(TABLES.payouts, { recipient: key });
          expect(Number(item?.paidMsat ?? 0)).toBe(mine.reduce((sum, c) => sum + c.add, 0));
          expect(Number(item?.tipCount ?? 0)).toBe(mine.length);
          if (mine.length > 0) expect(mine.map((c) => c.at)).toContain(item?.lastPaidAt);
        }
        for (const items of sent) expect(items).toBeLessThanOrEqual(MAX_TRANSACT_ITEMS);
      }),
      { numRuns: 300 },
    );
  });

  it('sends at once when nothing is in flight, and one transaction for what queued meanwhile', async () => {
    const db = new DynamoModel();
    for (let tip = 0; tip < 10; tip += 1)
      db.table(TABLES.tips).set(`t${tip}`, { tipId: `t${tip}`, state: 'SENDING' });
    const sent: number[] = [];
    const commit = createGroupCommit(modelSend(db, sent), putKey);
    const at = '2026-01-01T00:00:00.000Z';
    await Promise.all(
      Array.from({ length: 10 }, (_, tip) =>
        commit(`t${tip}`, memberItems(`t${tip}`, [{ key: 'hour', add: 1, at }])),
      ),
    );
    expect(sent).toEqual([2, 10]);
    expect(db.get(TABLES.payouts, { recipient: 'hour' })?.tipCount).toBe(10);
  });

  const queued = async (send: (items: TransactItem[]) => Promise<void>) => {
    const commit = createGroupCommit(send, putKey);
    const at = '2026-01-01T00:00:00.000Z';
    return Promise.allSettled(
      Array.from({ length: 4 }, (_, tip) =>
        commit(`t${tip}`, memberItems(`t${tip}`, [{ key: 'hour', add: 1, at }])),
      ),
    );
  };

  it('an unknown outcome (a network error) reaches every member of the group, nothing is sent again', async () => {
    const sent: number[] = [];
    const lost = new Error('socket hang up');
    const settled = await queued(async (items) => {
      sent.push(items.length);
      await new Promise((resolve) => setImmediate(resolve));
      if (items.length > 2) throw lost;
    });
    // The first alone (committed), then the group of three: its answer lost.
    expect(sent).toEqual([2, 4]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    for (const s of settled.slice(1)) expect((s as PromiseRejectedResult).reason).toBe(lost);
  });

  it('a group DynamoDB refuses (ValidationException) goes again member by member', async () => {
    const sent: number[] = [];
    const settled = await queued(async (items) => {
      sent.push(items.length);
      await new Promise((resolve) => setImmediate(resolve));
      if (items.length > 2)
        throw Object.assign(new Error('refused'), { name: 'ValidationException' });
    });
    expect(sent).toEqual([2, 4, 2, 2, 2]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
  });

  it("a group of one sends the member's own items and passes DynamoDB's answer through", async () => {
    const refused = Object.assign(new Error('refused'), { name: 'ValidationException' });
    const sent: TransactItem[][] = [];
    const commit = createGroupCommit(async (items) => {
      sent.push(items);
      throw refused;
    }, putKey);
    const items = memberItems('t1', [{ key: 'hour', add: 1, at: 'a' }]);
    await expect(commit('t1', items)).rejects.toBe(refused);
    expect(sent).toEqual([items]);
  });

  it('a hung transaction stalls the ends queued behind it for STALLED_AFTER_MS, not until it returns', async () => {
    const db = new DynamoModel();
    for (let tip = 0; tip < 4; tip += 1)
      db.table(TABLES.tips).set(`t${tip}`, { tipId: `t${tip}`, state: 'SENDING' });
    const sent: string[][] = [];
    let release = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const apply = modelSend(db, []);
    const commit = createGroupCommit(async (items) => {
      sent.push(
        items.flatMap((item) =>
          item.Update?.TableName === TABLES.tips ? [String(item.Update.Key?.tipId)] : [],
        ),
      );
      // The first request hangs (a socket the SDK waits 5 minutes on) until released.
      if (sent.length === 1) await hung;
      await apply(items);
    }, putKey);
    const at = '2026-01-01T00:00:00.000Z';
    const end = (tip: number) =>
      commit(`t${tip}`, memberItems(`t${tip}`, [{ key: 'hour', add: 1, at }]));
    const first = end(0);
    const started = Date.now();
    const behind = Promise.all([end(1), end(2), end(3)]);
    const outcome = await Promise.race([
      behind.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('stalled'), 5 * STALLED_AFTER_MS)),
    ]);
    expect(outcome).toBe('ended');
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALLED_AFTER_MS - 50);
    // Went together beside the hung one, which then applies once.
    expect(sent).toEqual([['t0'], ['t1', 't2', 't3']]);
    release();
    await first;
    expect(sent).toHaveLength(2);
    expect(db.get(TABLES.payouts, { recipient: 'hour' })?.tipCount).toBe(4);
    for (let tip = 0; tip < 4; tip += 1)
      expect(db.get(TABLES.tips, { tipId: `t${tip}` })?.state).toBe('SUCCEEDED');
  });

  it('never merges counters it cannot merge exactly: different names, BigInt or string amounts, a condition', async () => {
    const counter = (
      tipId: string,
      update: Partial<NonNullable<TransactItem['Update']>>,
    ): TransactItem[] => [
      {
        Update: {
          TableName: TABLES.tips,
          Key: { tipId },
          UpdateExpression: 'SET #state = :to',
          ConditionExpression: '#state = :sending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':to': 'SUCCEEDED', ':sending': 'SENDING' },
        },
      },
      {
        Update: {
          TableName: TABLES.budgets,
          Key: { budgetKey: 'b' },
          UpdateExpression: 'ADD #n :release',
          ExpressionAttributeNames: { '#n': 'reservedMsat' },
          ExpressionAttributeValues: { ':release': -5 },
          ...update,
        },
      },
    ];
    const variants: Array<Partial<NonNullable<TransactItem['Update']>>> = [
      { ExpressionAttributeNames: { '#n': 'otherMsat' } },
      { ExpressionAttributeValues: { ':release': -5n } },
      { ExpressionAttributeValues: { ':release': '-5' } },
      { ConditionExpression: 'attribute_exists(budgetKey)' },
      // With t1's -7, a sum a double cannot hold exactly.
      { ExpressionAttributeValues: { ':release': Number.MIN_SAFE_INTEGER } },
    ];
    for (const variant of variants) {
      const sent: TransactItem[][] = [];
      const commit = createGroupCommit(async (items) => {
        sent.push(items);
        await new Promise((resolve) => setImmediate(resolve));
      }, putKey);
      // t0 in flight; t1 (plain) and t2 (the variant) queue behind it.
      await Promise.all([
        commit('t0', counter('t0', {})),
        commit('t1', counter('t1', { ExpressionAttributeValues: { ':release': -7 } })),
        commit('t2', counter('t2', variant)),
      ]);
      // Each went in a transaction of its own, its items as it made them.
      expect(sent).toEqual([
        counter('t0', {}),
        counter('t1', { ExpressionAttributeValues: { ':release': -7 } }),
        counter('t2', variant),
      ]);
    }
  });
});
