import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoIntakeStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { secp } from '../../shared/domain/secp.js';
import type { AcceptedRequest, IntakeStore } from '../../shared/ports/intake.js';
import type { NewTip, TipLedger } from '../../shared/ports/tip-ledger.js';
import { type StackClients, stackClients, TEST_TABLES } from './helpers.js';

const stack = inject('stack');

/**
 * A new tip to a made-up recipient with a made-up hash (never payable): what these tests record.
 * `overrides` sets the amount (1,000 msat) or the hash.
 */
const madeUpTip = (
  tipId: string,
  platformId: string,
  overrides: Partial<Pick<NewTip, 'amountMsat' | 'paymentHash'>> = {},
): NewTip => ({
  tipId,
  fingerprint: createHash('sha256').update(tipId).digest('hex'),
  platformId,
  recipient: Buffer.from(secp.getPublicKey(randomBytes(32), true)).toString('hex'),
  amountMsat: 1_000n,
  records: [],
  paymentHash: randomBytes(32).toString('hex'),
  keyVersion: 1,
  ...overrides,
});

describe('DynamoDB tip ledger: reading many tips at once', () => {
  let clients: StackClients;
  const tipIds: string[] = [];

  beforeAll(async () => {
    clients = await stackClients(stack);
    const run = randomUUID().slice(0, 8);
    // 250 tips: three BatchGetItem chunks of 100. Each ends FAILED at once, so no reconciler
    // on the shared stack ever tries to pay these made-up recipients.
    for (let index = 0; index < 250; index += 1) {
      const tipId = `it-ledger-${run}:${index}`;
      const { record } = await clients.ledger.createTip(
        madeUpTip(tipId, 'it-ledger', { amountMsat: BigInt(1000 + index) }),
        new Date(),
      );
      const sending = await clients.ledger.markSending(
        tipId,
        'RECEIVED',
        record.attempt,
        record.paymentHash,
        new Date(),
        new Date(),
      );
      await clients.ledger.markFailed(sending, { code: 'NO_ROUTE', reason: 'test' }, new Date());
      tipIds.push(tipId);
    }
  }, 120_000);

  afterAll(() => clients?.destroy());

  it('returns every known tip once, the same as getTip, and leaves unknown ids out', async () => {
    const unknown = [`it-ledger-missing-${randomUUID()}`, `it-ledger-missing-${randomUUID()}`];
    const tips = await clients.ledger.getTips([...tipIds, ...unknown, tipIds[0] ?? '']);
    expect(tips.size).toBe(250);
    for (const id of unknown) expect(tips.has(id)).toBe(false);
    for (const tipId of [tipIds[0], tipIds[99], tipIds[100], tipIds[249]] as string[]) {
      expect(tips.get(tipId)).toEqual(await clients.ledger.getTip(tipId));
    }
    expect(tips.get(tipIds[137] ?? '')?.amountMsat).toBe(1137n);
    expect(tips.get(tipIds[137] ?? '')?.state).toBe('FAILED');
  });

  it('answers an empty list without calling DynamoDB', async () => {
    expect((await clients.ledger.getTips([])).size).toBe(0);
  });
});

describe("DynamoDB tip ledger: settling an API tip's budget from its message's reservation tag", () => {
  let clients: StackClients;
  const counts = new Map<string, number>();
  const run = randomUUID().slice(0, 8);
  const budgetKeys = [`it-tag-${run}#day`, `it-tag-${run}#hour`];
  const feeLimitMsat = 2_000n;
  let ledger: TipLedger;
  let intake: IntakeStore;
  let serial = 0;

  beforeAll(async () => {
    clients = await stackClients(stack);
    // A client of its own whose requests are counted: what the ledger costs per tip.
    const counted = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'itRequestCounter' },
    );
    ledger = createDynamoTipLedger(counted, TEST_TABLES);
    intake = createDynamoIntakeStore(clients.dynamodb, TEST_TABLES);
  });

  afterAll(() => clients?.destroy());

  /** A tip accepted by the API (its request and reservation written), then recorded SENDING. */
  const acceptedTip = async (amountMsat: bigint) => {
    const tipId = `it-tag-${run}:${++serial}`;
    const fingerprint = createHash('sha256').update(tipId).digest('hex');
    const request: AcceptedRequest = {
      tipId,
      platformId: 'it-tag',
      fingerprint,
      message: '{}',
      amountMsat,
      feeLimitMsat,
      budgetKeys,
      acceptedAt: new Date().toISOString(),
    };
    const reservations = budgetKeys.map((key) => ({
      key,
      limitMsat: 1_000_000_000n,
      limit: 'platform-daily' as const,
      resetsAt: new Date(Date.now() + 86_400_000),
    }));
    expect((await intake.accept(request, reservations)).status).toBe('accepted');
    const preimage = randomBytes(32);
    const { record } = await ledger.createTip(
      {
        tipId,
        fingerprint,
        platformId: 'it-tag',
        recipient: Buffer.from(secp.getPublicKey(randomBytes(32), true)).toString('hex'),
        amountMsat,
        records: [],
        paymentHash: createHash('sha256').update(preimage).digest('hex'),
        keyVersion: 1,
      },
      new Date(),
      new Date(Date.now() + 60_000),
    );
    return { record, preimage };
  };

  const settle = async (
    amountMsat: bigint,
    reservation: Parameters<TipLedger['markSucceeded']>[3],
  ) => {
    const { record, preimage } = await acceptedTip(amountMsat);
    counts.clear();
    await ledger.markSucceeded(
      record,
      {
        receipt: `{"preimage":"${preimage.toString('hex')}"}`,
        feeMsat: 500n,
        settledAt: new Date().toISOString(),
      },
      new Date(),
      reservation,
    );
    return { requests: Object.fromEntries(counts), request: await intake.getRequest(record.tipId) };
  };

  const reserved = async () => Promise.all(budgetKeys.map((key) => intake.getBudgetUsed(key)));

  it('the tag as the API sent it: one transaction, nothing read, the fee limit trued up', async () => {
    const { requests } = await settle(10_000n, {
      kind: 'reserved',
      tag: { feeLimitMsat, budgetKeys },
    });
    expect(requests).toEqual({ TransactWriteItemsCommand: 1 });
    // Kept: the amount and the fee paid (500 of the 2,000 reserved for fees).
    expect(await reserved()).toEqual([10_500n, 10_500n]);
  });

  it('a tag that disagrees with the request: the request is read and its own reservation settled', async () => {
    const before = await reserved();
    const { requests, request } = await settle(20_000n, {
      kind: 'reserved',
      tag: { feeLimitMsat: feeLimitMsat + 1_000n, budgetKeys: budgetKeys.slice(0, 1) },
    });
    expect(request?.tipId).toBeDefined();
    expect(requests).toEqual({ TransactWriteItemsCommand: 2, GetItemCommand: 1 });
    expect(await reserved()).toEqual(before.map((used) => used + 20_500n));
  });

  it('no tag although the API reserved: the request is read and settled', async () => {
    const before = await reserved();
    const { requests } = await settle(30_000n, { kind: 'none' });
    expect(requests).toEqual({ TransactWriteItemsCommand: 2, GetItemCommand: 1 });
    expect(await reserved()).toEqual(before.map((used) => used + 30_500n));
  });

  it('no tag and no request (a producer writing to the queue itself): one transaction', async () => {
    const preimage = randomBytes(32);
    const tipId = `it-tag-${run}:direct`;
    const { record } = await ledger.createTip(
      madeUpTip(tipId, 'it-tag', {
        paymentHash: createHash('sha256').update(preimage).digest('hex'),
      }),
      new Date(),
      new Date(Date.now() + 60_000),
    );
    counts.clear();
    await ledger.markFailed(record, { code: 'NO_ROUTE', reason: 'test' }, new Date(), {
      kind: 'none',
    });
    expect(Object.fromEntries(counts)).toEqual({ TransactWriteItemsCommand: 1 });
    expect((await ledger.getTip(tipId))?.state).toBe('FAILED');
  });
});

describe('DynamoDB tip ledger: an attempt that is no send is counted once (unsent or held)', () => {
  let clients: StackClients;
  const run = randomUUID().slice(0, 8);
  let serial = 0;
  const at = new Date('2026-01-01T00:00:00.000Z');

  beforeAll(async () => {
    clients = await stackClients(stack);
  });

  afterAll(() => clients?.destroy());

  /** A tip SENDING at attempt 1 under a live lease (never paid: a made-up recipient and hash). */
  const sendingTip = async () => {
    const tipId = `it-held-${run}:${++serial}`;
    const { record } = await clients.ledger.createTip(
      madeUpTip(tipId, 'it-held'),
      new Date(),
      new Date(Date.now() + 60_000),
    );
    return record;
  };

  /** Ends the tip, so no reconciler on the shared stack ever picks it up. */
  const end = async (tipId: string) => {
    const tip = await clients.ledger.getTip(tipId);
    if (tip) await clients.ledger.markFailed(tip, { code: 'NO_ROUTE', reason: 'test' }, new Date());
  };

  it('given up, then held: counted unsent only, recorded as the held attempt (held again: nothing)', async () => {
    const tip = await sendingTip();
    await clients.ledger.releaseLease(tip);
    const released = await clients.ledger.getTip(tip.tipId);
    expect(released).toMatchObject({ attempt: 1, unsentAttempts: 1 });
    expect(released?.leaseUntil).toBeUndefined();
    // A look that read the lease before it was given up holds nothing: the next look reads again.
    await clients.ledger.markHeld(tip, at);
    expect((await clients.ledger.getTip(tip.tipId))?.heldAttempt).toBeUndefined();

    await clients.ledger.markHeld(released ?? tip, at);
    await clients.ledger.markHeld(released ?? tip, new Date(at.getTime() + 60_000));
    const held = await clients.ledger.getTip(tip.tipId);
    expect(held).toMatchObject({ unsentAttempts: 1, heldAttempt: 1, heldSince: at.toISOString() });
    expect(held?.heldAttempts ?? 0).toBe(0);
    await end(tip.tipId);
  });

  it('held, then its lease given up: counted held only, the lease kept', async () => {
    const tip = await sendingTip();
    await clients.ledger.markHeld(tip, at);
    await clients.ledger.releaseLease(tip);
    const held = await clients.ledger.getTip(tip.tipId);
    expect(held).toMatchObject({ heldAttempts: 1, heldAttempt: 1, leaseUntil: tip.leaseUntil });
    expect(held?.unsentAttempts ?? 0).toBe(0);
    await end(tip.tipId);
  });
});
