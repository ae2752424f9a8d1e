import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { driveTip, type PayOutcome, payTipMessage } from '../../../shared/app/pay-tip.js';
import { reconcileStuckTips } from '../../../shared/app/reconcile-tips.js';
import { TEXT_MESSAGE_RECORD_TYPE } from '../../../shared/domain/keysend-records.js';
import { MAX_SENDS } from '../../../shared/domain/payment-failure.js';
import { verifyReceipt } from '../../../shared/domain/receipt.js';
import {
  AmbiguousPaymentError,
  LedgerConflictError,
  TransientPaymentError,
} from '../../../shared/ports/errors.js';
import type { KeysendPayment } from '../../../shared/ports/lightning-node.js';
import type { TipRecord } from '../../../shared/ports/tip-ledger.js';
import {
  crashAt,
  DEFAULT_FEE_MSAT,
  DEFAULT_SETTLED_AT,
  FakeLightningNode,
  FakeTipLedger,
  G,
  HOP,
  makePayer,
  type PayerHarness,
  POLICY,
  PREIMAGE_KEY_V1,
  PREIMAGE_KEY_V2,
  RECEIPT_PUBLIC_KEY,
  REDELIVERY_MS,
  receivedTip,
  recordIntent,
  specHash,
  specPreimage,
  ticks,
  tipBody,
  tipMessage,
} from './fakes.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Asserts the stored receipt of a SUCCEEDED tip verifies and proves its payment hash. */
const expectValidReceipt = (tip: TipRecord | undefined) => {
  expect(tip?.receipt).toBeTypeOf('string');
  const signed = JSON.parse(tip?.receipt ?? 'null');
  expect(verifyReceipt(signed, RECEIPT_PUBLIC_KEY)).toEqual({ ok: true });
  expect(sha256Hex(Buffer.from(signed.receipt.preimage, 'hex'))).toBe(tip?.paymentHash);
  return signed.receipt as {
    tipId: string;
    amountMsat: string;
    feeMsat: string;
    attempts: number;
    hops: string[];
    settledAt: string;
    preimage: string;
    paymentHash: string;
    recipient: string;
    platformId: string;
  };
};

const kindOf = (outcome: PayOutcome) => outcome.kind;

/** alice right after a restart: frank's small channel re-established, bob's 16M not yet. */
const JUST_RESTARTED = {
  syncedToGraph: true,
  channels: [
    { active: false, localBalanceMsat: 16_000_000_000n, offlineMs: 20_000 },
    { active: true, localBalanceMsat: 1_000_000_000n, offlineMs: 0 },
  ],
};
const WHOLE_NODE = {
  syncedToGraph: true,
  channels: JUST_RESTARTED.channels.map((channel) => ({ ...channel, active: true })),
};
const NO_LINK = {
  syncedToGraph: true,
  channels: JUST_RESTARTED.channels.map((channel) => ({ ...channel, active: false })),
};
/** The reconciler's next run that finds a tip: past the lease and its grace, and stuck. */
const RECONCILER_MS = 4 * 60_000;

describe('payTipMessage: a valid tip', () => {
  it('pays once, records SUCCEEDED with a verifiable receipt and adds to the totals', async () => {
    const h = makePayer();
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome).toMatchObject({ kind: 'paid', feeMsat: DEFAULT_FEE_MSAT });
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({
      state: 'SUCCEEDED',
      attempt: 1,
      amountMsat: 21_000n,
      recipient: G,
      paymentHash: specHash('tip-1'),
      keyVersion: 1,
      feeMsat: DEFAULT_FEE_MSAT,
      settledAt: DEFAULT_SETTLED_AT,
    });
    const receipt = expectValidReceipt(tip);
    expect(receipt).toMatchObject({
      tipId: 'tip-1',
      platformId: 'stream.example',
      recipient: G,
      amountMsat: '21000',
      feeMsat: '1000',
      attempts: 1,
      hops: [HOP, G],
      settledAt: DEFAULT_SETTLED_AT,
      preimage: specPreimage('tip-1'),
      paymentHash: specHash('tip-1'),
    });
    expect(await h.ledger.getRecipientTotals(G)).toEqual({
      recipient: G,
      paidMsat: 21_000n,
      feeMsat: 1_000n,
      tipCount: 1,
    });

    expect(h.lightning.payCalls).toHaveLength(1);
    const [call] = h.lightning.payCalls;
    expect(call?.destination).toBe(G);
    expect(call?.amountMsat).toBe(21_000n);
    expect(hex(call?.paymentHash ?? new Uint8Array())).toBe(specHash('tip-1'));
    expect(hex(call?.preimage ?? new Uint8Array())).toBe(specPreimage('tip-1'));
    expect(call?.records).toEqual([]);
    expect(call?.maxFeeMsat).toBe(10_000n);
    expect(call?.maxTimeoutBlocks).toBe(1008);
    expect(call?.pathfindingTimeoutMs).toBe(30_000);
    expect(h.lightning.settlements).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([]);
    expect(h.ledger.rejectionCount).toBe(0);
  });

  it('passes the checkpoints in order: before-intent, after-intent, lnd-in-flight, after-lnd-success', async () => {
    const h = makePayer();
    const seen: string[] = [];
    // The tip must already be SENDING when LND has the payment: intent before money.
    h.lightning.onInFlight = async () => {
      seen.push(`ledger ${(await h.ledger.getTip('tip-1'))?.state} while in flight`);
    };
    await payTipMessage(tipMessage(), h.deps);
    expect(h.checkpoints).toEqual([
      { step: 'before-intent', tipId: 'tip-1' },
      { step: 'after-intent', tipId: 'tip-1' },
      { step: 'lnd-in-flight', tipId: 'tip-1' },
      { step: 'after-lnd-success', tipId: 'tip-1' },
    ]);
    expect(seen).toEqual(['ledger SENDING while in flight']);
  });

  it.each([
    { amountMsat: 21_000, maxFeeMsat: 10_000n, description: 'the minimum wins on a small tip' },
    { amountMsat: 2_000_000, maxFeeMsat: 10_000n, description: 'ppm equal to the minimum' },
    { amountMsat: 10_000_000, maxFeeMsat: 50_000n, description: '5000 ppm wins on a large tip' },
  ])('caps the fee at max(ppm, minimum): $description', async ({ amountMsat, maxFeeMsat }) => {
    const h = makePayer();
    await payTipMessage(tipMessage(tipBody({ amountMsat })), h.deps);
    expect(h.lightning.payCalls.map((call) => call.maxFeeMsat)).toEqual([maxFeeMsat]);
    expect(h.ledger.peek('tip-1')?.state).toBe('SUCCEEDED');
  });

  it.each([
    { remainingMs: 60_000, pathfindingTimeoutMs: 30_000, waitMs: 55_000 },
    { remainingMs: 20_000, pathfindingTimeoutMs: 15_000, waitMs: 15_000 },
    { remainingMs: 6_000, pathfindingTimeoutMs: 1_000, waitMs: 1_000 },
  ])(
    'bounds pathfinding and the wait by the time left: $remainingMs ms left → $pathfindingTimeoutMs / $waitMs ms',
    async ({ remainingMs, pathfindingTimeoutMs, waitMs }) => {
      const h = makePayer({ deps: { remainingMs: () => remainingMs } });
      await payTipMessage(tipMessage(), h.deps);
      expect(h.lightning.payCalls.map((call) => [call.pathfindingTimeoutMs, call.waitMs])).toEqual([
        [pathfindingTimeoutMs, waitMs],
      ]);
    },
  );

  it('refuses to start a payment with less time left than the margin: redelivered, nothing sent', async () => {
    const h = makePayer({ deps: { remainingMs: () => 3_000 } });
    await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(TransientPaymentError);
    expect(h.lightning.payCalls).toEqual([]);
    expect(h.ledger.peek(String(tipBody().tipId))).toMatchObject({ state: 'RECEIVED', attempt: 0 });
  });

  it('derives the same hash for the same tipId in independent payers, another for another tipId', async () => {
    const first = makePayer();
    const second = makePayer();
    await payTipMessage(tipMessage(tipBody({ tipId: 'same' })), first.deps);
    await payTipMessage(tipMessage(tipBody({ tipId: 'same' })), second.deps);
    await payTipMessage(tipMessage(tipBody({ tipId: 'other' })), second.deps);
    const hashes = [...first.lightning.payCalls, ...second.lightning.payCalls].map((call) =>
      hex(call.paymentHash),
    );
    expect(hashes).toEqual([specHash('same'), specHash('same'), specHash('other')]);
    expect(specHash('same')).not.toBe(specHash('other'));
    for (const call of [...first.lightning.payCalls, ...second.lightning.payCalls]) {
      expect(sha256Hex(call.preimage)).toBe(hex(call.paymentHash));
    }
  });

  it('sends the custom records and counts the batch progress', async () => {
    const h = makePayer();
    await payTipMessage(tipMessage(tipBody({ message: 'great show', batchId: 'batch-1' })), h.deps);
    expect(h.lightning.payCalls[0]?.records).toEqual([
      { type: TEXT_MESSAGE_RECORD_TYPE, value: new TextEncoder().encode('great show') },
    ]);
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', batchId: 'batch-1' });
    expect(h.ledger.batch('batch-1')).toEqual({
      succeededCount: 1,
      succeededMsat: 21_000n,
      feeMsat: 1_000n,
      failedCount: 0,
      failedMsat: 0n,
    });
  });
});

describe('payTipMessage: an invalid message', () => {
  it.each([
    { description: 'not JSON', body: '{"version":1,', field: 'body', error: /not valid JSON/ },
    {
      description: 'wrong version',
      body: tipBody({ version: 2 }),
      field: 'version',
      error: /schema version 2 is not supported/,
    },
    {
      description: 'pubkey off the curve',
      body: tipBody({ recipientPubkey: `02${'5'.padStart(64, '0')}` }),
      field: 'recipientPubkey',
      error: /is not a point on secp256k1/,
    },
    {
      description: 'zero amount',
      body: tipBody({ amountMsat: 0 }),
      field: 'amountMsat',
      error: /amountMsat is 0/,
    },
  ])('$description → rejected, recorded, LND never called', async ({ body, field, error }) => {
    const h = makePayer();
    const message = tipMessage(body);
    const outcome = await payTipMessage(message, h.deps);

    expect(outcome.kind).toBe('rejected');
    const reason = outcome.kind === 'rejected' ? outcome.reason : '';
    expect(reason).toMatch(error);
    expect(h.ledger.rejection(message.messageId)).toMatchObject({
      messageId: message.messageId,
      reason,
      field,
      body: message.body,
      claimedTipId: typeof body === 'string' ? undefined : 'tip-1',
    });
    expect(h.ledger.peek('tip-1')).toBeUndefined();
    expect(h.lightning.payCalls).toEqual([]);
    expect(h.lightning.lookupCalls).toEqual([]);
    expect(h.checkpoints).toEqual([]);
  });

  it.each([
    {
      description: 'sub-sat amount while msat are not allowed',
      body: tipBody({ amountMsat: 21_500, batchId: 'batch-1' }),
      error: /whole number of sats/,
    },
    {
      description: 'an amount above the maximum lowered after the API accepted it',
      body: tipBody({ amountMsat: 10_000_001_000, batchId: 'batch-1' }),
      error: /amountMsat/,
    },
  ])(
    '$description → the tip ends FAILED (REFUSED_BY_POLICY), its batch row counted, never sent',
    async ({ body, error }) => {
      const h = makePayer();
      const message = tipMessage(body);
      const outcome = await payTipMessage(message, h.deps);

      expect(outcome).toMatchObject({ kind: 'failed', code: 'REFUSED_BY_POLICY' });
      const tip = h.ledger.peek('tip-1');
      expect(tip).toMatchObject({ state: 'FAILED', attempt: 0, failureCode: 'REFUSED_BY_POLICY' });
      expect(tip?.failureReason).toMatch(error);
      expect(h.ledger.batch('batch-1')).toMatchObject({ failedCount: 1 });
      expect(h.ledger.rejection(message.messageId)).toBeUndefined();
      // Redelivered: already ended, counted once.
      expect((await payTipMessage(message, h.deps)).kind).toBe('already-failed');
      expect(h.ledger.batch('batch-1')).toMatchObject({ failedCount: 1 });
      expect(h.lightning.payCalls).toEqual([]);
      expect(h.lightning.lookupCalls).toEqual([]);
    },
  );

  it('records a redelivered bad message once (keyed by message id)', async () => {
    const h = makePayer();
    const message = tipMessage(tipBody({ amountMsat: 0 }));
    await payTipMessage(message, h.deps);
    await payTipMessage(message, h.deps);
    expect(h.ledger.rejectionCount).toBe(1);
    expect(h.lightning.payCalls).toEqual([]);
  });
});

describe('payTipMessage: a tipId seen before', () => {
  it('refuses the same tipId with a different amount as a conflict and pays nothing more', async () => {
    const h = makePayer();
    await payTipMessage(tipMessage(), h.deps);
    const second = tipMessage(tipBody({ amountMsat: 42_000 }));
    const outcome = await payTipMessage(second, h.deps);

    expect(outcome.kind).toBe('conflict');
    expect(outcome.kind === 'conflict' && outcome.reason).toMatch(
      /tipId tip-1 was already used for a different tip/,
    );
    expect(h.ledger.rejection(second.messageId)).toMatchObject({
      field: 'tipId',
      claimedTipId: 'tip-1',
      body: second.body,
    });
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', amountMsat: 21_000n });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });

  it('refuses a conflicting payload even before the first one was paid', async () => {
    const h = makePayer();
    await receivedTip(h, tipMessage());
    const outcome = await payTipMessage(tipMessage(tipBody({ message: 'changed' })), h.deps);
    expect(outcome.kind).toBe('conflict');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'RECEIVED', attempt: 0 });
    expect(h.lightning.payCalls).toEqual([]);
  });

  it('answers already-paid for a SUCCEEDED tip without calling LND', async () => {
    const h = makePayer();
    await payTipMessage(tipMessage(), h.deps);
    const before = h.ledger.peek('tip-1');
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('already-paid');
    expect(h.ledger.peek('tip-1')).toEqual(before);
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([]);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });

  it('answers already-failed for a FAILED tip without calling LND', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
    await payTipMessage(tipMessage(), h.deps);
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('already-failed');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'FAILED', failureCode: 'NO_ROUTE' });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([]);
  });

  it('continues a RECEIVED tip whose worker died before the intent', async () => {
    const h = makePayer();
    await receivedTip(h, tipMessage());
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'RECEIVED', attempt: 0 });

    const outcome = await payTipMessage(tipMessage(), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expect(h.lightning.payCalls).toHaveLength(1);
  });
});

describe('payTipMessage: a tip found SENDING (a worker died after recording its intent)', () => {
  it('pays again with attempt 2 and the same hash when LND never saw the payment', async () => {
    const h = makePayer();
    await recordIntent(h);
    h.checkpoints.length = 0;
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('paid');
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(expectValidReceipt(tip).attempts).toBe(2);
    expect(h.lightning.lookupCalls).toEqual([specHash('tip-1')]);
    expect(h.lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([specHash('tip-1')]);
    expect(h.lightning.settlements).toHaveLength(1);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
    // Every delivery tries to create the tip with its intent first ('before-intent'); finding
    // attempt 1 there, it records attempt 2 from LND's answer.
    expect(h.checkpoints.map(({ step }) => step)).toEqual([
      'before-intent',
      'after-intent',
      'lnd-in-flight',
      'after-lnd-success',
    ]);
  });

  it('pays again when the worker died at the after-intent checkpoint', async () => {
    const h = makePayer();
    await crashAt(h, 'after-intent', tipMessage());
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.lightning.payCalls).toEqual([]);

    h.clock.advance(REDELIVERY_MS);
    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.lightning.payCalls).toHaveLength(1);
  });

  it('records the payment LND made, without paying again, when the lookup says succeeded', async () => {
    const h = makePayer();
    await recordIntent(h);
    h.lightning.scriptLookup({
      status: 'succeeded',
      preimage: Buffer.from(specPreimage('tip-1'), 'hex'),
      feeMsat: 7_000n,
    });
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome).toMatchObject({ kind: 'paid', feeMsat: 7_000n });
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({ state: 'SUCCEEDED', attempt: 1, feeMsat: 7_000n });
    expect(expectValidReceipt(tip)).toMatchObject({ attempts: 1, feeMsat: '7000' });
    expect(h.lightning.payCalls).toEqual([]);
    expect(await h.ledger.getRecipientTotals(G)).toMatchObject({
      paidMsat: 21_000n,
      feeMsat: 7_000n,
      tipCount: 1,
    });
  });

  it('records FAILED with the code when the lookup says LND failed it', async () => {
    const h = makePayer();
    await recordIntent(h);
    h.lightning.scriptLookup({
      status: 'failed',
      code: 'REJECTED_BY_DESTINATION',
      message: 'no keysend',
    });
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome).toMatchObject({
      kind: 'failed',
      code: 'REJECTED_BY_DESTINATION',
      reason: 'no keysend',
    });
    expect(h.ledger.peek('tip-1')).toMatchObject({
      state: 'FAILED',
      attempt: 1,
      failureCode: 'REJECTED_BY_DESTINATION',
      failureReason: 'no keysend',
    });
    expect(h.lightning.payCalls).toEqual([]);
    expect(await h.ledger.getRecipientTotals(G)).toBeUndefined();
  });

  it('leaves the tip SENDING when the lookup says in flight', async () => {
    const h = makePayer();
    const intent = await recordIntent(h);
    h.lightning.scriptLookup({ status: 'in_flight' });
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('in-flight');
    expect(h.ledger.peek('tip-1')).toEqual(intent);
    expect(h.lightning.payCalls).toEqual([]);
    expect(await h.ledger.getRecipientTotals(G)).toBeUndefined();
  });

  it('pays with the key version the tip was created with after the current key rotated', async () => {
    const h = makePayer();
    await recordIntent(h);
    const rotated = makePayer({
      ledger: h.ledger,
      lightning: h.lightning,
      keyVersion: 2,
      preimageKeys: { 1: PREIMAGE_KEY_V1, 2: PREIMAGE_KEY_V2 },
    });
    rotated.clock.advance(REDELIVERY_MS);
    expect(kindOf(await payTipMessage(tipMessage(), rotated.deps))).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', keyVersion: 1 });
    expect(h.lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([specHash('tip-1')]);
    expect(h.lightning.payCalls.map((call) => hex(call.preimage))).toEqual([specPreimage('tip-1')]);
  });

  it('refuses to pay when the key version of the tip is gone', async () => {
    const h = makePayer();
    await recordIntent(h);
    const rotated = makePayer({
      ledger: h.ledger,
      lightning: h.lightning,
      keyVersion: 2,
      preimageKeys: { 2: PREIMAGE_KEY_V2 },
    });
    rotated.clock.advance(REDELIVERY_MS);
    await expect(payTipMessage(tipMessage(), rotated.deps)).rejects.toThrow(
      /no preimage key version 1/,
    );
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 2 });
    expect(h.lightning.payCalls).toEqual([]);
  });
});

describe('payTipMessage: LND errors', () => {
  it('records a permanent failure as FAILED with its code and reason, without throwing', async () => {
    const h = makePayer();
    h.lightning.scriptPay({
      kind: 'permanent',
      code: 'REJECTED_BY_DESTINATION',
      message: `recipient ${G} does not accept keysend payments`,
    });
    const outcome = await payTipMessage(tipMessage(tipBody({ batchId: 'batch-1' })), h.deps);

    expect(outcome).toMatchObject({
      kind: 'failed',
      code: 'REJECTED_BY_DESTINATION',
      reason: `recipient ${G} does not accept keysend payments`,
    });
    expect(h.ledger.peek('tip-1')).toMatchObject({
      state: 'FAILED',
      attempt: 1,
      failureCode: 'REJECTED_BY_DESTINATION',
      failureReason: `recipient ${G} does not accept keysend payments`,
    });
    expect(h.ledger.batch('batch-1')).toMatchObject({ failedCount: 1, failedMsat: 21_000n });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([]);
    expect(await h.ledger.getRecipientTotals(G)).toBeUndefined();
  });

  it('throws on a transient error, keeps the tip SENDING, and a redelivery pays it exactly once', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'transient' });
    await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(TransientPaymentError);
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.lightning.settlements).toEqual([]);

    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('paid');
    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('already-paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([
      specHash('tip-1'),
      specHash('tip-1'),
    ]);
    expect(h.lightning.settlements).toHaveLength(1);
    expect(h.ledger.succeededWrites).toBe(1);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });

  it('asks LND after an ambiguous error and records the payment it made', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'ambiguous', leaves: 'succeeded' });
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('paid');
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expectValidReceipt(tip);
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([specHash('tip-1')]);
    expect(h.lightning.settlements).toHaveLength(1);
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
    expect(h.logs.map(({ message }) => message)).toEqual(['payment outcome unknown, asking LND']);
  });

  it('answers in-flight after an ambiguous error when LND still has the payment', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'ambiguous', leaves: 'in_flight' });
    const outcome = await payTipMessage(tipMessage(), h.deps);

    expect(outcome.kind).toBe('in-flight');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([specHash('tip-1')]);
    expect(await h.ledger.getRecipientTotals(G)).toBeUndefined();
  });

  it('records FAILED after an ambiguous error when LND says it failed, once the lease has passed', async () => {
    const h = makePayer();
    h.lightning
      .scriptPay({ kind: 'ambiguous' })
      .scriptLookup({ status: 'failed', code: 'REJECTED_BY_DESTINATION', message: 'no keysend' })
      .scriptLookup({ status: 'failed', code: 'REJECTED_BY_DESTINATION', message: 'no keysend' });
    // The answer may predate our own send, still on its way to LND: not decided yet.
    const first = await payTipMessage(tipMessage(), h.deps).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(TransientPaymentError);
    expect((first as Error).message).toMatch(
      /only an earlier failure \(REJECTED_BY_DESTINATION\).*once attempt 1's lease has passed/,
    );
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });

    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(), h.deps);
    expect(outcome).toMatchObject({ kind: 'failed', code: 'REJECTED_BY_DESTINATION' });
    expect(h.ledger.peek('tip-1')).toMatchObject({
      state: 'FAILED',
      failureCode: 'REJECTED_BY_DESTINATION',
      failureReason: 'no keysend',
    });
    expect(h.lightning.payCalls).toHaveLength(1);
  });

  it.each(['NO_ROUTE', 'PATHFINDING_TIMEOUT', 'INSUFFICIENT_BALANCE', 'LND_ERROR'] as const)(
    'retries an interrupted attempt that LND failed with %s (same hash), up to MAX_SENDS',
    async (code) => {
      const h = makePayer();
      await recordIntent(h);
      // Attempt 1 was interrupted and failed in LND; attempts 2 and 3 are interrupted too (each
      // decided by the delivery after its lease) and fail the same way.
      h.lightning
        .scriptLookup({ status: 'failed', code, message: 'after restart' })
        .scriptPay({ kind: 'ambiguous' })
        .scriptLookup({ status: 'failed', code, message: 'after restart' })
        .scriptLookup({ status: 'failed', code, message: 'after restart' })
        .scriptPay({ kind: 'ambiguous' })
        .scriptLookup({ status: 'failed', code, message: 'after restart' })
        .scriptLookup({ status: 'failed', code, message: 'still failing' });
      for (const _interrupted of [2, 3]) {
        h.clock.advance(REDELIVERY_MS);
        await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(
          TransientPaymentError,
        );
      }
      h.clock.advance(REDELIVERY_MS);
      const outcome = await payTipMessage(tipMessage(), h.deps);

      expect(outcome).toMatchObject({ kind: 'failed', code, reason: 'still failing' });
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'FAILED', attempt: MAX_SENDS });
      const hashes = new Set(h.lightning.payCalls.map((call) => hex(call.paymentHash)));
      expect(hashes).toEqual(new Set([specHash('tip-1')]));
      expect(h.lightning.payCalls).toHaveLength(MAX_SENDS - 1);
    },
  );

  it('pays an interrupted tip once its retry routes', async () => {
    const h = makePayer();
    await recordIntent(h);
    h.lightning.scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'channels inactive' });
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.lightning.settlements).toHaveLength(1);
  });

  describe("a failure the operator node's own state explains (channels not forwarding yet)", () => {
    it('holds the tip SENDING without spending a receive, then the reconciler pays it with the same hash once the node has recovered', async () => {
      const h = makePayer();
      h.lightning.nodeState = JUST_RESTARTED;
      h.lightning.scriptPay({ kind: 'permanent', code: 'INSUFFICIENT_BALANCE' });
      const held = await payTipMessage(tipMessage(), h.deps);
      // Acknowledged (no throw: no batch item failure, no receive towards the DLQ).
      expect(held).toMatchObject({ kind: 'held' });
      expect(held.kind === 'held' && held.reason).toMatch(
        /1 channel of the operator node that could carry 21000 msat cannot forward yet/,
      );
      expect(h.ledger.peek('tip-1')).toMatchObject({
        state: 'SENDING',
        attempt: 1,
        heldSince: h.clock.now().toISOString(),
      });

      // The reconciler, past the lease: LND says failed, the node is whole again: sent again.
      h.lightning.nodeState = WHOLE_NODE;
      h.lightning.scriptLookup({ status: 'failed', code: 'INSUFFICIENT_BALANCE', message: 'x' });
      h.clock.advance(RECONCILER_MS);
      const summary = await reconcileStuckTips(h.deps, { stuckAfterMs: 120_000, limit: 10 });
      expect(summary.outcomes).toEqual({ paid: 1 });
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
      expect(new Set(h.lightning.payCalls.map((call) => hex(call.paymentHash)))).toEqual(
        new Set([specHash('tip-1')]),
      );
      expect(h.lightning.settlements).toHaveLength(1);
    });

    it('sends nothing while the node still cannot forward, and does not count it as a send', async () => {
      const h = makePayer();
      h.lightning.nodeState = 'down';
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      h.lightning.nodeState = NO_LINK;
      h.lightning.scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'x' });
      h.clock.advance(RECONCILER_MS);
      expect(kindOf(await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps))).toBe('held');
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
      expect(h.lightning.payCalls).toHaveLength(1);
    });

    it('sends a tip held on its third send again once the node is whole: the hold was no send, the attempt numbers still grow', async () => {
      const h = makePayer();
      await recordIntent(h);
      // Attempts 1 and 2 were interrupted and failed in LND (each decided by the delivery after
      // its lease): sends 1 and 2. Attempt 3 is LND's own failure on a node just restarted.
      h.lightning
        .scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'after restart' })
        .scriptPay({ kind: 'ambiguous' })
        .scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'after restart' })
        .scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'after restart' })
        .scriptPay({ kind: 'permanent', code: 'INSUFFICIENT_BALANCE' });
      h.clock.advance(REDELIVERY_MS);
      await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(
        TransientPaymentError,
      );
      // Whole when the delivery judges attempt 2's failure; restarting when attempt 3 is sent.
      h.lightning.payDelay = async () => {
        h.lightning.nodeState = JUST_RESTARTED;
      };
      h.clock.advance(REDELIVERY_MS);
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      h.lightning.payDelay = async () => {};
      expect(h.ledger.peek('tip-1')).toMatchObject({
        state: 'SENDING',
        attempt: MAX_SENDS,
        heldAttempt: MAX_SENDS,
        heldAttempts: 1,
      });

      // Still not forwarding at the reconciler's first look: held on, the attempt counted once.
      h.lightning.nodeState = NO_LINK;
      h.clock.advance(RECONCILER_MS);
      expect(await reconcileStuckTips(h.deps, { stuckAfterMs: 120_000, limit: 10 })).toEqual({
        examined: 1,
        outcomes: { held: 1 },
      });
      expect(h.ledger.peek('tip-1')).toMatchObject({ attempt: MAX_SENDS, heldAttempts: 1 });

      // Whole again: LND's answer for the hash is still attempt 3's failure (a lookup first),
      // and that was the node's: the same hash is sent again as attempt 4, and paid once.
      h.lightning.nodeState = WHOLE_NODE;
      h.clock.advance(RECONCILER_MS);
      const lookups = h.lightning.lookupCalls.length;
      expect(await reconcileStuckTips(h.deps, { stuckAfterMs: 120_000, limit: 10 })).toEqual({
        examined: 1,
        outcomes: { paid: 1 },
      });
      expect(h.lightning.lookupCalls.length).toBe(lookups + 1);
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: MAX_SENDS + 1 });
      const receipt = JSON.parse(h.ledger.peek('tip-1')?.receipt ?? 'null');
      expect(receipt.receipt.attempts).toBe(MAX_SENDS + 1);
      expect(new Set(h.lightning.payCalls.map((call) => hex(call.paymentHash)))).toEqual(
        new Set([specHash('tip-1')]),
      );
      expect(h.lightning.payCalls).toHaveLength(MAX_SENDS);
      expect(h.lightning.settlements).toHaveLength(1);
    });

    it('counts every held attempt once, and a tip held on each of its sends still gets them all', async () => {
      const h = makePayer();
      h.lightning.nodeState = JUST_RESTARTED;
      h.lightning.scriptPay(
        { kind: 'permanent', code: 'INSUFFICIENT_BALANCE' },
        { kind: 'permanent', code: 'INSUFFICIENT_BALANCE' },
        { kind: 'permanent', code: 'INSUFFICIENT_BALANCE' },
      );
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      // The node flaps inside the window: whole at each reconciler look, restarting at each send.
      h.lightning.payDelay = async () => {
        h.lightning.nodeState = JUST_RESTARTED;
      };
      for (const attempt of [2, 3]) {
        h.lightning.nodeState = WHOLE_NODE;
        h.clock.advance(RECONCILER_MS);
        expect(kindOf(await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps))).toBe('held');
        expect(h.ledger.peek('tip-1')).toMatchObject({
          attempt,
          heldAttempt: attempt,
          heldAttempts: attempt,
        });
      }
      // Three holds, no send used up: whole at last, sent once more and paid.
      h.lightning.payDelay = async () => {};
      h.lightning.nodeState = WHOLE_NODE;
      h.clock.advance(RECONCILER_MS);
      expect(kindOf(await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps))).toBe('paid');
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 4 });
      expect(h.lightning.settlements).toHaveLength(1);
    });

    it('an attempt given up before it reached LND and then held is not taken off the sends twice: three interrupted sends still end the tip', async () => {
      const h = makePayer();
      // Attempt 1: LND unreachable at the send (nothing reached it), so the lease is given up
      // (counted in unsentAttempts).
      h.lightning.scriptPay({ kind: 'transient' });
      await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(
        TransientPaymentError,
      );
      // The redelivery: LND answers, has no payment for the hash, its channels are not back yet:
      // held. The same attempt 1, already no send: counting it held too takes it off twice.
      h.lightning.nodeState = NO_LINK;
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      expect(h.ledger.peek('tip-1')).toMatchObject({ attempt: 1, unsentAttempts: 1 });

      // Whole again: each send is interrupted (in flight when the reconciler's run ends), then
      // failed by LND: interrupted sends, MAX_SENDS of them, then the failure stands.
      h.lightning.nodeState = WHOLE_NODE;
      const hash = specHash('tip-1');
      for (let send = 0; send <= MAX_SENDS; send += 1) {
        h.lightning.scriptPay({ kind: 'ambiguous', leaves: 'in_flight' });
      }
      for (let run = 0; run < 2 * MAX_SENDS && h.ledger.peek('tip-1')?.state === 'SENDING'; run++) {
        h.clock.advance(RECONCILER_MS);
        await reconcileStuckTips(h.deps, { stuckAfterMs: 120_000, limit: 10 });
        if (h.lightning.known(hash).status === 'in_flight')
          h.lightning.failInFlight(hash, 'NO_ROUTE');
      }
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'FAILED', attempt: 1 + MAX_SENDS });
      // The call that never reached LND, and MAX_SENDS sends.
      expect(h.lightning.payCalls).toHaveLength(1 + MAX_SENDS);
      expect(h.lightning.settlements).toHaveLength(0);
    });

    it('a redelivered message of a held tip is acknowledged too: it never reaches the dead-letter queue', async () => {
      const h = makePayer();
      h.lightning.nodeState = NO_LINK;
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      // Should SQS deliver the message again (at least once: a duplicate), each receive past the
      // attempt's lease is acknowledged too, none a batch item failure, across the whole window.
      for (let receive = 2; receive <= 6; receive += 1) {
        h.clock.advance(100_000);
        h.lightning.scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'x' });
        expect(kindOf(await payTipMessage(tipMessage(), h.deps)), `receive ${receive}`).toBe(
          'held',
        );
      }
      expect(h.lightning.payCalls).toHaveLength(1);
    });

    it('gives a tip queued long before the node went down the whole window, from its first hold', async () => {
      const h = makePayer();
      // Recorded RECEIVED an hour ago (its invocation had no time left), paid only now.
      await receivedTip(h);
      h.clock.advance(3_600_000);
      h.lightning.nodeState = JUST_RESTARTED;
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      const heldAt = h.clock.now().toISOString();
      // Held for most of the window: still held, the first hold's time kept.
      h.clock.advance(h.deps.policy.nodeRecoveryMs - 60_000);
      h.lightning.scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'x' });
      expect(kindOf(await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps))).toBe('held');
      expect(h.ledger.peek('tip-1')?.heldSince).toBe(heldAt);
      expect(h.lightning.payCalls).toHaveLength(1);
    });

    it('fails the tip once the window from its first hold has passed (a peer that never comes back)', async () => {
      const h = makePayer();
      h.lightning.nodeState = JUST_RESTARTED;
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('held');
      // Past the window, the lookup's failure is judged on a node still missing the channel:
      // sent again (sends remain), and that send's own failure is final.
      h.lightning.scriptLookup({ status: 'failed', code: 'NO_ROUTE', message: 'no route' });
      h.clock.advance(h.deps.policy.nodeRecoveryMs);
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE', message: 'no route' });
      const outcome = await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps);
      expect(outcome).toMatchObject({ kind: 'failed', code: 'NO_ROUTE' });
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'FAILED', attempt: 2 });
    });

    it('fails at once on a whole node: its answer is about the route', async () => {
      const h = makePayer();
      h.lightning.scriptPay({ kind: 'permanent', code: 'INSUFFICIENT_BALANCE' });
      const outcome = await payTipMessage(tipMessage(), h.deps);
      expect(outcome).toMatchObject({ kind: 'failed', code: 'INSUFFICIENT_BALANCE' });
      expect(h.lightning.payCalls).toHaveLength(1);
    });

    it('fails a genuine NO_ROUTE at once while a peer has been offline for hours', async () => {
      const h = makePayer();
      h.lightning.nodeState = {
        syncedToGraph: true,
        channels: [
          { active: false, localBalanceMsat: 16_000_000_000n, offlineMs: 5 * 3_600_000 },
          { active: true, localBalanceMsat: 1_000_000_000n, offlineMs: 0 },
        ],
      };
      h.lightning.scriptPay({ kind: 'permanent', code: 'NO_ROUTE' });
      expect(await payTipMessage(tipMessage(), h.deps)).toMatchObject({
        kind: 'failed',
        code: 'NO_ROUTE',
      });
    });
  });

  it('throws a transient error after an ambiguous one when LND has no payment', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'ambiguous', message: 'deadline exceeded', leaves: 'nothing' });
    const error = await payTipMessage(tipMessage(), h.deps).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(TransientPaymentError);
    expect((error as Error).message).toMatch(
      /LND has no payment for tip tip-1 after: deadline exceeded; decided once attempt 1's lease has passed/,
    );
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.lookupCalls).toEqual([specHash('tip-1')]);

    // The redelivery finds it SENDING, LND still knows nothing: pay again, same hash.
    h.clock.advance(REDELIVERY_MS);
    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(h.lightning.settlements).toHaveLength(1);
  });

  it('lets a worker that died with the payment in flight be followed by in-flight, then paid', async () => {
    const h = makePayer();
    await crashAt(h, 'lnd-in-flight', tipMessage());
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
    expect(h.lightning.known(specHash('tip-1')).status).toBe('in_flight');

    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('in-flight');
    h.lightning.settleInFlight(specHash('tip-1'));
    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('paid');

    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.settlements).toHaveLength(1);
  });
});

describe('payTipMessage: two workers on one message', () => {
  // Delays are event-loop turns. `early` marks interleavings where the second worker finds the
  // intent before LND has the payment: it used to take over with attempt 2 and send too (LND's
  // duplicate guard refused one of the two); now the first worker's lease keeps it out (it
  // throws, and SQS brings the message back later) and there is only ever one send.
  const interleavings = [
    { pay: 0, lookup: 0, ledger: 0, inFlight: 0, offset: 0, early: false },
    { pay: 0, lookup: 0, ledger: 0, inFlight: 1, offset: 0, early: false },
    { pay: 0, lookup: 0, ledger: 1, inFlight: 5, offset: 0, early: false },
    { pay: 2, lookup: 0, ledger: 0, inFlight: 0, offset: 0, early: true },
    { pay: 2, lookup: 0, ledger: 0, inFlight: 1, offset: 0, early: true },
    { pay: 2, lookup: 0, ledger: 1, inFlight: 0, offset: 1, early: true },
    { pay: 6, lookup: 1, ledger: 1, inFlight: 20, offset: 2, early: true },
    { pay: 0, lookup: 0, ledger: 1, inFlight: 0, offset: 50, early: false },
  ];

  it.each(interleavings)(
    'pays exactly once (LND pay $pay, lookup $lookup, ledger $ledger, in flight $inFlight, second worker $offset late)',
    async ({ pay, lookup, ledger: ledgerTicks, inFlight, offset, early }) => {
      const ledger = new FakeTipLedger();
      ledger.io = () => ticks(ledgerTicks);
      const lightning = new FakeLightningNode();
      lightning.duplicateGuard = true;
      lightning.payDelay = () => ticks(pay);
      lightning.lookupDelay = () => ticks(lookup);
      lightning.inFlightDelay = () => ticks(inFlight);
      const first = makePayer({ ledger, lightning });
      const second = makePayer({ ledger, lightning });
      const message = tipMessage();

      const outcomes = await Promise.all([
        payTipMessage(message, first.deps),
        ticks(offset).then(() =>
          payTipMessage(message, second.deps).catch((error: unknown) => {
            if (!(error instanceof TransientPaymentError)) throw error;
            return { kind: 'retried later' as const };
          }),
        ),
      ]);

      const kinds = outcomes.map(({ kind }) => kind);
      expect(kinds[0]).toBe('paid');
      expect(kinds[1]).toBe(early ? 'retried later' : kinds[1]);
      expect(['already-paid', 'in-flight', 'retried later']).toContain(kinds[1]);
      expect(lightning.settlements).toHaveLength(1);
      expect(ledger.succeededWrites).toBe(1);
      const tip = ledger.peek('tip-1');
      expect(tip).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
      expect(expectValidReceipt(tip).attempts).toBe(1);
      expect(await ledger.getRecipientTotals(G)).toMatchObject({ paidMsat: 21_000n, tipCount: 1 });
      expect(lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([specHash('tip-1')]);
    },
  );
});

describe('driveTip', () => {
  it('gives up with a transient error when the tip keeps changing under it', async () => {
    class AlwaysConflicting extends FakeTipLedger {
      override async markSending(): Promise<TipRecord> {
        throw new LedgerConflictError('lost the race');
      }
    }
    const h = makePayer({ ledger: new AlwaysConflicting() });
    await receivedTip(h, tipMessage());
    const start = h.ledger.peek('tip-1') as TipRecord;

    await expect(driveTip(start, h.deps)).rejects.toThrow(
      new TransientPaymentError('tip tip-1 kept changing under us; retrying later'),
    );
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'RECEIVED', attempt: 0 });
    expect(h.lightning.payCalls).toEqual([]);
  });

  it('re-reads a stale record and answers already-paid instead of paying again', async () => {
    const h = makePayer();
    await receivedTip(h, tipMessage());
    const stale = h.ledger.peek('tip-1') as TipRecord;
    await payTipMessage(tipMessage(), h.deps);

    expect(kindOf(await driveTip(stale, h.deps))).toBe('already-paid');
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.ledger.succeededWrites).toBe(1);
  });
});

describe('the fakes', () => {
  it('keep their own copies: a caller mutating a record changes nothing stored', async () => {
    const h = makePayer();
    await payTipMessage(tipMessage(tipBody({ message: 'hi' })), h.deps);
    const tip = (await h.ledger.getTip('tip-1')) as TipRecord;
    tip.state = 'FAILED';
    tip.amountMsat = 1n;
    (tip.records[0] as { value: Uint8Array }).value[0] = 0;
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', amountMsat: 21_000n });
    expect(h.ledger.peek('tip-1')?.records[0]?.value[0]).toBe('h'.charCodeAt(0));
  });

  it('enforce the adapter conditions on every transition', async () => {
    const h = makePayer();
    const now = h.clock.now();
    await receivedTip(h, tipMessage());
    const received = h.ledger.peek('tip-1') as TipRecord;
    const created = await h.ledger.createTip({ ...received, amountMsat: 1n }, now);
    expect(created).toMatchObject({ created: false, record: { amountMsat: 21_000n } });
    await expect(
      h.ledger.markSending('tip-1', 'SENDING', 0, received.paymentHash, now, now),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(
      h.ledger.markSending('tip-1', 'RECEIVED', 1, received.paymentHash, now, now),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(
      h.ledger.markSending('nope', 'RECEIVED', 0, received.paymentHash, now, now),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    const failure = { code: 'NO_ROUTE' as const, reason: 'x' };
    const outcome = { receipt: '{}', feeMsat: 0n, settledAt: DEFAULT_SETTLED_AT };
    await expect(h.ledger.markFailed(received, failure, now)).rejects.toBeInstanceOf(
      LedgerConflictError,
    );
    const sending = await h.ledger.markSending(
      'tip-1',
      'RECEIVED',
      0,
      received.paymentHash,
      now,
      now,
    );
    expect(sending).toMatchObject({
      state: 'SENDING',
      attempt: 1,
      sendingSince: now.toISOString(),
    });
    await expect(
      h.ledger.markSucceeded({ ...sending, attempt: 2 }, outcome, now),
    ).rejects.toBeInstanceOf(LedgerConflictError);
    await h.ledger.markSucceeded(sending, outcome, now);
    await expect(h.ledger.markSucceeded(sending, outcome, now)).rejects.toBeInstanceOf(
      LedgerConflictError,
    );
    await expect(h.ledger.markFailed(sending, failure, now)).rejects.toBeInstanceOf(
      LedgerConflictError,
    );
    expect((await h.ledger.getRecipientTotals(G))?.tipCount).toBe(1);
  });

  it('emulate the duplicate guard of LND', async () => {
    const h: PayerHarness = makePayer();
    h.lightning.duplicateGuard = true;
    await payTipMessage(tipMessage(), h.deps);
    await expect(h.lightning.payKeysend(h.lightning.payCalls[0] as KeysendPayment)).rejects.toThrow(
      AmbiguousPaymentError,
    );
    expect(h.lightning.settlements).toHaveLength(1);
  });
});

describe('an answer from LND decides only the attempt it belongs to (issue 10, defect 2)', () => {
  /** Attempts 1 and 2 each died with the payment in flight, and LND then failed each (NO_ROUTE). */
  const twoInterruptedAttempts = async () => {
    const h = makePayer();
    h.lightning.duplicateGuard = true;
    const hash = specHash('tip-1');
    for (const attempt of [1, 2]) {
      await crashAt(h, 'lnd-in-flight', tipMessage());
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt });
      h.lightning.failInFlight(hash, 'NO_ROUTE', `attempt ${attempt} lost its route`);
      h.clock.advance(REDELIVERY_MS);
    }
    return { h, hash };
  };

  /** Holds worker R between recording attempt 3 and LND taking its send, until released. */
  const holdSends = (h: PayerHarness) => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reachedLnd = () => {};
    const atLnd = new Promise<void>((resolve) => {
      reachedLnd = resolve;
    });
    h.lightning.payDelay = async () => {
      reachedLnd();
      await released;
    };
    return { atLnd, release };
  };

  it.each(['redelivered message', 'reconciler'] as const)(
    'a %s that reads attempt 3 while its owner is about to send never records FAILED for a hash that settles',
    async (other) => {
      const { h, hash } = await twoInterruptedAttempts();
      const gate = holdSends(h);

      // R: attempt 2 failed in LND, so R records attempt 3 (the last) and heads for LND.
      const r = payTipMessage(tipMessage(), h.deps);
      await gate.atLnd;
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 3 });
      expect(h.lightning.known(hash)).toMatchObject({ status: 'failed', code: 'NO_ROUTE' });

      // M reads attempt 3 and hears attempt 2's failure from LND: it must leave attempt 3 alone.
      const m =
        other === 'reconciler'
          ? await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps)
          : await payTipMessage(tipMessage(), h.deps).catch((error: unknown) => error);
      if (other === 'reconciler') expect(m).toMatchObject({ kind: 'leased' });
      else expect(m).toBeInstanceOf(TransientPaymentError);
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 3 });

      // R's send goes through (LND lets a failed hash be sent again) and settles.
      gate.release();
      expect(kindOf(await r)).toBe('paid');
      expect(h.lightning.settlements).toHaveLength(1);
      expect(h.ledger.failedWrites).toBe(0);
      const tip = h.ledger.peek('tip-1');
      expect(tip).toMatchObject({ state: 'SUCCEEDED', attempt: 3 });
      expectValidReceipt(tip);
      expect(await h.ledger.getRecipientTotals(G)).toMatchObject({ tipCount: 1 });
    },
  );

  it('once the owner of attempt 3 is past its lease (it died before sending), the same answer fails the tip', async () => {
    const { h, hash } = await twoInterruptedAttempts();
    await crashAt(h, 'after-intent', tipMessage());
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 3 });

    // Within the lease and its grace: not decided.
    h.clock.advance(60_000 + POLICY.leaseGraceMs);
    expect(await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps)).toMatchObject({
      kind: 'leased',
    });
    // A millisecond later no send of attempt 3 can come any more: LND's answer is final.
    h.clock.advance(1);
    const outcome = await driveTip(h.ledger.peek('tip-1') as TipRecord, h.deps);
    expect(outcome).toMatchObject({ kind: 'failed', code: 'NO_ROUTE' });
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'FAILED', attempt: 3 });
    expect(h.lightning.known(hash).status).toBe('failed');
    expect(h.lightning.settlements).toHaveLength(0);
  });

  it('the owner never sends once its lease has run out (a worker that outlived its deadline)', async () => {
    const h = makePayer();
    let left = 60_000;
    const deps = {
      ...h.deps,
      remainingMs: () => left,
      checkpoint: (step: string) => {
        // The invocation stalls between recording the intent and the send, past its deadline.
        if (step === 'after-intent') h.clock.advance(60_000);
        left = 60_000;
      },
    };
    const error = await payTipMessage(tipMessage(), deps).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TransientPaymentError);
    expect((error as Error).message).toMatch(/lease of tip tip-1's attempt 1 ran out/);
    expect(h.lightning.payCalls).toEqual([]);
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });
  });

  it('an owner whose send never reached LND gives its lease up, so the redelivery need not wait', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'transient' });
    await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(TransientPaymentError);
    expect(h.ledger.peek('tip-1')?.leaseUntil).toBeUndefined();
    expect(kindOf(await payTipMessage(tipMessage(), h.deps))).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
  });
});
