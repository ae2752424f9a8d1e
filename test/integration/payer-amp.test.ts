import { createHmac } from 'node:crypto';
import type { AuthenticatedLnd } from 'lightning';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureLocalKeys, startLocalService } from '../../infra/local/emulators/service.js';
import {
  ampReceivedBy,
  giveBackInbound,
  settledSets,
} from '../../infra/local/stack/amp-receiver.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import type { PayerStep } from '../../shared/app/pay-tip.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import type { TipState } from '../../shared/ports/tip-ledger.js';
import {
  apiClient,
  createTestQueue,
  enqueue,
  newTestPlatform,
  type StackClients,
  stackClients,
  tipRequest,
  waitForTip,
} from './helpers.js';
import { payerWorkers } from './payer-workers.js';

const stack = inject('stack');

/** The current preimage key of the local payer: what a tip's AMP address is derived from. */
const localPreimageKey = async () => {
  const keys = await ensureLocalKeys(stack.runDir);
  const entry = keys.preimageKeys
    .split(',')
    .find((pair) => pair.startsWith(`${keys.preimageKeyVersion}:`));
  return Buffer.from(entry?.split(':')[1] ?? '', 'hex');
};

/** grace has two 600,000-sat channels from bob: no single path carries this, both together do. */
const LARGE_MSAT = 1_000_000_000;

/**
 * grace pays bob back what she holds beyond her reserves, so every test (and every run on a
 * reused stack) finds her inbound liquidity whole again.
 */
const giveBack = (clients: StackClients) =>
  giveBackInbound(clients.lnd.grace as AuthenticatedLnd, clients.lnd.bob as AuthenticatedLnd);

/** Waits until the recipient shows the address's invoice with a settled set; returns them all. */
const settledOn = (lnd: AuthenticatedLnd, address: string) =>
  waitFor(
    `grace to show AMP address ${address} settled`,
    async () => {
      const invoices = await ampReceivedBy(lnd, address);
      return settledSets(invoices).length > 0 ? invoices : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  );

describe.runIf(stack.lightning.network === 'regtest')('AMP on the real stack (grace)', () => {
  let clients: StackClients;
  let service: Awaited<ReturnType<typeof startLocalService>>;
  let queueUrl: string;
  let preimageKey: Buffer;
  const addressOf = (tipId: string) =>
    createHmac('sha256', preimageKey).update(`tipstream:amp-addr:v1:${tipId}`).digest('hex');

  beforeAll(async () => {
    clients = await stackClients(stack);
    ({ queueUrl } = await createTestQueue(clients, 'payer-amp'));
    service = await startLocalService(stack, {
      reconcileEveryMs: 0,
      batchSize: 10,
      visibilityTimeoutSeconds: 5,
      queueUrl,
      apiPort: 0,
    });
    preimageKey = await localPreimageKey();
    await giveBack(clients);
  });
  afterEach(() => giveBack(clients));
  afterAll(async () => {
    await service?.stop();
    clients?.destroy();
  });

  it('a tip no single path carries fails by keysend (NO_ROUTE) and is paid once by AMP', async () => {
    const byKeysend = tipRequest(stack, 'grace', { amountMsat: LARGE_MSAT });
    await enqueue(queueUrl, clients, [byKeysend]);
    const failed = await waitForTip(clients, byKeysend.tipId, ['SUCCEEDED', 'FAILED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.failureCode).toBe('NO_ROUTE');

    const byAmp = tipRequest(stack, 'grace', {
      amountMsat: LARGE_MSAT,
      method: 'amp',
      message: 'too big for one path',
    });
    await enqueue(queueUrl, clients, [byAmp]);
    const tip = await waitForTip(clients, byAmp.tipId, ['SUCCEEDED', 'FAILED'], 90_000);
    expect(tip, tip.failureReason).toMatchObject({
      state: 'SUCCEEDED',
      sendMethod: 'amp',
      paymentAddr: addressOf(byAmp.tipId),
    });
    const signed = JSON.parse(tip.receipt ?? '{}');
    expect(verifyReceipt(signed).ok).toBe(true);
    expect(signed.receipt).toMatchObject({ method: 'amp', paymentAddr: addressOf(byAmp.tipId) });

    const invoices = await settledOn(clients.lnd.grace as AuthenticatedLnd, addressOf(byAmp.tipId));
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.is_amp).toBe(true);
    expect(settledSets(invoices)).toHaveLength(1);
    expect(invoices[0]?.amt_paid_msat).toBe(String(LARGE_MSAT));
    // Every shard carries the tip's records; more than one shard carried the money.
    const settledHtlcs = invoices[0]?.htlcs.filter((htlc) => htlc.state === 'SETTLED') ?? [];
    expect(settledHtlcs.length).toBeGreaterThan(1);
    // The raw client keys map<uint64, bytes> by the key's 8 little-endian bytes.
    const messages = settledHtlcs.map((htlc) =>
      Object.entries(htlc.custom_records ?? {})
        .find(([type]) => Buffer.from(type, 'latin1').readBigUInt64LE() === 34349334n)?.[1]
        ?.toString(),
    );
    expect(messages.every((message) => message === 'too big for one path')).toBe(true);
  });

  it('auto picks AMP for the same tip, and says why', async () => {
    const request = tipRequest(stack, 'grace', { amountMsat: LARGE_MSAT, method: 'auto' });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED'], 90_000);
    expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
    expect(tip.sendMethod).toBe('amp');
    expect(tip.methodReason).toMatch(/no single path carries 1,000,000 sats .* advertises AMP/);
    expect(
      settledSets(await settledOn(clients.lnd.grace as AuthenticatedLnd, addressOf(request.tipId))),
    ).toHaveLength(1);
  });

  it('auto keeps keysend when one path carries the tip', async () => {
    const request = tipRequest(stack, 'carol', { amountMsat: 10_000_000, method: 'auto' });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip).toMatchObject({ state: 'SUCCEEDED', sendMethod: 'keysend' });
    expect(JSON.parse(tip.receipt ?? '{}').receipt.method).toBe('keysend');
  });

  it('a payout row with method auto too large for one path is paid by AMP; the plain row by keysend', async () => {
    const call = apiClient(
      service.api?.url ?? '',
      await newTestPlatform(clients, 'it-amp-payout', 5_000_000),
    );
    const csv = [
      'pubkey,amount_sats,memo,custom_key,custom_value,method',
      `${stackNode(stack, 'grace').pubkey},${LARGE_MSAT / 1000},weekly payout,,,auto`,
      `${stackNode(stack, 'carol').pubkey},2100,small one`,
    ].join('\n');
    const accepted = await call('POST', '/v1/payouts', csv, { contentType: 'text/csv' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const done = await waitFor(
      'the payout to finish',
      async () => {
        const { body } = await call('GET', `/v1/payouts/${accepted.body.batchId}`);
        return body.status === 'DONE' ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(done.counts).toEqual({ total: 2, succeeded: 2, failed: 0, pending: 0 });
    const [big, small] = await Promise.all(
      done.rows.map((row: { tipId: string }) => clients.ledger.getTip(row.tipId)),
    );
    expect(big).toMatchObject({ sendMethod: 'amp', paymentAddr: addressOf(big?.tipId ?? '') });
    expect(big?.methodReason).toMatch(/no single path carries 1,000,000 sats .* advertises AMP/);
    expect(JSON.parse(big?.receipt ?? '{}').receipt).toMatchObject({ method: 'amp' });
    expect(small?.sendMethod ?? 'keysend').toBe('keysend');
    expect(JSON.parse(small?.receipt ?? '{}').receipt.method).toBe('keysend');
    // On grace's node: one AMP invoice for the row's address, one settled set of the full amount.
    const invoices = await settledOn(
      clients.lnd.grace as AuthenticatedLnd,
      addressOf(big?.tipId ?? ''),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const again = await ampReceivedBy(
      clients.lnd.grace as AuthenticatedLnd,
      addressOf(big?.tipId ?? ''),
    );
    expect(again).toHaveLength(invoices.length);
    expect(settledSets(again)).toEqual([
      expect.objectContaining({ amt_paid_msat: String(LARGE_MSAT) }),
    ]);
  }, 150_000);

  it('AMP to a node without --accept-amp fails with words that name AMP', async () => {
    const request = tipRequest(stack, 'erin', { amountMsat: 5_000_000, method: 'amp' });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip.state).toBe('FAILED');
    expect(tip.failureReason).toMatch(/does not accept AMP/);
  });
});

// ---------------------------------------------------------------------------------------------
// Crash injection: the payer worker killed (SIGKILL) at each step of an AMP tip.

const startWorker = payerWorkers(stack.runDir);

describe.runIf(stack.lightning.network === 'regtest')('AMP payer crash injection (SIGKILL)', () => {
  let clients: StackClients;
  let queueUrl: string;
  let preimageKey: Buffer;

  beforeAll(async () => {
    clients = await stackClients(stack);
    ({ queueUrl } = await createTestQueue(clients, 'payer-amp-crash'));
    preimageKey = await localPreimageKey();
    await giveBack(clients);
  });
  afterAll(() => clients?.destroy());

  // The tip is recorded with its intent in one write: killed before it, nothing is recorded.
  it.each<{ step: PayerStep; stateAfterCrash: TipState | undefined }>([
    { step: 'before-intent', stateAfterCrash: undefined },
    { step: 'after-intent', stateAfterCrash: 'SENDING' },
    { step: 'lnd-in-flight', stateAfterCrash: 'SENDING' },
    { step: 'after-lnd-success', stateAfterCrash: 'SENDING' },
  ])(
    'killed at $step, restarted: grace receives the AMP tip exactly once',
    async ({ step, stateAfterCrash }) => {
      const doomed = await startWorker(queueUrl, step);
      const request = tipRequest(stack, 'grace', { amountMsat: 50_000_000, method: 'amp' });
      const address = createHmac('sha256', preimageKey)
        .update(`tipstream:amp-addr:v1:${request.tipId}`)
        .digest('hex');
      await enqueue(queueUrl, clients, [request]);
      const { code, signal } = await doomed.exited;
      expect(signal === 'SIGKILL' || code === 137, `${code}/${signal}\n${doomed.output()}`).toBe(
        true,
      );
      expect((await clients.ledger.getTip(request.tipId))?.state).toBe(stateAfterCrash);

      await startWorker(queueUrl);
      const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED'], 60_000);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      expect(tip.paymentAddr).toBe(address);
      const lnd = clients.lnd.grace as AuthenticatedLnd;
      await settledOn(lnd, address);
      // A moment for a second payment, were there one, to land on grace.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const invoices = await ampReceivedBy(lnd, address);
      expect(settledSets(invoices)).toHaveLength(1);
      expect(invoices[0]?.amt_paid_msat).toBe('50000000');
      expect(tip.attempt).toBe(step === 'after-intent' ? 2 : 1);
      await giveBack(clients);
    },
    120_000,
  );

  it('an AMP tip enqueued 30 times at once to three workers is paid once (a large one, so every set is multipath)', async () => {
    await Promise.all([1, 2, 3].map(() => startWorker(queueUrl)));
    const request = tipRequest(stack, 'grace', { amountMsat: 700_000_000, method: 'amp' });
    const address = createHmac('sha256', preimageKey)
      .update(`tipstream:amp-addr:v1:${request.tipId}`)
      .digest('hex');
    // 30 copies in three concurrent batches: every worker's receive finds some of them.
    await Promise.all(
      [0, 1, 2].map(() =>
        enqueue(
          queueUrl,
          clients,
          Array.from({ length: 10 }, () => request),
        ),
      ),
    );
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
    const lnd = clients.lnd.grace as AuthenticatedLnd;
    await settledOn(lnd, address);
    // The copies still on the queue are decided against the ended tip: give them time to land.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const invoices = await ampReceivedBy(lnd, address);
    expect(invoices).toHaveLength(1);
    expect(settledSets(invoices)).toEqual([
      expect.objectContaining({ amt_paid_msat: '700000000' }),
    ]);
    expect((await clients.ledger.getTip(request.tipId))?.attempt).toBe(1);
    await giveBack(clients);
  }, 120_000);
});
