import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { driveTip, payTipMessage } from '../../../shared/app/pay-tip.js';
import { verifyReceipt } from '../../../shared/domain/receipt.js';
import {
  crashAt,
  G,
  makePayer,
  PREIMAGE_KEY_V1,
  RECEIPT_PUBLIC_KEY,
  REDELIVERY_MS,
  tipBody,
  tipMessage,
} from './fakes.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const specAddr = (tipId: string) =>
  createHmac('sha256', PREIMAGE_KEY_V1).update(`tipstream:amp-addr:v1:${tipId}`).digest('hex');
const ampBody = (overrides: Record<string, unknown> = {}) =>
  tipBody({ method: 'amp', amountMsat: 900_000_000, ...overrides });

describe('payTipMessage: AMP tips', () => {
  it('records the method and the deterministic address before the send, pays by AMP once, and the receipt says so', async () => {
    const h = makePayer();
    let recordedBeforeSend: unknown;
    h.lightning.inFlightDelay = async () => {
      recordedBeforeSend = h.ledger.peek('tip-1');
    };
    const outcome = await payTipMessage(tipMessage(ampBody()), h.deps);

    expect(outcome.kind).toBe('paid');
    expect(recordedBeforeSend).toMatchObject({
      state: 'SENDING',
      sendMethod: 'amp',
      methodReason: 'AMP, as requested',
      paymentAddr: specAddr('tip-1'),
    });
    expect(h.lightning.payCalls).toHaveLength(0);
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(hex(h.lightning.ampCalls[0]?.paymentAddr ?? new Uint8Array())).toBe(specAddr('tip-1'));
    expect(h.lightning.ampCalls[0]).toMatchObject({ destination: G, amountMsat: 900_000_000n });
    const tip = h.ledger.peek('tip-1');
    const signed = JSON.parse(tip?.receipt ?? 'null');
    expect(verifyReceipt(signed, RECEIPT_PUBLIC_KEY)).toEqual({ ok: true });
    expect(signed.receipt).toMatchObject({ method: 'amp', paymentAddr: specAddr('tip-1') });
    expect(signed.receipt.setId).toMatch(/^[0-9a-f]{64}$/);
    // The receipt proves a settled shard: sha256(preimage) = its paymentHash.
    expect(
      createHash('sha256').update(Buffer.from(signed.receipt.preimage, 'hex')).digest('hex'),
    ).toBe(signed.receipt.paymentHash);
  });

  it('keysend tips stay as they were: no method fields, no route assessment, receipt says keysend', async () => {
    const h = makePayer();
    await payTipMessage(tipMessage(), h.deps);
    const tip = h.ledger.peek('tip-1');
    expect(tip?.sendMethod).toBeUndefined();
    expect(tip?.paymentAddr).toBeUndefined();
    expect(h.lightning.assessCalls).toHaveLength(0);
    expect(JSON.parse(tip?.receipt ?? '{}').receipt.method).toBe('keysend');
  });

  it.each([
    { singlePath: true, advertisesAmp: true, method: 'keysend' },
    { singlePath: false, advertisesAmp: true, method: 'amp' },
    { singlePath: false, advertisesAmp: false, method: 'keysend' },
  ])(
    'auto with one path $singlePath and AMP advertised $advertisesAmp sends by $method, with the reason on the tip',
    async ({ singlePath, advertisesAmp, method }) => {
      const h = makePayer();
      h.lightning.assessment = { singlePath, advertisesAmp };
      await payTipMessage(tipMessage(ampBody({ method: 'auto' })), h.deps);
      const tip = h.ledger.peek('tip-1');
      expect(tip?.sendMethod).toBe(method);
      expect(tip?.methodReason).toMatch(/^auto: /);
      expect(h.lightning.ampCalls).toHaveLength(method === 'amp' ? 1 : 0);
      expect(h.lightning.payCalls).toHaveLength(method === 'keysend' ? 1 : 0);
    },
  );

  it('a failure of its own AMP send is final and names AMP', async () => {
    const h = makePayer();
    h.lightning.scriptPay({
      kind: 'permanent',
      code: 'REJECTED_BY_DESTINATION',
      message: 'it does not accept AMP',
    });
    const outcome = await payTipMessage(tipMessage(ampBody()), h.deps);
    expect(outcome).toMatchObject({ kind: 'failed', code: 'REJECTED_BY_DESTINATION' });
    expect(h.lightning.ampCalls).toHaveLength(1);
  });

  it('killed with the AMP payment in flight: the redelivery adopts it (no second send) once it settles', async () => {
    const h = makePayer();
    h.lightning.inFlightDelay = () => new Promise(() => {}); // LND keeps it in flight
    await crashAt(h, 'lnd-in-flight', tipMessage(ampBody()));
    h.lightning.inFlightDelay = () => Promise.resolve();
    h.clock.advance(REDELIVERY_MS);

    const first = await payTipMessage(tipMessage(ampBody()), h.deps);
    expect(first.kind).toBe('in-flight');
    h.lightning.settleAmpInFlight(specAddr('tip-1'));
    const second = await payTipMessage(tipMessage(ampBody()), h.deps);
    expect(second.kind).toBe('paid');
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(h.lightning.settlements).toHaveLength(1);
    expect(h.lightning.ampLookupCalls.every((address) => address === specAddr('tip-1'))).toBe(true);
  });

  it('killed after the intent: the redelivery searches first, finds nothing, and sends once', async () => {
    const h = makePayer();
    await crashAt(h, 'after-intent', tipMessage(ampBody()));
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(ampBody()), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.ampLookupCalls).toEqual([specAddr('tip-1')]);
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(h.ledger.peek('tip-1')?.attempt).toBe(2);
  });

  it('killed after LND settled it: adopted, never sent again', async () => {
    const h = makePayer();
    await crashAt(h, 'after-lnd-success', tipMessage(ampBody()));
    h.clock.advance(REDELIVERY_MS);
    const outcome = await payTipMessage(tipMessage(ampBody()), h.deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(h.lightning.settlements).toHaveLength(1);
  });

  it('a duplicate storm of one AMP tip sends it once', async () => {
    const h = makePayer();
    h.lightning.inFlightDelay = () => new Promise((resolve) => setTimeout(resolve, 5));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        payTipMessage(tipMessage(ampBody()), h.deps).catch((error: Error) => error),
      ),
    );
    expect(outcomes.some((outcome) => 'kind' in outcome && outcome.kind === 'paid')).toBe(true);
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(h.lightning.settlements).toHaveLength(1);
  });

  it('an ambiguous AMP send whose lookup finds nothing keeps the lease: no re-send until it has passed', async () => {
    const h = makePayer();
    h.lightning.scriptPay({ kind: 'ambiguous', leaves: 'nothing' });
    await expect(payTipMessage(tipMessage(ampBody()), h.deps)).rejects.toThrow(
      /decided once attempt 1's lease has passed/,
    );
    // A redelivery within the lease decides nothing.
    await expect(payTipMessage(tipMessage(ampBody()), h.deps)).rejects.toThrow(/lease/);
    expect(h.lightning.ampCalls).toHaveLength(1);
    h.clock.advance(REDELIVERY_MS);
    const tip = h.ledger.peek('tip-1');
    if (!tip) throw new Error('no tip');
    expect((await driveTip(tip, h.deps)).kind).toBe('paid');
    expect(h.lightning.ampCalls).toHaveLength(2);
    expect(h.lightning.settlements).toHaveLength(1);
  });
  it('an AMP send the node state failed before any shard left: the lookup finds nothing, and the node-state rule still holds it (no re-send while no channel forwards)', async () => {
    const h = makePayer();
    const channel = { active: false, localBalanceMsat: 16_000_000_000n, offlineMs: 20_000 };
    h.lightning.nodeState = { syncedToGraph: true, channels: [channel] };
    h.lightning.scriptPay({ kind: 'permanent', code: 'INSUFFICIENT_BALANCE' });
    expect((await payTipMessage(tipMessage(ampBody()), h.deps)).kind).toBe('held');
    // LND's failed AMP payment carries its address only in shards: none left, so "not found".
    h.clock.advance(REDELIVERY_MS);
    h.lightning.scriptLookup({ status: 'not_found' });
    const tip = h.ledger.peek('tip-1');
    if (!tip) throw new Error('no tip');
    expect((await driveTip(tip, h.deps)).kind).toBe('held');
    expect(h.lightning.ampCalls).toHaveLength(1);
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: 1 });

    // The channel is back: the same search finds nothing, and the tip is sent, once.
    h.lightning.nodeState = { syncedToGraph: true, channels: [{ ...channel, active: true }] };
    h.clock.advance(60_000);
    h.lightning.scriptLookup({ status: 'not_found' });
    expect((await driveTip(h.ledger.peek('tip-1') as typeof tip, h.deps)).kind).toBe('paid');
    expect(h.lightning.ampCalls).toHaveLength(2);
    expect(h.lightning.settlements).toHaveLength(1);
  });
});
