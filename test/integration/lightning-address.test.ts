import { getInvoices } from 'lightning';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalService } from '../../infra/local/emulators/service.js';
import { DAVE_SUB_WALLET } from '../../infra/local/stack/lightning-address.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createLightningAddressResolver } from '../../shared/adapters/http/lightning-address-resolver.js';
import type { PayerStep } from '../../shared/app/pay-tip.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { parseLightningAddress } from '../../shared/domain/lightning-address.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import { buildTipRequest } from '../../shared/domain/tip-request.js';
import type { TipState } from '../../shared/ports/tip-ledger.js';
import {
  apiClient,
  createTestQueue,
  enqueue,
  newTestPlatform,
  receiptPublicKey,
  receivedBy,
  type StackClients,
  stackClients,
  useLocalService,
  waitForTip,
} from './helpers.js';
import { payerWorkers } from './payer-workers.js';

const stack = inject('stack');
const utf8Hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
const addressOf = (name: string) => stack.lightningAddress?.addresses[name] ?? '';

const addressTip = (name: string, amountMsat: number, extra: Record<string, unknown> = {}) =>
  buildTipRequest({
    tipId: `it-lnaddr-${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    platformId: 'integration-tests',
    recipientAddress: addressOf(name),
    amountMsat,
    ...extra,
  });

/** erin's settled invoices for exactly this amount: an LNURL tip must leave exactly one. */
const erinSettled = async (clients: StackClients, amountMsat: number) => {
  const { invoices } = await getInvoices({ lnd: clients.lnd.erin as never, limit: 1000 });
  return invoices.filter(
    (invoice) => invoice.is_confirmed && invoice.received_mtokens === String(amountMsat),
  );
};

describe.runIf(stack.lightning.network === 'regtest')(
  'Lightning Address tips on the real stack',
  () => {
    let clients: StackClients;
    let service: Awaited<ReturnType<typeof startLocalService>>;
    let queueUrl: string;

    beforeAll(async () => {
      clients = await stackClients(stack);
      ({ queueUrl } = await createTestQueue(clients, 'lnaddr-test'));
      service = await startLocalService(stack, {
        reconcileEveryMs: 0,
        batchSize: 10,
        visibilityTimeoutSeconds: 5,
        queueUrl,
      });
    });
    afterAll(async () => {
      await service?.stop();
      clients?.destroy();
    });

    it('pays carol (keysend details), dave’s sub-wallet (keysend + 696969) and erin (LNURL invoice) once each, as their nodes show', async () => {
      const carol = addressTip('carol', 1_111_000, { message: 'by address' });
      const dave = addressTip('dave', 1_222_000);
      const erin = addressTip('erin', 1_333_000, { message: 'to an invoice' });
      // Every tip three times: redeliveries and duplicates must not pay twice.
      await enqueue(queueUrl, clients, [carol, dave, erin, carol, dave, erin, carol, dave, erin]);
      const [carolTip, daveTip, erinTip] = await Promise.all(
        [carol, dave, erin].map((request) =>
          waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']),
        ),
      );
      const operatorKey = receiptPublicKey(service);

      expect(carolTip?.state, carolTip?.failureReason).toBe('SUCCEEDED');
      expect(carolTip?.recipient).toBe(addressOf('carol'));
      expect(carolTip?.destination).toBe(stackNode(stack, 'carol').pubkey);
      const carolPaid = await receivedBy(clients, 'carol', carolTip?.paymentHash ?? '');
      expect(carolPaid).toHaveLength(1);
      expect(carolPaid[0]?.is_confirmed).toBe(true);
      expect(carolPaid[0]?.received_mtokens).toBe('1111000');
      expect(carolPaid[0]?.payments.flatMap((payment) => payment.messages)).toContainEqual({
        type: '34349334',
        value: utf8Hex('by address'),
      });
      const carolReceipt = JSON.parse(carolTip?.receipt ?? '{}');
      expect(verifyReceipt(carolReceipt, operatorKey).ok).toBe(true);
      expect(carolReceipt.receipt).toMatchObject({
        recipient: addressOf('carol'),
        method: 'keysend',
        node: stackNode(stack, 'carol').pubkey,
      });

      expect(daveTip?.state, daveTip?.failureReason).toBe('SUCCEEDED');
      const davePaid = await receivedBy(clients, 'dave', daveTip?.paymentHash ?? '');
      expect(davePaid).toHaveLength(1);
      expect(davePaid[0]?.is_confirmed).toBe(true);
      expect(davePaid[0]?.payments.flatMap((payment) => payment.messages)).toContainEqual({
        type: '696969',
        value: utf8Hex(DAVE_SUB_WALLET),
      });

      expect(erinTip?.state, erinTip?.failureReason).toBe('SUCCEEDED');
      expect(erinTip?.sendMethod).toBe('lnurl-invoice');
      expect(erinTip?.destination).toBe(stackNode(stack, 'erin').pubkey);
      const erinPaid = await receivedBy(clients, 'erin', erinTip?.paymentHash ?? '');
      expect(erinPaid).toHaveLength(1);
      expect(erinPaid[0]?.is_confirmed).toBe(true);
      expect(erinPaid[0]?.request).toBe(erinTip?.invoice);
      // Only the stored invoice was paid, whatever the duplicates fetched.
      expect(await erinSettled(clients, 1_333_000)).toHaveLength(1);
      const erinReceipt = JSON.parse(erinTip?.receipt ?? '{}');
      expect(verifyReceipt(erinReceipt, operatorKey).ok).toBe(true);
      expect(erinReceipt.receipt).toMatchObject({
        recipient: addressOf('erin'),
        method: 'lnurl-invoice',
        node: stackNode(stack, 'erin').pubkey,
        invoice: erinTip?.invoice,
        paymentHash: erinTip?.paymentHash,
        preimage: erinPaid[0]?.secret,
      });
    }, 90_000);

    it('fails a tip to an address nobody serves with the reason in words, sending nothing', async () => {
      const host = stack.lightningAddress?.host ?? '';
      const request = buildTipRequest({
        tipId: `it-lnaddr-nobody-${Date.now()}`,
        platformId: 'integration-tests',
        recipientAddress: `nobody@${host}`,
        amountMsat: 5_000,
      });
      await enqueue(queueUrl, clients, [request]);
      const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state).toBe('FAILED');
      expect(tip.failureCode).toBe('ADDRESS_UNRESOLVED');
      expect(tip.failureReason).toBe(
        `nobody@${host}: no keysend details and the LNURL server answered 404 (no such user)`,
      );
      expect(tip.attempt).toBe(0);
    }, 60_000);

    it('measures resolution: cold, then cached (keysend details and LNURL-pay parameters)', async () => {
      const host = stack.lightningAddress?.host ?? '';
      const resolver = createLightningAddressResolver({
        fetch: { allowHosts: [host], timeoutMs: 5_000, maxBytes: 65_536, maxRedirects: 3 },
        cacheTtlMs: 300_000,
      });
      const timings: Record<string, number[]> = {};
      for (const name of ['carol', 'dave', 'erin']) {
        const address = parseLightningAddress(addressOf(name));
        for (const round of ['cold', 'cached', 'cached']) {
          const started = performance.now();
          const resolution = await resolver.resolve(address, 2_000_000n);
          const key = `${name} ${round}`;
          timings[key] = [...(timings[key] ?? []), performance.now() - started];
          expect(resolution.kind).toBe(name === 'erin' ? 'lnurl' : 'keysend');
        }
      }
      const line = Object.entries(timings)
        .map(([key, values]) => `${key} ${values.map((ms) => ms.toFixed(1)).join('/')} ms`)
        .join('; ');
      process.stdout.write(`resolution latency: ${line}\n`);
    });
  },
);

/** What the ledger must show right after the kill. */
const crashPoints: Array<{ step: PayerStep; stateAfterCrash: TipState | undefined }> = [
  // The invoice was fetched but not stored: it must never be paid.
  { step: 'before-intent', stateAfterCrash: undefined },
  { step: 'after-intent', stateAfterCrash: 'SENDING' },
  { step: 'lnd-in-flight', stateAfterCrash: 'SENDING' },
  { step: 'after-lnd-success', stateAfterCrash: 'SENDING' },
];

describe.runIf(stack.lightning.network === 'regtest')('LNURL tip crash injection (SIGKILL)', () => {
  const startWorker = payerWorkers(stack.runDir);
  let clients: StackClients;
  let queueUrl: string;

  beforeAll(async () => {
    clients = await stackClients(stack);
    ({ queueUrl } = await createTestQueue(clients, 'lnaddr-crash'));
  });
  afterAll(() => clients?.destroy());

  it.each(crashPoints.map((point, index) => ({ ...point, amountMsat: 2_345_000 + index * 1000 })))(
    'killed at $step, restarted with the message redelivered: erin is paid exactly once',
    async ({ step, stateAfterCrash, amountMsat }) => {
      const doomed = await startWorker(queueUrl, step);
      const request = addressTip('erin', amountMsat);
      await enqueue(queueUrl, clients, [request]);
      const { code, signal } = await doomed.exited;
      expect(signal === 'SIGKILL' || code === 137, `${code}/${signal}\n${doomed.output()}`).toBe(
        true,
      );
      expect(doomed.output()).toContain(`checkpoint ${step} ${request.tipId}`);
      const afterCrash = await clients.ledger.getTip(request.tipId);
      expect(afterCrash?.state).toBe(stateAfterCrash);
      if (afterCrash) expect(afterCrash.invoice).toMatch(/^lnbcrt/);

      await startWorker(queueUrl);
      const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED'], 60_000);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      const paid = await receivedBy(clients, 'erin', tip.paymentHash);
      expect(paid).toHaveLength(1);
      expect(paid[0]?.is_confirmed).toBe(true);
      expect(paid[0]?.payments.filter((payment) => payment.is_confirmed)).toHaveLength(1);
      // Exactly one of erin's invoices for this amount settled: the one stored on the tip.
      expect(await erinSettled(clients, amountMsat)).toHaveLength(1);
      if (afterCrash) {
        expect(tip.invoice).toBe(afterCrash.invoice);
        expect(tip.paymentHash).toBe(afterCrash.paymentHash);
      }
      process.stdout.write(
        `lnurl crash at ${step}: ${tip.state} after ${tip.attempt} attempt(s), erin settled ${paid.length} invoice for the tip\n`,
      );
    },
    120_000,
  );
});

describe.runIf(stack.lightning.network === 'regtest')(
  'Lightning Address rows in payout files and value blocks, through the API',
  () => {
    const f = useLocalService(stack, 'lnaddr-api', () => ({
      reconcileEveryMs: 0,
      apiPort: 0,
      env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
    }));
    let call: ReturnType<typeof apiClient>;
    beforeAll(async () => {
      call = apiClient(
        f.service.api?.url ?? '',
        await newTestPlatform(f.clients, 'it-lnaddr', 10_000_000),
      );
    });

    const waitForBatch = (batchId: string) =>
      waitFor(
        `batch ${batchId} to finish`,
        async () => {
          const { body } = await call('GET', `/v1/payouts/${batchId}`);
          return body.status === 'DONE' ? body : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );

    /** Each row reached its creator's node once: carol and dave by keysend, erin by invoice. */
    const expectPaidOnNodes = async (
      rows: Array<{ paymentHash: string; status: string }>,
      expected: Array<{ node: string; msat: string; record?: [string, string] }>,
    ) => {
      for (const [i, row] of rows.entries()) {
        const want = expected[i];
        expect(row.status).toBe('SUCCEEDED');
        const invoices = await receivedBy(f.clients, want?.node ?? '', row.paymentHash);
        expect(invoices).toHaveLength(1);
        expect(invoices[0]?.is_confirmed).toBe(true);
        expect(invoices[0]?.received_mtokens).toBe(want?.msat);
        if (want?.record) {
          const records = invoices[0]?.payments.flatMap((payment) => payment.messages) ?? [];
          expect(records).toContainEqual({ type: want.record[0], value: utf8Hex(want.record[1]) });
        }
      }
    };

    it('pays a payout CSV of Lightning Address rows to carol, dave’s sub-wallet and erin', async () => {
      const csv = [
        'pubkey,amount_sats,memo',
        `${addressOf('carol')},1501,week 47`,
        `${addressOf('dave')},1502,week 47`,
        `${addressOf('erin')},1503,week 47`,
      ].join('\n');
      const accepted = await call('POST', '/v1/payouts', csv, { contentType: 'text/csv' });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      const done = await waitForBatch(accepted.body.batchId);
      expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 });
      await expectPaidOnNodes(done.rows, [
        { node: 'carol', msat: '1501000' },
        { node: 'dave', msat: '1502000', record: ['696969', DAVE_SUB_WALLET] },
        { node: 'erin', msat: '1503000' },
      ]);
      expect(await erinSettled(f.clients, 1_503_000)).toHaveLength(1);
    }, 150_000);

    it('splits a value block with type="lnaddress" recipients across carol, dave’s sub-wallet and erin', async () => {
      const valueBlock = `<podcast:value type="lightning" method="keysend">
      <podcast:valueRecipient name="Carol" type="lnaddress" address="${addressOf('carol')}" split="50"/>
      <podcast:valueRecipient name="Dave" type="lnaddress" address="${addressOf('dave')}" split="30"/>
      <podcast:valueRecipient name="Erin" type="lnaddress" address="${addressOf('erin')}" split="20"/>
    </podcast:value>`;
      const accepted = await call('POST', '/v1/splits', { amountMsat: 7_770_000, valueBlock });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      const done = await waitForBatch(accepted.body.batchId);
      expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 });
      await expectPaidOnNodes(done.rows, [
        { node: 'carol', msat: '3885000' },
        { node: 'dave', msat: '2331000', record: ['696969', DAVE_SUB_WALLET] },
        { node: 'erin', msat: '1554000' },
      ]);
      expect(await erinSettled(f.clients, 1_554_000)).toHaveLength(1);
    }, 150_000);
  },
);
