import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { documentClient } from '../../shared/adapters/dynamodb/common.js';
import { createDynamoIntakeStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { tipIdFor } from '../../shared/app/accept-tip.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { fakeRecipients } from '../support/seed-tips.js';
import { apiClient, newTestPlatform, receiveAll, TEST_TABLES, useApiOnly } from './helpers.js';

const stack = inject('stack');

/**
 * The API dies while recording a payout's rows (an API timeout on a large file, throttling): the
 * intake adapter runs on a DynamoDB client whose row writes fail after a set number of calls.
 * Everything else is the real adapter on the real DynamoDB Local; nothing reads the queue.
 */
describe('a payout whose row writes were interrupted, retried with the same Idempotency-Key', () => {
  const f = useApiOnly(stack, 'batch-repair');
  let platform: { platformId: string; secret: string };
  /** Row-writing calls (batch writes or transactions to the requests table) still allowed. */
  let rowWritesLeft = Number.POSITIVE_INFINITY;
  const faultyDynamoDb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  faultyDynamoDb.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        TransactItems?: Array<{ Put?: { TableName?: string } }>;
        RequestItems?: Record<string, unknown>;
      };
      const writesRows =
        input.TransactItems?.some((item) => item.Put?.TableName === TEST_TABLES.requests) ||
        Array.isArray(input.RequestItems?.[TEST_TABLES.requests]);
      if (writesRows && rowWritesLeft-- <= 0) {
        throw new Error('simulated: the API invocation timed out while recording the rows');
      }
      return next(args);
    },
    { step: 'initialize', name: 'interruptRowWrites' },
  );
  /** The same API on the same queue, its intake adapter on the faulty client. */
  let faultyUrl: string;

  beforeAll(async () => {
    platform = await newTestPlatform(f.clients, 'it-repair', 10_000_000);
    faultyUrl = await f.serve((deps) => ({
      ...deps,
      intake: createDynamoIntakeStore(faultyDynamoDb, TEST_TABLES),
    }));
  });

  afterAll(() => faultyDynamoDb.destroy());

  it('shows the batch INCOMPLETE, and the retry records every row exactly once and enqueues every tip once', async () => {
    // Made-up recipients: nothing is paid (and no payer reads this queue).
    const recipients = fakeRecipients(2, 'batch-repair');
    const lines = Array.from(
      { length: 250 },
      (_, i) => `${recipients[i % 2]},${1 + (i % 7)},"row ${i + 1}"`,
    );
    const totalMsat = lines.reduce((sum, _, i) => sum + (1 + (i % 7)) * 1000, 0);
    const csv = ['pubkey,amount_sats,memo', ...lines].join('\n');
    const key = randomUUID();
    const send = (url: string) =>
      apiClient(url, platform)('POST', '/v1/payouts', csv, {
        contentType: 'text/csv',
        idempotencyKey: key,
      });
    const get = (path: string) => apiClient(f.url, platform)('GET', path);
    const batchId = tipIdFor(platform.platformId, `payout:${key}`).replace(':', '-');

    // Rows go 100 to a call: the first call lands, the other two die.
    rowWritesLeft = 1;
    const first = await send(faultyUrl);
    expect(first.status, JSON.stringify(first.body)).toBe(500);
    expect(first.body.detail).toMatch(/retry with the same Idempotency-Key/);

    const broken = await get(`/v1/payouts/${batchId}`);
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({
      status: 'INCOMPLETE',
      counts: { total: 250 },
      incomplete: { unrecordedRows: 150 },
    });
    expect(broken.body.incomplete.detail).toMatch(
      /incomplete: 150 of 250 rows not recorded.*retry the request with the same Idempotency-Key/,
    );
    expect(broken.body.rows).toBeUndefined();
    const summary = await get('/v1/summary?window=24h');
    expect(summary.body.runningBatches).toEqual([
      expect.objectContaining({ batchId, status: 'INCOMPLETE' }),
    ]);

    const retried = await send(f.url);
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toMatchObject({ batchId, rows: 250, totalMsat: String(totalMsat) });

    const repaired = await get(`/v1/payouts/${batchId}`);
    expect(repaired.body).toMatchObject({
      status: 'IN_PROGRESS',
      counts: { total: 250, succeeded: 0, failed: 0, pending: 250 },
    });
    expect(repaired.body.incomplete).toBeUndefined();

    // Every row once (rows are keyed by tip id: once each by construction; all present).
    const intake = createDynamoIntakeStore(f.clients.dynamodb, TEST_TABLES);
    const rows = await intake.listBatchRequests(batchId);
    const expectedTipIds = lines.map((_, i) => `${batchId}-${i + 2}`);
    expect(rows.map((row) => row.tipId)).toEqual(expectedTipIds);
    expect(rows.every((row) => row.budgetKeys.length === 2)).toBe(true);

    // Every tip enqueued exactly once: the first request died before enqueueing anything.
    const messages = await receiveAll(f.clients, f.queueUrl);
    const enqueued = messages.map((body) => (JSON.parse(body) as { tipId: string }).tipId);
    expect(enqueued.sort()).toEqual([...expectedTipIds].sort());

    // The budget was reserved once, by the first request, for the whole batch: its amounts and
    // their fee limits (each row's at least the 10-sat minimum fee here).
    const batch = await intake.getBatch(batchId);
    expect(batch?.feeLimitMsat).toBe(250n * 10_000n);
    expect(batch?.rowsWritten).toBe(true);
    const doc = documentClient(f.clients.dynamodb);
    const platformDay = batch?.budgetKeys.find((budgetKey) => budgetKey.startsWith('platform#'));
    const { Item } = await doc.send(
      new GetCommand({ TableName: TEST_TABLES.budgets, Key: { budgetKey: platformDay } }),
    );
    expect(Number(Item?.reservedMsat)).toBe(totalMsat + Number(batch?.feeLimitMsat));
  });
});
