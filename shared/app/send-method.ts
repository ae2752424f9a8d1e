/**
 * The payment-method strategy of the payer: how a tip's attempt is sent and looked up, by the
 * method fixed on the tip before its first send. Keysend pays the tip's hash (LND's duplicate
 * guard refuses a second send of it); AMP pays the tip's payment address, which LND does not
 * guard, so "before any re-send, search" is kept by the attempt leases of pay-tip.ts: a new attempt
 * is started only after a lookup of the address, past the previous attempt's lease, found nothing
 * live.
 */
import type { LightningAddress, TipId } from '../domain/brands.js';
import { ValidationError } from '../domain/errors.js';
import type { TlvRecord } from '../domain/keysend-records.js';
import {
  checkLnurlInvoice,
  isLightningAddress,
  LnurlResponseError,
} from '../domain/lightning-address.js';
import { chooseSendMethod, deriveAmpPaymentAddr } from '../domain/payment-method.js';
import { checkRecordsBudget, type Tip } from '../domain/tip-request.js';
import type { AddressResolver, LnurlOffer } from '../ports/address-resolver.js';
import { PermanentPaymentError, TransientPaymentError } from '../ports/errors.js';
import type { LightningNode, PaymentLookup, SettledPayment } from '../ports/lightning-node.js';
import type { PayerKeys } from '../ports/payer-keys.js';
import type { NewTip, TipLedger, TipRecord } from '../ports/tip-ledger.js';

/** What the strategy needs of the payer's deps. */
type MethodDeps = {
  lightning: LightningNode;
  keys: PayerKeys;
  /** Resolves Lightning Address recipients (keysend details, else LNURL-pay). */
  addresses?: AddressResolver;
};

/**
 * How long an LNURL-pay invoice must stay payable beyond the send's own wait: LND refuses to pay
 * an expired invoice and the payee's node cancels it, so one that expires sooner is replaced
 * before the attempt sends anything.
 */
const INVOICE_SLACK_MS = 30_000;
/** An invoice the LNURL server issues must be payable for at least this long to be taken. */
export const INVOICE_MIN_VALID_MS = 120_000;

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
  customRecordsBudgetBytes: number,
): Promise<
  Partial<
    Pick<
      NewTip,
      | 'sendMethod'
      | 'methodReason'
      | 'paymentAddr'
      | 'destination'
      | 'invoice'
      | 'invoiceExpiresAt'
      | 'paymentHash'
      | 'records'
    >
  >
> => {
  if (isLightningAddress(tip.recipient)) {
    return addressFields(tip, tip.recipient, deps, customRecordsBudgetBytes);
  }
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

const resolverOf = (deps: MethodDeps, address: string): AddressResolver => {
  if (!deps.addresses) {
    throw new TransientPaymentError(
      `${address}: this payer has no Lightning Address resolver configured`,
    );
  }
  return deps.addresses;
};

/**
 * A Lightning Address tip, resolved before it is recorded (the payer calls this before the write
 * that records the tip, so a resolution a crash interrupts leaves nothing behind, and an invoice
 * fetched then is never paid): keysend to the node its keysend details name, with their records
 * beside the tip's; else its LNURL-pay invoice, whose hash becomes the tip's.
 */
const addressFields = async (
  tip: Tip,
  address: LightningAddress,
  deps: MethodDeps,
  customRecordsBudgetBytes: number,
) => {
  const resolution = await resolverOf(deps, address).resolve(address, tip.amountMsat);
  if (resolution.kind === 'lnurl') {
    return {
      ...(await checkedInvoice(address, tip.amountMsat, resolution, deps)),
      sendMethod: 'lnurl-invoice' as const,
      methodReason: `${address}: no keysend details, so the invoice its LNURL-pay server issued`,
    };
  }
  return {
    sendMethod: 'keysend' as const,
    methodReason: `${address}: keysend to ${resolution.pubkey} as its keysend details say${resolution.records.length ? ` (with ${resolution.records.map((r) => r.type).join(', ')})` : ''}`,
    destination: resolution.pubkey,
    records: withAddressRecords(tip, address, resolution.records, customRecordsBudgetBytes),
  };
};

/**
 * An LNURL-pay invoice as the operator's own node reads it, checked (LUD-06) before it is stored:
 * the exact amount, the description hash of the server's metadata, time left to pay it.
 */
const checkedInvoice = async (
  address: string,
  amountMsat: bigint,
  offer: LnurlOffer,
  deps: MethodDeps & { now?: () => Date },
) => {
  const decoded = await deps.lightning.decodeInvoice(offer.invoice).catch((error: unknown) => {
    if (error instanceof PermanentPaymentError) {
      throw new PermanentPaymentError(
        'ADDRESS_UNRESOLVED',
        `${address}: the LNURL server's invoice cannot be paid: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  });
  try {
    checkLnurlInvoice(decoded, {
      amountMsat,
      metadata: offer.metadata,
      now: deps.now?.() ?? new Date(),
      minValidMs: INVOICE_MIN_VALID_MS,
    });
  } catch (error) {
    if (!(error instanceof LnurlResponseError)) throw error;
    throw new PermanentPaymentError('ADDRESS_UNRESOLVED', `${address}: ${error.message}`, {
      cause: error,
    });
  }
  return {
    destination: decoded.payee,
    invoice: offer.invoice,
    invoiceExpiresAt: decoded.expiresAt.toISOString(),
    paymentHash: decoded.paymentHash,
  };
};

/** The tip's records and the address's `customData` records, if they fit together. */
const withAddressRecords = (
  tip: Tip,
  address: string,
  extra: TlvRecord[],
  budgetBytes: number,
): TlvRecord[] => {
  const clash = extra.find((record) => tip.records.some((own) => own.type === record.type));
  if (clash) {
    throw new PermanentPaymentError(
      'ADDRESS_UNRESOLVED',
      `${address}: its keysend details ask for record ${clash.type}, which the tip already sends`,
    );
  }
  const all = [...tip.records, ...extra];
  try {
    checkRecordsBudget(
      all.map((record) => ({ field: `record ${record.type}`, record })),
      budgetBytes,
    );
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new PermanentPaymentError(
      'ADDRESS_UNRESOLVED',
      `${address}: with its keysend details' records the tip does not fit the onion: ${error.message}`,
      { cause: error },
    );
  }
  return all.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
};

/**
 * The tip to send for an `lnurl-invoice` attempt this invocation owns: as recorded while its
 * invoice stays payable through the send; otherwise a new invoice from the address's server,
 * stored (with its hash) before anything is sent. Safe because an owned attempt is started only
 * when LND holds nothing live for the tip (a new tip, or the last attempt decided failed or not
 * found past its lease), so the old hash can never be paid; and within one attempt only the hash
 * stored when it sends is ever sent.
 */
export const payableInvoice = async (
  tip: TipRecord,
  waitMs: number,
  deps: MethodDeps & { ledger: TipLedger; now: () => Date },
): Promise<TipRecord> => {
  if (tip.sendMethod !== 'lnurl-invoice') return tip;
  const now = deps.now();
  if (Date.parse(tip.invoiceExpiresAt ?? '') > now.getTime() + waitMs + INVOICE_SLACK_MS) {
    return tip;
  }
  const address = tip.recipient as LightningAddress;
  const offer = await resolverOf(deps, address).requestInvoice(address, tip.amountMsat);
  return deps.ledger.replaceInvoice(
    tip,
    await checkedInvoice(address, tip.amountMsat, offer, deps),
    now,
  );
};

/** The node a tip's payments go to: its address's node, or its pubkey. */
const destinationOf = (tip: TipRecord): string => tip.destination ?? tip.recipient;

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
  preimage: Uint8Array | undefined,
  limits: SendLimits,
  hooks: { onInFlight?: () => void },
  deps: MethodDeps,
): Promise<SettledPayment> => {
  if (tip.sendMethod === 'lnurl-invoice') {
    if (!tip.invoice) throw new Error(`tip ${tip.tipId} is an invoice tip without an invoice`);
    return deps.lightning.payInvoice(
      { invoice: tip.invoice, destination: destinationOf(tip), ...limits },
      hooks,
    );
  }
  if (!preimage) throw new Error(`tip ${tip.tipId}: a keysend or AMP send needs its preimage`);
  return tip.sendMethod === 'amp'
    ? deps.lightning.payAmp(
        {
          destination: destinationOf(tip),
          amountMsat: tip.amountMsat,
          paymentAddr: ampAddress(tip, deps),
          records: tip.records,
          ...limits,
        },
        hooks,
      )
    : deps.lightning.payKeysend(
        {
          destination: destinationOf(tip),
          amountMsat: tip.amountMsat,
          paymentHash: Buffer.from(tip.paymentHash, 'hex'),
          preimage,
          records: tip.records,
          ...limits,
        },
        hooks,
      );
};

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
export const receiptMethodFields = (tip: TipRecord, settled: SettledPayment) => {
  // A Lightning Address tip says which node was paid (and by which invoice).
  const node = tip.destination ? { node: tip.destination } : {};
  if (tip.sendMethod === 'lnurl-invoice') {
    return { method: 'lnurl-invoice' as const, ...node, invoice: tip.invoice };
  }
  return tip.sendMethod === 'amp'
    ? {
        method: 'amp' as const,
        ...node,
        paymentAddr: tip.paymentAddr,
        ...(settled.amp ? { setId: settled.amp.setId } : {}),
      }
    : { method: 'keysend' as const, ...node };
};
