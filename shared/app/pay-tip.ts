import { maxFeeMsat, type PayerPolicy } from '../config/payer-config.js';
import type { TipId } from '../domain/brands.js';
import { derivePreimage, parsePreimage, paymentHashOf } from '../domain/preimage.js';
import { type Receipt, signReceipt } from '../domain/receipt.js';
import { parseTipRequest, tipFingerprint } from '../domain/tip-request.js';
import {
  AmbiguousPaymentError,
  LedgerConflictError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../ports/errors.js';
import type { LightningNode, SettledPayment } from '../ports/lightning-node.js';
import type { TipLedger, TipRecord } from '../ports/tip-ledger.js';

/** The operator's secrets the payer needs. */
export interface PayerKeys {
  currentPreimageKeyVersion: number;
  /** Old versions stay available for as long as tips that used them can be retried. */
  preimageKey(version: number): Uint8Array;
  receiptPrivateKey: Uint8Array;
  /** x-only (BIP-340) public key of the receipt key, hex: what creators verify receipts with. */
  receiptPublicKey: string;
}

/** Steps of the state machine where a crash test may kill the worker. */
export type PayerStep = 'before-intent' | 'after-intent' | 'lnd-in-flight' | 'after-lnd-success';

export interface PayerDeps {
  ledger: TipLedger;
  lightning: LightningNode;
  keys: PayerKeys;
  policy: PayerPolicy;
  now: () => Date;
  /** Milliseconds left before the invocation must end. */
  remainingMs: () => number;
  /** Test hook at each step; a no-op in production. */
  checkpoint?: (step: PayerStep, tipId: string) => void;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** How handling one message ended. All but a thrown error acknowledge the message. */
export type PayOutcome =
  | { kind: 'paid'; tip: TipRecord; feeMsat: bigint; latencyMs: number }
  | { kind: 'already-paid'; tip: TipRecord }
  | { kind: 'failed'; tip: TipRecord; code: string; reason: string }
  | { kind: 'already-failed'; tip: TipRecord }
  | { kind: 'in-flight'; tip: TipRecord }
  | { kind: 'rejected'; reason: string }
  | { kind: 'conflict'; reason: string };

export interface TipMessage {
  messageId: string;
  body: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Handles one tip message exactly once: validates, records the tip, records the intent to pay,
 * pays by keysend with a hash derived from the tip id, and records what LND says. Throws only
 * when the message must be retried (LND or DynamoDB unreachable); the ledger then holds whatever
 * the retry needs to continue safely.
 */
export const payTipMessage = async (message: TipMessage, deps: PayerDeps): Promise<PayOutcome> => {
  const parsed = parseTipRequest(message.body, {
    maxMsat: deps.policy.maxTipMsat,
    allowMsat: deps.policy.allowMsat,
    customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
  });
  if (!parsed.ok) {
    await deps.ledger.recordRejection(
      {
        messageId: message.messageId,
        reason: parsed.error.message,
        field: parsed.error.field,
        claimedTipId: claimedTipId(message.body),
        body: message.body,
      },
      deps.now(),
    );
    return { kind: 'rejected', reason: parsed.error.message };
  }
  const { tip } = parsed;
  const keyVersion = deps.keys.currentPreimageKeyVersion;
  const paymentHash = paymentHashOf(derivePreimage(deps.keys.preimageKey(keyVersion), tip.tipId));
  const fingerprint = tipFingerprint(tip);
  const { record } = await deps.ledger.createTip(
    {
      tipId: tip.tipId,
      fingerprint,
      platformId: tip.platformId,
      recipient: tip.recipient,
      amountMsat: tip.amountMsat,
      records: tip.records,
      paymentHash: hex(paymentHash),
      keyVersion,
      batchId: tip.batchId,
      splitId: tip.splitOf?.splitId,
    },
    deps.now(),
  );
  if (record.fingerprint !== fingerprint) {
    const reason = `tipId ${tip.tipId} was already used for a different tip (recipient, amount or records differ); use a new tipId for a new tip`;
    await deps.ledger.recordRejection(
      {
        messageId: message.messageId,
        reason,
        field: 'tipId',
        claimedTipId: tip.tipId,
        body: message.body,
      },
      deps.now(),
    );
    return { kind: 'conflict', reason };
  }
  return driveTip(record, deps);
};

/** Moves a recorded tip forward from whatever state it is in. Also used by the reconciler. */
export const driveTip = async (start: TipRecord, deps: PayerDeps): Promise<PayOutcome> => {
  let tip = start;
  // Each turn either ends or re-reads after losing a race; a few turns always suffice.
  for (let turn = 0; turn < 5; turn += 1) {
    try {
      switch (tip.state) {
        case 'SUCCEEDED':
          return { kind: 'already-paid', tip };
        case 'FAILED':
          return { kind: 'already-failed', tip };
        case 'RECEIVED':
          requireTime(tip, deps);
          deps.checkpoint?.('before-intent', tip.tipId);
          return await pay(
            await deps.ledger.markSending(tip.tipId, 'RECEIVED', tip.attempt, deps.now()),
            deps,
          );
        case 'SENDING':
          return await resume(tip, deps);
      }
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      const fresh = await deps.ledger.getTip(tip.tipId);
      if (!fresh) throw error;
      tip = fresh;
    }
  }
  throw new TransientPaymentError(`tip ${tip.tipId} kept changing under us; retrying later`);
};

/** A tip found SENDING: a worker died, or another is paying it. LND's answer decides. */
const resume = async (tip: TipRecord, deps: PayerDeps): Promise<PayOutcome> => {
  const lookup = await deps.lightning.lookupPayment(Buffer.from(tip.paymentHash, 'hex'));
  switch (lookup.status) {
    case 'succeeded':
      return finish(tip, lookup, deps);
    case 'failed':
      return recordLndFailure(tip, lookup, deps);
    case 'in_flight':
      return { kind: 'in-flight', tip };
    case 'not_found':
      // LND never took it (the worker died before the call): pay again, same hash, next attempt.
      requireTime(tip, deps);
      return pay(
        await deps.ledger.markSending(tip.tipId, 'SENDING', tip.attempt, deps.now()),
        deps,
      );
  }
};

/** Failures that an interruption can cause although a route exists (a node restart, a lost stream). */
const RETRY_AFTER_INTERRUPTION = new Set<PermanentFailureCode>([
  'NO_ROUTE',
  'PATHFINDING_TIMEOUT',
  'INSUFFICIENT_BALANCE',
  'LND_ERROR',
]);
/** Attempts of one tip before an interrupted failure is taken as final. */
export const MAX_ATTEMPTS = 3;

/**
 * LND failed an attempt we did not watch end. The hash is free again once LND has failed it, so
 * a failure an interruption can explain is tried again (same hash) while attempts remain.
 */
const recordLndFailure = async (
  tip: TipRecord,
  lookup: { code: PermanentFailureCode; message: string },
  deps: PayerDeps,
): Promise<PayOutcome> => {
  if (RETRY_AFTER_INTERRUPTION.has(lookup.code) && tip.attempt < MAX_ATTEMPTS) {
    deps.log?.('interrupted attempt failed in LND, trying again', {
      tipId: tip.tipId,
      attempt: tip.attempt,
      code: lookup.code,
    });
    requireTime(tip, deps);
    return pay(await deps.ledger.markSending(tip.tipId, 'SENDING', tip.attempt, deps.now()), deps);
  }
  await deps.ledger.markFailed(tip, { code: lookup.code, reason: lookup.message }, deps.now());
  return { kind: 'failed', tip, code: lookup.code, reason: lookup.message };
};

/** Refuses to start a payment the invocation could not see through (SQS redelivers it). */
const requireTime = (tip: TipRecord, deps: PayerDeps) => {
  if (deps.remainingMs() < deps.policy.deadlineMarginMs) {
    throw new TransientPaymentError(
      `too little time left in this invocation to pay tip ${tip.tipId}; it will be redelivered`,
    );
  }
};

const pay = async (tip: TipRecord, deps: PayerDeps): Promise<PayOutcome> => {
  deps.checkpoint?.('after-intent', tip.tipId);
  const preimage = derivePreimage(deps.keys.preimageKey(tip.keyVersion), tip.tipId as TipId);
  if (hex(paymentHashOf(preimage)) !== tip.paymentHash) {
    throw new Error(
      `preimage key version ${tip.keyVersion} does not reproduce the hash of tip ${tip.tipId}`,
    );
  }
  const started = Date.now();
  // Whatever happens, leave time to record the outcome before the invocation ends.
  const budgetMs = Math.max(1_000, deps.remainingMs() - deps.policy.deadlineMarginMs);
  try {
    const settled = await deps.lightning.payKeysend(
      {
        destination: tip.recipient,
        amountMsat: tip.amountMsat,
        paymentHash: Buffer.from(tip.paymentHash, 'hex'),
        preimage,
        records: tip.records,
        maxFeeMsat: maxFeeMsat(tip.amountMsat, deps.policy),
        maxTimeoutBlocks: deps.policy.maxTimeoutBlocks,
        pathfindingTimeoutMs: Math.min(deps.policy.pathfindingTimeoutMs, budgetMs),
        waitMs: budgetMs,
      },
      { onInFlight: () => deps.checkpoint?.('lnd-in-flight', tip.tipId) },
    );
    deps.checkpoint?.('after-lnd-success', tip.tipId);
    const outcome = await finish(tip, settled, deps);
    return outcome.kind === 'paid' ? { ...outcome, latencyMs: Date.now() - started } : outcome;
  } catch (error) {
    if (error instanceof PermanentPaymentError) {
      await deps.ledger.markFailed(tip, { code: error.code, reason: error.message }, deps.now());
      return { kind: 'failed', tip, code: error.code, reason: error.message };
    }
    if (error instanceof AmbiguousPaymentError) {
      deps.log?.('payment outcome unknown, asking LND', { tipId: tip.tipId, error: error.message });
      const lookup = await deps.lightning.lookupPayment(Buffer.from(tip.paymentHash, 'hex'));
      if (lookup.status === 'succeeded') return finish(tip, lookup, deps);
      if (lookup.status === 'failed') return recordLndFailure(tip, lookup, deps);
      if (lookup.status === 'in_flight') return { kind: 'in-flight', tip };
      throw new TransientPaymentError(
        `LND has no payment for tip ${tip.tipId} after: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
};

/** Money moved: one transaction records the receipt, the recipient's totals and batch progress. */
const finish = async (
  tip: TipRecord,
  settled: SettledPayment,
  deps: PayerDeps,
): Promise<PayOutcome> => {
  if (hex(paymentHashOf(parsePreimage(settled.preimage))) !== tip.paymentHash) {
    throw new Error(`LND returned a preimage that does not match tip ${tip.tipId}'s hash`);
  }
  const receipt: Receipt = {
    version: 1,
    tipId: tip.tipId,
    platformId: tip.platformId,
    recipient: tip.recipient,
    amountMsat: tip.amountMsat.toString(),
    feeMsat: settled.feeMsat.toString(),
    paymentHash: tip.paymentHash,
    preimage: hex(settled.preimage),
    hops: settled.hops,
    settledAt: settled.settledAt,
    attempts: tip.attempt,
    operatorPubkey: deps.keys.receiptPublicKey,
  };
  const signed = signReceipt(receipt, deps.keys.receiptPrivateKey);
  await deps.ledger.markSucceeded(
    tip,
    { receipt: JSON.stringify(signed), feeMsat: settled.feeMsat, settledAt: settled.settledAt },
    deps.now(),
  );
  return { kind: 'paid', tip, feeMsat: settled.feeMsat, latencyMs: 0 };
};

/** Best effort: the tipId a rejected message claimed, for the operator's search. */
const claimedTipId = (body: string): string | undefined => {
  try {
    const value = JSON.parse(body) as { tipId?: unknown };
    return typeof value?.tipId === 'string' ? value.tipId.slice(0, 255) : undefined;
  } catch {
    return undefined;
  }
};
