import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { apiClient, newTestPlatform, receivedBy, useLocalService } from './helpers.js';

const stack = inject('stack');

describe.runIf(stack.lightning.network === 'regtest')(
  'splits and payout batches on the real stack',
  () => {
    const f = useLocalService(stack, 'api-batches', () => ({
      reconcileEveryMs: 0,
      apiPort: 0,
      env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
    }));
    let call: ReturnType<typeof apiClient>;
    const pubkey = (name: string) => stackNode(stack, name).pubkey;

    beforeAll(async () => {
      call = apiClient(
        f.service.api?.url ?? '',
        await newTestPlatform(f.clients, 'it-batch', 10_000_000),
      );
    });

    const waitForBatch = (batchId: string, timeoutMs = 120_000) =>
      waitFor(
        `batch ${batchId} to finish`,
        async () => {
          const { body } = await call('GET', `/v1/payouts/${batchId}`);
          return body.status === 'DONE' ? body : undefined;
        },
        { timeoutMs, intervalMs: 500 },
      );

    it('splits one boost across carol and dave with a fee recipient, paying each their exact share', async () => {
      const valueBlock = `<podcast:value type="lightning" method="keysend">
      <podcast:valueRecipient name="Carol (host)" type="node" address="${pubkey('carol')}" split="60"/>
      <podcast:valueRecipient name="Dave (co-host)" type="node" address="${pubkey('dave')}" split="40"/>
      <podcast:valueRecipient name="Hosting" type="node" address="${pubkey('dave')}" split="10" fee="true" customKey="696969" customValue="host-fee"/>
    </podcast:value>`;
      const accepted = await call('POST', '/v1/splits', {
        amountMsat: 10_000_000,
        valueBlock,
        message: 'great episode',
        boostagram: { app_name: 'Tipstream tests', podcast: 'Regtest Radio' },
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      // 10% off the top for the fee recipient, the remaining 9,000 sats shared 60/40.
      expect(accepted.body.parts.map((part: { amountMsat: string }) => part.amountMsat)).toEqual([
        '5400000',
        '3600000',
        '1000000',
      ]);
      expect(accepted.body.belowMinimum).toEqual([]);

      const done = await waitForBatch(accepted.body.batchId);
      expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 });
      expect(done.msat).toMatchObject({ total: '10000000', succeeded: '10000000', pending: '0' });
      const expected = [
        { node: 'carol', msat: '5400000' },
        { node: 'dave', msat: '3600000' },
        { node: 'dave', msat: '1000000' },
      ];
      for (const [i, row] of done.rows.entries()) {
        const invoices = await receivedBy(f.clients, expected[i]?.node ?? '', row.paymentHash);
        expect(invoices).toHaveLength(1);
        expect(invoices[0]?.received_mtokens).toBe(expected[i]?.msat);
        const records = invoices[0]?.payments.flatMap((payment) => payment.messages) ?? [];
        const boost = JSON.parse(
          Buffer.from(records.find((r) => r.type === '7629169')?.value ?? '', 'hex').toString(
            'utf8',
          ),
        );
        expect(boost).toMatchObject({
          action: 'boost',
          value_msat_total: 10_000_000,
          app_name: 'Tipstream tests',
          message: 'great episode',
        });
      }
      const feeInvoice = await receivedBy(f.clients, 'dave', done.rows[2].paymentHash);
      expect(feeInvoice[0]?.payments.flatMap((p) => p.messages)).toContainEqual({
        type: '696969',
        value: Buffer.from('host-fee').toString('hex'),
      });
    });

    it('pays a 500-row CSV payout with correct progress counts and recipient totals', async () => {
      const before = {
        carol: await f.clients.ledger.getRecipientTotals(pubkey('carol')),
        dave: await f.clients.ledger.getRecipientTotals(pubkey('dave')),
      };
      const lines = ['pubkey,amount_sats,memo'];
      let carolSats = 0;
      let daveSats = 0;
      for (let i = 0; i < 500; i += 1) {
        const sats = 1 + (i % 50);
        if (i % 2 === 0) carolSats += sats;
        else daveSats += sats;
        lines.push(
          `${i % 2 === 0 ? pubkey('carol') : pubkey('dave')},${sats},"week 47, row ${i + 1}"`,
        );
      }
      const started = Date.now();
      const accepted = await call('POST', '/v1/payouts', lines.join('\n'), {
        contentType: 'text/csv',
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      expect(accepted.body).toMatchObject({
        rows: 500,
        totalMsat: String((carolSats + daveSats) * 1000),
      });
      const acceptedMs = Date.now() - started;

      const done = await waitForBatch(accepted.body.batchId, 240_000);
      const paidMs = Date.now() - started;
      console.log(`500-row payout: accepted in ${acceptedMs} ms, fully paid in ${paidMs} ms`);
      expect(done.counts).toEqual({ total: 500, succeeded: 500, failed: 0, pending: 0 });
      expect(done.rows).toHaveLength(500);
      expect(done.rows[0]).toMatchObject({ line: 2, status: 'SUCCEEDED' });
      const after = {
        carol: await f.clients.ledger.getRecipientTotals(pubkey('carol')),
        dave: await f.clients.ledger.getRecipientTotals(pubkey('dave')),
      };
      expect((after.carol?.paidMsat ?? 0n) - (before.carol?.paidMsat ?? 0n)).toBe(
        BigInt(carolSats * 1000),
      );
      expect((after.dave?.paidMsat ?? 0n) - (before.dave?.paidMsat ?? 0n)).toBe(
        BigInt(daveSats * 1000),
      );

      const history = await call('GET', `/v1/recipients/${pubkey('carol')}/payouts?limit=10`);
      expect(history.status).toBe(200);
      expect(history.body.payouts).toHaveLength(10);
      expect(history.body.next).toMatch(/cursor=/);
      const next = await call('GET', history.body.next);
      expect(next.body.payouts).toHaveLength(10);
      expect(next.body.payouts[0].tipId).not.toBe(history.body.payouts[0].tipId);
    });

    it('rejects a payout file with a bad row, naming its line, and enqueues nothing', async () => {
      const csv = [
        'pubkey,amount_sats,memo',
        `${pubkey('carol')},10,ok`,
        `${pubkey('dave')},12.5,fractional`,
        `${pubkey('carol')},10,ok again`,
      ].join('\n');
      const key = randomUUID();
      const rejected = await call('POST', '/v1/payouts', csv, {
        contentType: 'text/csv',
        idempotencyKey: key,
      });
      expect(rejected.status).toBe(422);
      expect(rejected.headers.get('content-type')).toBe('application/problem+json');
      expect(rejected.body.errors).toEqual([expect.objectContaining({ line: 3 })]);
      expect(rejected.body.errors[0].message).toMatch(/line 3|amount_sats/);
      expect(rejected.body.detail).toMatch(/nothing was enqueued/);

      const partial = await call('POST', '/v1/payouts?allowPartial=true', `${csv}\n`, {
        contentType: 'text/csv',
      });
      expect(partial.status).toBe(202);
      expect(partial.body.rows).toBe(2);
      expect(partial.body.skipped).toEqual([expect.objectContaining({ line: 3 })]);
      const done = await waitForBatch(partial.body.batchId);
      expect(done.counts).toMatchObject({ total: 2, succeeded: 2 });
    });
  },
);
