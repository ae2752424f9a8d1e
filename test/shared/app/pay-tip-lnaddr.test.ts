import { describe, expect, it } from 'vitest';
import { driveTip, payTipMessage } from '../../../shared/app/pay-tip.js';
import { INVOICE_MIN_VALID_MS } from '../../../shared/app/send-method.js';
import { verifyReceipt } from '../../../shared/domain/receipt.js';
import { TransientPaymentError } from '../../../shared/ports/errors.js';
import {
  crashAt,
  FakeAddressResolver,
  G,
  HOP,
  makePayer,
  RECEIPT_PUBLIC_KEY,
  REDELIVERY_MS,
  tipBody,
  tipMessage,
} from './fakes.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const METADATA = JSON.stringify([['text/plain', 'Tip erin']]);

/** A payer whose resolver knows carol (keysend), dave (hub: 696969) and erin (LNURL only). */
const harness = () => {
  const h = makePayer();
  const addresses = new FakeAddressResolver(h.lightning, h.clock);
  addresses.addresses.set('carol@w.example', { kind: 'keysend', pubkey: G });
  addresses.addresses.set('dave@hub.example', {
    kind: 'keysend',
    pubkey: HOP,
    records: [{ type: 696969n, value: new TextEncoder().encode('sub-7') }],
  });
  addresses.addresses.set('erin@w.example', { kind: 'lnurl', payee: HOP, metadata: METADATA });
  h.deps.addresses = addresses;
  return { ...h, addresses };
};

const addressBody = (address: string, overrides: Record<string, unknown> = {}) => {
  const { recipientPubkey: _, ...body } = tipBody({ recipientAddress: address, ...overrides });
  return body;
};

describe('payTipMessage: Lightning Address tips', () => {
  it('keysends to the node the keysend details name, with their records, the tip keeping the address', async () => {
    const h = harness();
    const outcome = await payTipMessage(
      tipMessage(addressBody('dave@hub.example', { message: 'hi' })),
      h.deps,
    );
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.payCalls).toHaveLength(1);
    expect(h.lightning.payCalls[0]?.destination).toBe(HOP);
    expect(h.lightning.payCalls[0]?.records.map((record) => record.type)).toEqual([
      696969n,
      34349334n,
    ]);
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({
      recipient: 'dave@hub.example',
      destination: HOP,
      sendMethod: 'keysend',
    });
    const signed = JSON.parse(tip?.receipt ?? 'null');
    expect(verifyReceipt(signed, RECEIPT_PUBLIC_KEY)).toEqual({ ok: true });
    expect(signed.receipt).toMatchObject({
      recipient: 'dave@hub.example',
      method: 'keysend',
      node: HOP,
    });
  });

  it('stores the LNURL invoice and its hash on the tip before paying it, and pays that invoice once', async () => {
    const h = harness();
    let recordedBeforeSend: unknown;
    h.lightning.inFlightDelay = async () => {
      recordedBeforeSend = h.ledger.peek('tip-1');
    };
    const outcome = await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps);
    expect(outcome.kind).toBe('paid');
    const [invoice] = h.lightning.invoices.keys();
    expect(recordedBeforeSend).toMatchObject({
      state: 'SENDING',
      sendMethod: 'lnurl-invoice',
      invoice,
      paymentHash: hex(h.lightning.invoices.get(invoice ?? '')?.paymentHash ?? new Uint8Array()),
      destination: HOP,
    });
    expect(h.lightning.invoiceCalls).toEqual([invoice]);
    const signed = JSON.parse(h.ledger.peek('tip-1')?.receipt ?? 'null');
    expect(verifyReceipt(signed, RECEIPT_PUBLIC_KEY)).toEqual({ ok: true });
    expect(signed.receipt).toMatchObject({ method: 'lnurl-invoice', invoice, node: HOP });
  });

  it('killed after fetching the invoice but before storing it: that invoice is never paid', async () => {
    const h = harness();
    await crashAt(h, 'before-intent', tipMessage(addressBody('erin@w.example')));
    expect(h.ledger.peek('tip-1')).toBeUndefined();
    const [lost] = h.lightning.invoices.keys();
    const outcome = await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.invoiceCalls).toHaveLength(1);
    expect(h.lightning.invoiceCalls[0]).not.toBe(lost);
    expect(h.lightning.invoiceCalls[0]).toBe(h.ledger.peek('tip-1')?.invoice);
  });

  it('killed after storing it: the redelivery pays the same invoice, resolving nothing again', async () => {
    const h = harness();
    await crashAt(h, 'after-intent', tipMessage(addressBody('erin@w.example')));
    const stored = h.ledger.peek('tip-1');
    expect(stored?.state).toBe('SENDING');
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.invoiceCalls).toEqual([stored?.invoice]);
    expect(h.lightning.settlements).toHaveLength(1);
    expect(h.addresses.calls).toEqual([{ address: 'erin@w.example', call: 'resolve' }]);
  });

  it('killed while LND pays: LND’s guard on the hash keeps it to one payment', async () => {
    const h = harness();
    h.lightning.duplicateGuard = true;
    await crashAt(h, 'lnd-in-flight', tipMessage(addressBody('erin@w.example')));
    const stored = h.ledger.peek('tip-1');
    h.lightning.settleInFlight(stored?.paymentHash ?? '');
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.settlements).toHaveLength(1);
    expect(h.ledger.peek('tip-1')?.paymentHash).toBe(stored?.paymentHash);
  });

  it('replaces an invoice that expired before LND ever saw it, storing the new one before paying', async () => {
    const h = harness();
    await crashAt(h, 'after-intent', tipMessage(addressBody('erin@w.example')));
    const stored = h.ledger.peek('tip-1');
    h.clock.advance(2 * 3_600_000);
    const outcome = await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps);
    expect(outcome.kind).toBe('paid');
    const paid = h.ledger.peek('tip-1');
    expect(paid?.invoice).not.toBe(stored?.invoice);
    expect(paid?.paymentHash).not.toBe(stored?.paymentHash);
    expect(h.lightning.invoiceCalls).toEqual([paid?.invoice]);
    expect(h.addresses.calls.map((call) => call.call)).toEqual(['resolve', 'requestInvoice']);
    expect(paid?.attempt).toBe(2);
  });

  it('a SENDING record read before its owner replaced the invoice, decided past the lease, never replaces the invoice the owner sent (paid twice)', async () => {
    const h = harness();
    h.lightning.duplicateGuard = true;
    // Attempt 1 stored invoice 1 and died before sending it.
    await crashAt(h, 'after-intent', tipMessage(addressBody('erin@w.example')));
    const first = h.ledger.peek('tip-1');
    // Past its lease and its expiry, the redelivery A starts attempt 2, replaces invoice 1 by
    // invoice 2 and sends it; A dies while LND pays (and then settles) invoice 2.
    h.clock.advance(2 * 3_600_000);
    await crashAt(h, 'lnd-in-flight', tipMessage(addressBody('erin@w.example')));
    const sent = h.ledger.peek('tip-1');
    expect(sent?.attempt).toBe(2);
    expect(sent?.paymentHash).not.toBe(first?.paymentHash);
    h.lightning.settleInFlight(sent?.paymentHash ?? '');
    // B (the reconciler, another delivery) read the tip between A's markSending and A's
    // replaceInvoice: attempt 2, invoice 1. It decides once attempt 2's lease has passed, when
    // invoice 2 is expiring too.
    const stale = {
      ...(sent as NonNullable<typeof sent>),
      invoice: first?.invoice,
      paymentHash: first?.paymentHash,
      invoiceExpiresAt: first?.invoiceExpiresAt,
      destination: first?.destination,
    };
    h.clock.advance(2 * 3_600_000);
    await driveTip(stale as typeof sent & object, h.deps).catch(() => undefined);
    // Erin was paid by invoice 2: nothing else may be paid for the tip.
    expect(h.lightning.settlements).toHaveLength(1);
  });

  it('never replaces an invoice while the attempt’s lease runs: LND may still see the old one', async () => {
    const h = harness();
    await crashAt(h, 'after-intent', tipMessage(addressBody('erin@w.example')));
    // The redelivery comes while the dead worker's lease still runs: it must wait, not renew.
    await expect(payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps)).rejects.toThrow(
      TransientPaymentError,
    );
    expect(h.addresses.calls.map((call) => call.call)).toEqual(['resolve']);
    expect(h.lightning.invoiceCalls).toHaveLength(0);
  });

  it.each([
    {
      description: 'an address nobody serves',
      address: 'nobody@w.example',
      reason: 'nobody@w.example: no keysend details and the LNURL server answered 404',
    },
    {
      description: 'an invoice for another amount',
      address: 'erin@w.example',
      tamper: { amountMsat: 21_001n },
      reason:
        /^erin@w.example: the LNURL server's invoice is for 21001 msat, not the 21000 msat asked for$/,
    },
    {
      description: 'an invoice that does not commit to the metadata',
      address: 'erin@w.example',
      tamper: { descriptionHash: '00'.repeat(32) },
      reason: /does not commit to its metadata/,
    },
    {
      description: 'an invoice expiring too soon',
      address: 'erin@w.example',
      expirySeconds: INVOICE_MIN_VALID_MS / 1000 - 1,
      reason: /too soon to pay it/,
    },
  ])(
    'fails $description with the reason, sending nothing',
    async ({ address, reason, tamper, expirySeconds }) => {
      const h = harness();
      const known = h.addresses.addresses.get('erin@w.example');
      if (known?.kind === 'lnurl') {
        if (tamper) known.tamper = (invoice) => ({ ...invoice, ...tamper });
        if (expirySeconds) known.expirySeconds = expirySeconds;
      }
      const outcome = await payTipMessage(tipMessage(addressBody(address)), h.deps);
      expect(outcome.kind).toBe('failed');
      const tip = h.ledger.peek('tip-1');
      expect(tip).toMatchObject({
        state: 'FAILED',
        failureCode: 'ADDRESS_UNRESOLVED',
        recipient: address,
      });
      expect(tip?.failureReason).toMatch(reason);
      expect(h.lightning.invoiceCalls).toHaveLength(0);
      expect(h.lightning.payCalls).toHaveLength(0);
    },
  );

  it('retries a resolution that failed for now (5xx, DNS, timeout) without recording the tip', async () => {
    const h = harness();
    h.addresses.fail.push(
      new TransientPaymentError('erin@w.example: the LNURL server answered 503'),
    );
    await expect(payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps)).rejects.toThrow(
      /answered 503/,
    );
    expect(h.ledger.peek('tip-1')).toBeUndefined();
    expect(await payTipMessage(tipMessage(addressBody('erin@w.example')), h.deps)).toMatchObject({
      kind: 'paid',
    });
  });
});
