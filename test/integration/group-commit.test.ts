/**
 * The group commit of the transactions that end tips (`group-commit.ts`), on the real DynamoDB
 * Local: concurrent ends share TransactWriteItems requests, and whatever the grouping, the
 * counters are the sums over the tips that ended, each tip ended once.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STALLED_AFTER_MS } from '../../shared/adapters/dynamodb/group-commit.js';
import { createDynamoIntakeStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { hourlyActivityKey, platformRecipientKey } from '../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { hourlyOutcome } from '../../shared/domain/platform-summary.js';
import { secp } from '../../shared/domain/secp.js';
import { LedgerConflictError } from '../../shared/ports/errors.js';
import type { IntakeStore } from '../../shared/ports/intake.js';
import type { ReservationHint, TipLedger, TipRecord } from '../../shared/ports/tip-ledger.js';
import { type StackClients, stackClients, TEST_TABLES } from './helpers.js';

const stack = inject('stack');

const FEE_LIMIT_MSAT = 2_000n;
const NOW = new Date();
const AT = NOW.toISOString();
const HOUR = hourlyOutcome(0n, { failed: true, at: AT }).hour;

/** What a ledger of its own (a process) sent: the items of each TransactWriteItems. */
interface Counted {
  ledger: TipLedger;
  transactions: number[];
  requests: Map<string, number>;
}

/** A tip as one test run made it, and every end called on it. */
interface Made {
  record: TipRecord;
  hint: ReservationHint;
  reserved: boolean;
  ends: Array<{ kind: 'succeed' | 'fail'; result: 'ended' | 'conflict' }>;
}

describe('DynamoDB tip ledger: group commit of the transactions that end tips', () => {
  let clients: StackClients;
  let intake: IntakeStore;
  let doc: DynamoDBDocumentClient;
  const owned: DynamoDBClient[] = [];

  beforeAll(async () => {
    clients = await stackClients(stack);
    intake = createDynamoIntakeStore(clients.dynamodb, TEST_TABLES);
    doc = DynamoDBDocumentClient.from(clients.dynamodb);
  });

  afterAll(() => {
    for (const client of owned) client.destroy();
    clients?.destroy();
  });

  /** A ledger on a client of its own, its requests counted (as another process would have). */
  const countedLedger = (): Counted => {
    const client = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
    owned.push(client);
    const counted: Counted = {
      ledger: createDynamoTipLedger(client, TEST_TABLES),
      transactions: [],
      requests: new Map(),
    };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        counted.requests.set(name, (counted.requests.get(name) ?? 0) + 1);
        const items = (args.input as { TransactItems?: unknown[] }).TransactItems;
        if (items) counted.transactions.push(items.length);
        return next(args);
      },
      { step: 'initialize', name: 'itRequestCounter' },
    );
    return counted;
  };

  /** One test run's platform, recipients, budget counters and batch: nothing shared with others. */
  const newRun = (recipientCount: number) => {
    const run = randomUUID().slice(0, 8);
    return {
      run,
      platformId: `it-group-${run}`,
      recipients: Array.from({ length: recipientCount }, () =>
        Buffer.from(secp.getPublicKey(randomBytes(32), true)).toString('hex'),
      ),
      budgetKeys: [`it-group-${run}#day`, `it-group-${run}#hour`],
      batchId: `it-group-${run}-batch`,
      serial: 0,
    };
  };
  type Run = ReturnType<typeof newRun>;

  /** A tip recorded SENDING (attempt 1); `reserved`: accepted by the API first, budget reserved. */
  const makeTip = async (
    run: Run,
    creator: TipLedger,
    tip: { recipient: string; amountMsat: bigint; inBatch: boolean; reserved: boolean },
  ): Promise<Made> => {
    const tipId = `${run.platformId}:${++run.serial}`;
    const fingerprint = createHash('sha256').update(tipId).digest('hex');
    if (tip.reserved) {
      const accepted = await intake.accept(
        {
          tipId,
          platformId: run.platformId,
          fingerprint,
          message: '{}',
          amountMsat: tip.amountMsat,
          feeLimitMsat: FEE_LIMIT_MSAT,
          budgetKeys: run.budgetKeys,
          acceptedAt: AT,
        },
        run.budgetKeys.map((key) => ({
          key,
          limitMsat: 1_000_000_000_000n,
          limit: 'platform-daily' as const,
          resetsAt: new Date(Date.now() + 86_400_000),
        })),
      );
      expect(accepted.status).toBe('accepted');
    }
    const { record } = await creator.createTip(
      {
        tipId,
        fingerprint,
        platformId: run.platformId,
        recipient: tip.recipient,
        amountMsat: tip.amountMsat,
        records: [],
        paymentHash: randomBytes(32).toString('hex'),
        keyVersion: 1,
        ...(tip.inBatch ? { batchId: run.batchId, line: run.serial } : {}),
      },
      NOW,
      new Date(Date.now() + 600_000),
    );
    const hint: ReservationHint = tip.reserved
      ? { kind: 'reserved', tag: { feeLimitMsat: FEE_LIMIT_MSAT, budgetKeys: run.budgetKeys } }
      : { kind: 'none' };
    return { record, hint, reserved: tip.reserved, ends: [] };
  };

  /** `count` tips made one after another, the i-th as `spec(i)` says. */
  const makeTips = async (
    run: Run,
    creator: TipLedger,
    count: number,
    spec: (i: number) => Omit<Parameters<typeof makeTip>[2], 'recipient'> & { recipient: number },
  ) => {
    const tips: Made[] = [];
    for (let i = 0; i < count; i += 1) {
      const { recipient, ...rest } = spec(i);
      tips.push(
        await makeTip(run, creator, { ...rest, recipient: run.recipients[recipient] as string }),
      );
    }
    return tips;
  };

  const feeOf = (made: Made) => 10n + (made.record.amountMsat % 7n);

  /** Ends `made` (as `record` says, by `ledger`) and records whether it ended or conflicted. */
  const end = async (
    ledger: TipLedger,
    made: Made,
    kind: 'succeed' | 'fail',
    options: { record?: TipRecord; hint?: ReservationHint } = {},
  ) => {
    const record = options.record ?? made.record;
    const hint = options.hint ?? made.hint;
    try {
      if (kind === 'succeed') {
        await ledger.markSucceeded(
          record,
          { receipt: `{"tip":"${record.tipId}"}`, feeMsat: feeOf(made), settledAt: AT },
          NOW,
          hint,
        );
      } else {
        await ledger.markFailed(record, { code: 'NO_ROUTE', reason: 'test' }, NOW, hint);
      }
      made.ends.push({ kind, result: 'ended' });
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      made.ends.push({ kind, result: 'conflict' });
    }
  };

  const number = (item: Record<string, unknown> | undefined, name: string) =>
    BigInt(Number(item?.[name] ?? 0));

  /**
   * The invariant: each tip ended at most once (exactly one end call succeeded iff it is
   * SUCCEEDED or FAILED, as that call asked), and every counter (recipient totals of every
   * platform and of this one, the platform's hourly counters, the batch's progress, the budget
   * counters) is the sum over the tips as they ended.
   */
  const expectExact = async (run: Run, tips: Made[]) => {
    const stored = await clients.ledger.getTips(tips.map((made) => made.record.tipId));
    const paid = new Map<string, { count: number; msat: bigint; fee: bigint }>();
    const hour = { succeeded: 0n, succeededMsat: 0n, fee: 0n, failed: 0n, failedMsat: 0n };
    const batch = { succeeded: 0n, succeededMsat: 0n, failed: 0n, failedMsat: 0n, fee: 0n };
    let reservedMsat = 0n;
    for (const made of tips) {
      const tip = stored.get(made.record.tipId);
      const ended = made.ends.filter((e) => e.result === 'ended');
      const state = tip?.state;
      expect(ended.length, `${made.record.tipId} ended by ${ended.length} calls`).toBe(
        state === 'SUCCEEDED' || state === 'FAILED' ? 1 : 0,
      );
      if (ended[0]) expect(state).toBe(ended[0].kind === 'succeed' ? 'SUCCEEDED' : 'FAILED');
      const amount = made.record.amountMsat;
      const inBatch = made.record.batchId !== undefined;
      if (state === 'SUCCEEDED') {
        const fee = feeOf(made);
        const sum = paid.get(made.record.recipient) ?? { count: 0, msat: 0n, fee: 0n };
        paid.set(made.record.recipient, {
          count: sum.count + 1,
          msat: sum.msat + amount,
          fee: sum.fee + fee,
        });
        hour.succeeded += 1n;
        hour.succeededMsat += amount;
        hour.fee += fee;
        if (inBatch) {
          batch.succeeded += 1n;
          batch.succeededMsat += amount;
          batch.fee += fee;
        }
        if (made.reserved) reservedMsat += amount + fee;
      } else if (state === 'FAILED') {
        hour.failed += 1n;
        hour.failedMsat += amount;
        if (inBatch) {
          batch.failed += 1n;
          batch.failedMsat += amount;
        }
      } else if (made.reserved) {
        reservedMsat += amount + FEE_LIMIT_MSAT;
      }
    }
    for (const recipient of run.recipients) {
      const sum = paid.get(recipient) ?? { count: 0, msat: 0n, fee: 0n };
      for (const key of [recipient, platformRecipientKey(run.platformId, recipient)]) {
        const totals = await clients.ledger.getRecipientTotals(key);
        expect({
          count: totals?.tipCount ?? 0,
          msat: totals?.paidMsat ?? 0n,
          fee: totals?.feeMsat ?? 0n,
        }).toEqual(sum);
      }
    }
    const { Item: hourly } = await doc.send(
      new GetCommand({
        TableName: TEST_TABLES.payouts,
        Key: { recipient: hourlyActivityKey(run.platformId, HOUR) },
        ConsistentRead: true,
      }),
    );
    expect({
      succeeded: number(hourly, 'succeededCount'),
      succeededMsat: number(hourly, 'succeededMsat'),
      fee: number(hourly, 'feeMsat'),
      failed: number(hourly, 'failedCount'),
      failedMsat: number(hourly, 'failedMsat'),
    }).toEqual(hour);
    const { Item: progress } = await doc.send(
      new GetCommand({
        TableName: TEST_TABLES.batches,
        Key: { batchId: run.batchId },
        ConsistentRead: true,
      }),
    );
    expect({
      succeeded: number(progress, 'succeededCount'),
      succeededMsat: number(progress, 'succeededMsat'),
      failed: number(progress, 'failedCount'),
      failedMsat: number(progress, 'failedMsat'),
      fee: number(progress, 'feeMsat'),
    }).toEqual(batch);
    for (const key of run.budgetKeys) expect(await intake.getBudgetUsed(key)).toBe(reservedMsat);
  };

  it('30 concurrent ends share TransactWriteItems; the counters are the per-tip sums', async () => {
    const run = newRun(5);
    const process = countedLedger();
    const tips = await makeTips(run, process.ledger, 30, (i) => ({
      recipient: i % 5,
      amountMsat: BigInt(1_000 + i * 37),
      inBatch: i % 2 === 0,
      reserved: i % 3 !== 0,
    }));
    // One at a time first (today's cost, a transaction each), then 30 at once.
    const creates = process.requests.get('PutItemCommand');
    process.requests.clear();
    process.transactions.length = 0;
    await Promise.all(tips.map((made) => end(process.ledger, made, 'succeed')));
    const transactions = process.requests.get('TransactWriteItemsCommand') ?? 0;
    console.info(
      `30 concurrent markSucceeded: ${creates} PutItem (creates), ${transactions} TransactWriteItems (items: ${process.transactions.join(' ')}), other requests: ${JSON.stringify(Object.fromEntries([...process.requests].filter(([name]) => name !== 'TransactWriteItemsCommand')))}`,
    );
    expect(creates).toBe(30);
    expect(transactions).toBeLessThan(30);
    // Nothing read: the tags held.
    expect([...process.requests.keys()]).toEqual(['TransactWriteItemsCommand']);
    await expectExact(run, tips);

    // The same, one after another: a transaction per tip.
    const serialRun = newRun(5);
    const serial = await makeTips(serialRun, process.ledger, 10, (i) => ({
      recipient: i % 5,
      amountMsat: BigInt(1_000 + i),
      inBatch: true,
      reserved: true,
    }));
    process.requests.clear();
    for (const made of serial) await end(process.ledger, made, 'succeed');
    console.info(
      `10 sequential markSucceeded: ${process.requests.get('TransactWriteItemsCommand')} TransactWriteItems`,
    );
    expect(Object.fromEntries(process.requests)).toEqual({ TransactWriteItemsCommand: 10 });
    await expectExact(serialRun, serial);
  });

  it('a slow transaction in flight holds the ends behind it for STALLED_AFTER_MS, not until it returns', async () => {
    const run = newRun(3);
    const process = countedLedger();
    const tips = await makeTips(run, process.ledger, 6, (i) => ({
      recipient: i % 3,
      amountMsat: BigInt(2_000 + i * 11),
      inBatch: true,
      reserved: i % 2 === 0,
    }));
    // The first transaction is held 4 s before it reaches DynamoDB Local (a slow or hung request:
    // the SDK waits up to 5 minutes on a silent socket); the rest are not.
    const HELD_MS = 4_000;
    let held = false;
    // The client `countedLedger` just made for this ledger.
    const owner = owned[owned.length - 1] as DynamoDBClient;
    owner.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand' && !held) {
          held = true;
          await new Promise((resolve) => setTimeout(resolve, HELD_MS));
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'itSlowFirstTransaction' },
    );
    const started = Date.now();
    const first = end(process.ledger, tips[0] as Made, 'succeed');
    const behindTimes = await Promise.all(
      tips.slice(1).map(async (made, i) => {
        await end(process.ledger, made, i % 2 === 0 ? 'succeed' : 'fail');
        return Date.now() - started;
      }),
    );
    const firstDone = await first.then(() => Date.now() - started);
    console.info(
      `a slow first transaction (${firstDone} ms): the 5 ends behind it took ${behindTimes.join(' ')} ms`,
    );
    for (const ms of behindTimes) {
      expect(ms).toBeGreaterThanOrEqual(STALLED_AFTER_MS - 50);
      expect(ms).toBeLessThan(HELD_MS);
    }
    expect(firstDone).toBeGreaterThanOrEqual(HELD_MS);
    await expectExact(run, tips);
    for (const made of tips) expect(made.ends.map((e) => e.result)).toEqual(['ended']);
  });

  it("a member whose condition fails gets today's answer; the others end once, counters exact", async () => {
    const run = newRun(3);
    const process = countedLedger();
    const tips = await makeTips(run, process.ledger, 10, (i) => ({
      recipient: i % 3,
      amountMsat: BigInt(2_000 + i * 11),
      inBatch: true,
      reserved: true,
    }));
    const [leader, ended, wrongAttempt, mismatch, ...rest] = tips as [
      Made,
      Made,
      Made,
      Made,
      ...Made[],
    ];
    // Ended before (by another process): its end in the group conflicts.
    await end(clients.ledger, ended, 'fail');
    process.transactions.length = 0;
    const calls = [
      // In flight alone; the others queue behind it and go as one group.
      end(process.ledger, leader, 'succeed'),
      end(process.ledger, ended, 'succeed'),
      end(process.ledger, wrongAttempt, 'succeed', {
        record: { ...wrongAttempt.record, attempt: wrongAttempt.record.attempt + 1 },
      }),
      // A tag that disagrees with the request: alone it is read and settled (today's path).
      end(process.ledger, mismatch, 'succeed', {
        hint: {
          kind: 'reserved',
          tag: { feeLimitMsat: FEE_LIMIT_MSAT + 1_000n, budgetKeys: run.budgetKeys.slice(0, 1) },
        },
      }),
      ...rest.map((made) => end(process.ledger, made, 'succeed')),
    ];
    await Promise.all(calls);
    // The group of 9 (28 items) was tried, and cancelled, before each went alone.
    expect(process.transactions.slice(0, 2)).toEqual([8, 28]);
    expect(ended.ends.map((e) => e.result)).toEqual(['ended', 'conflict']);
    expect(wrongAttempt.ends.map((e) => e.result)).toEqual(['conflict']);
    expect(mismatch.ends.map((e) => e.result)).toEqual(['ended']);
    for (const made of [leader, ...rest]) expect(made.ends.map((e) => e.result)).toEqual(['ended']);
    // The wrong-attempt tip is still SENDING at attempt 1: its end is still to come.
    await end(process.ledger, wrongAttempt, 'succeed');
    await expectExact(run, tips);
  });

  it('a tip ended twice at once: the second waits for the next group and conflicts', async () => {
    const run = newRun(2);
    const process = countedLedger();
    const tips = await makeTips(run, process.ledger, 8, (i) => ({
      recipient: i % 2,
      amountMsat: BigInt(3_000 + i),
      inBatch: false,
      reserved: i % 2 === 0,
    }));
    const [leader, twice, ...rest] = tips as [Made, Made, ...Made[]];
    process.transactions.length = 0;
    await Promise.all([
      end(process.ledger, leader, 'succeed'),
      end(process.ledger, twice, 'succeed'),
      end(process.ledger, twice, 'fail'),
      ...rest.map((made) => end(process.ledger, made, 'succeed')),
    ]);
    expect(twice.ends).toEqual([
      { kind: 'succeed', result: 'ended' },
      { kind: 'fail', result: 'conflict' },
    ]);
    // The leader alone, the group of 7 (the second end of `twice` left out), then that end
    // (a group of one, its condition failed: the conflict).
    expect(process.transactions.length).toBe(3);
    await expectExact(run, tips);
  });

  it('a group stops at 100 items: DynamoDB Local takes exactly 100', async () => {
    const run = newRun(1);
    const process = countedLedger();
    // One recipient, one batch, no reservation: 2 items per tip (the tip, the request check)
    // and 4 shared (two totals, the hourly counter, the batch's progress): 48 tips are 100.
    const tips = await makeTips(run, process.ledger, 60, (i) => ({
      recipient: 0,
      amountMsat: BigInt(1_000 + i),
      inBatch: true,
      reserved: false,
    }));
    process.transactions.length = 0;
    await Promise.all(tips.map((made) => end(process.ledger, made, 'succeed')));
    expect(process.transactions).toEqual([6, 100, 26]);
    await expectExact(run, tips);
  });

  it('two processes ending tips in any order, with conflicts: counters == sums, each tip ended once', async () => {
    const processes = [countedLedger(), countedLedger()];
    /** Rare (1 in 8): most groups commit, some are cancelled by a member's condition. */
    const rarely = fc.nat(7).map((n) => n === 0);
    const plan = fc.record({
      tips: fc.array(
        fc.record({
          recipient: fc.nat(2),
          amountMsat: fc.bigInt({ min: 1_000n, max: 50_000n }),
          inBatch: fc.boolean(),
          reserved: fc.boolean(),
          ends: fc.array(
            fc.record({
              process: fc.nat(1),
              kind: fc.constantFrom('succeed' as const, 'fail' as const),
              wrongAttempt: rarely,
              alteredTag: rarely,
              delayMs: fc.constantFrom(0, 0, 1, 3),
            }),
            { minLength: 1, maxLength: 2 },
          ),
        }),
        { minLength: 2, maxLength: 10 },
      ),
      order: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
    });
    let ends = 0;
    let transactions = 0;
    await fc.assert(
      fc.asyncProperty(plan, async ({ tips: planned, order }) => {
        const run = newRun(3);
        const tips = await makeTips(run, clients.ledger, planned.length, (i) => {
          const { recipient, amountMsat, inBatch, reserved } = planned[i] as (typeof planned)[0];
          return { recipient, amountMsat, inBatch, reserved };
        });
        const calls = planned.flatMap((tip, i) =>
          tip.ends.map((e) => ({ made: tips[i] as Made, ...e })),
        );
        // The calls start in the generated order, some after a pause.
        const started = calls
          .map((call, i) => ({ call, rank: order[i % order.length] ?? 0 }))
          .sort((a, b) => a.rank - b.rank)
          .map(({ call }) => call);
        await Promise.all(
          started.map(async (call) => {
            if (call.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, call.delayMs));
            const { ledger } = processes[call.process] as Counted;
            await end(ledger, call.made, call.kind, {
              record: call.wrongAttempt
                ? { ...call.made.record, attempt: call.made.record.attempt + 1 }
                : undefined,
              hint:
                call.alteredTag && call.made.hint.kind === 'reserved'
                  ? {
                      kind: 'reserved',
                      tag: { feeLimitMsat: FEE_LIMIT_MSAT + 1n, budgetKeys: run.budgetKeys },
                    }
                  : undefined,
            });
          }),
        );
        ends += calls.length;
        await expectExact(run, tips);
      }),
      { numRuns: 25 },
    );
    const sent = processes.flatMap((p) => p.transactions);
    transactions = sent.length;
    // A tip's own transaction has at most 8 items (tip, request, 2 budgets, 2 totals, hour,
    // batch): a larger one is a group of several.
    const groups = sent.filter((items) => items > 8).length;
    console.info(
      `two processes: ${ends} ends, ${transactions} TransactWriteItems, ${groups} of them groups of more than 8 items`,
    );
    expect(groups).toBeGreaterThan(0);
  }, 300_000);
});
