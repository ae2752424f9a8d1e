/**
 * The payment-method strategy of the payer: how a tip's attempt is sent and looked up, by the
 * method fixed on the tip before its first send. Keysend pays the tip's hash (LND's duplicate
 * guard refuses a second send of it); AMP pays the tip's payment address, which LND does not
 * guard, so "before any re-send, search" is kept by the attempt leases of pay-tip.ts: a new attempt
 * is started only after a lookup of the address, past the previous attempt's lease, found nothing
 * live.
 */
import type { TipId } from '../domain/brands.js';
import { chooseSendMethod, deriveAmpPaymentAddr } from '../domain/payment-method.js';
import type { Tip } from '../domain/tip-request.js';
import type { LightningNode, PaymentLookup, SettledPayment } from '../ports/lightning-node.js';
import type { PayerKeys } from '../ports/payer-keys.js';
import type { NewTip, TipRecord } from '../ports/tip-ledger.js';

/** What the strategy needs of the payer's deps. */
type MethodDeps = { lightning: LightningNode; keys: PayerKeys };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** What every send of an attempt shares, whatever the method. */
export interface SendLimits {
  maxFeeMsat: bigint;
  maxTimeoutBlocks: number;
  pathfindingTimeoutMs: number;
  waitMs: number;
}

/**
 * The method fields of a new tip (none for keysend, so its record stays as before AMP). `auto`
 * asks LND whether one path carries the amount: decided once, before the tip is recorded.
 */
export const methodFields = async (
  tip: Tip,
  maxFeeMsat: bigint,
  deps: MethodDeps,
  keyVersion: number,
): Promise<Pick<NewTip, 'sendMethod' | 'methodReason' | 'paymentAddr'>> => {
  const requested = tip.method ?? 'keysend';
  if (requested === 'keysend') return {};
  const assessment =
    requested === 'auto'
      ? await deps.lightning.assessRoute({
          destination: tip.recipient,
          amountMsat: tip.amountMsat,
          maxFeeMsat,
        })
      : undefined;
  const choice = chooseSendMethod(requested, tip.amountMsat, assessment);
  return {
    sendMethod: choice.method,
    methodReason: choice.reason,
    ...(choice.method === 'amp'
      ? { paymentAddr: hex(deriveAmpPaymentAddr(deps.keys.preimageKey(keyVersion), tip.tipId)) }
      : {}),
  };
};

/** A recorded AMP tip's address, checked to be the one its key derives (never a stale record). */
const ampAddress = (tip: TipRecord, deps: Pick<MethodDeps, 'keys'>): Uint8Array => {
  const derived = deriveAmpPaymentAddr(deps.keys.preimageKey(tip.keyVersion), tip.tipId as TipId);
  if (tip.paymentAddr !== hex(derived)) {
    throw new Error(
      `preimage key version ${tip.keyVersion} does not reproduce the payment address of tip ${tip.tipId}`,
    );
  }
  return derived;
};

/** Sends the attempt by the tip's method; throws the port's payment errors. */
export const sendAttempt = (
  tip: TipRecord,
  preimage: Uint8Array,
  limits: SendLimits,
  hooks: { onInFlight?: () => void },
  deps: MethodDeps,
): Promise<SettledPayment> =>
  tip.sendMethod === 'amp'
    ? deps.lightning.payAmp(
        {
          destination: tip.recipient,
          amountMsat: tip.amountMsat,
          paymentAddr: ampAddress(tip, deps),
          records: tip.records,
          ...limits,
        },
        hooks,
      )
    : deps.lightning.payKeysend(
        {
          destination: tip.recipient,
          amountMsat: tip.amountMsat,
          paymentHash: Buffer.from(tip.paymentHash, 'hex'),
          preimage,
          records: tip.records,
          ...limits,
        },
        hooks,
      );

/** What LND knows of the tip's payments: by hash for keysend, by address for AMP. */
export const lookupAttempt = (tip: TipRecord, deps: MethodDeps): Promise<PaymentLookup> =>
  tip.sendMethod === 'amp'
    ? deps.lightning.lookupAmpPayment({
        paymentAddr: ampAddress(tip, deps),
        amountMsat: tip.amountMsat,
        since: new Date(tip.createdAt),
      })
    : deps.lightning.lookupPayment(Buffer.from(tip.paymentHash, 'hex'));

/** The hash a settled payment's preimage proves: the tip's own for keysend, a shard's for AMP. */
export const provedHash = (tip: TipRecord, settled: SettledPayment): string =>
  settled.paymentHash ? hex(settled.paymentHash) : tip.paymentHash;

/** The receipt's method fields (every new receipt says how it was paid). */
export const receiptMethodFields = (tip: TipRecord, settled: SettledPayment) =>
  tip.sendMethod === 'amp'
    ? {
        method: 'amp' as const,
        paymentAddr: tip.paymentAddr,
        ...(settled.amp ? { setId: settled.amp.setId } : {}),
      }
    : { method: 'keysend' as const };
