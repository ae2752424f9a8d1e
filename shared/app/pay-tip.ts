import { maxFeeMsat } from '../domain/fee-limit.js';
import { isLightningAddress } from '../domain/lightning-address.js';
import type { PayerPolicy } from '../domain/payer-policy.js';
import {
  type FailureDecision,
  judgePaymentFailure,
  NOT_FOUND,
  nodeStateMayExplain,
} from '../domain/payment-failure.js';
import { parsePreimage, paymentHashOf } from '../domain/preimage.js';
import { type Receipt, signReceipt } from '../domain/receipt.js';
import { parseReservationTag } from '../domain/reservation-tag.js';
import { parseTipRequest, type Tip, tipFingerprint } from '../domain/tip-request.js';
import type { AddressResolver } from '../ports/address-resolver.js';
import {
  AmbiguousPaymentError,
  LedgerConflictError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../ports/errors.js';
import type { TipMessage } from '../ports/intake.js';
import type { LightningNode, SettledPayment } from '../ports/lightning-node.js';
import type { NodeKeyAgreement } from '../ports/node-keys.js';
import type { PayerKeys } from '../ports/payer-keys.js';
import type { NewTip, ReservationHint, TipLedger, TipRecord } from '../ports/tip-ledger.js';
import {
  lookupAttempt,
  methodFields,
  payableInvoice,
  provedHash,
  receiptMethodFields,
  sendAttempt,
} from './send-method.js';
import { newTipPayment, receiptAuthentication, recordedTipPreimage } from './tip-preimage.js';

/** Steps of the state machine where a crash test may kill the worker. */
export type PayerStep = 'before-intent' | 'after-intent' | 'lnd-in-flight' | 'after-lnd-success';

export interface PayerDeps {
  ledger: TipLedger;
  lightning: LightningNode;
  /** Resolves Lightning Address recipients; absent: such tips wait (transient) until configured. */
  addresses?: AddressResolver;
  keys: PayerKeys;
  /** The operator node's key agreement (ECDH), for shared-secret tips (`tip-preimage.ts`). */
  keyAgreement?: NodeKeyAgreement;
  policy: PayerPolicy;
  now: () => Date;
  /** Milliseconds left before the invocation must end. */
  remainingMs: () => number;
  /** Test hook at each step; a no-op in production. */
  checkpoint?: (step: PayerStep, tipId: string) => void;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * What the message being handled says of its budget reservation (set by `payTipMessage`): the
   * ledger checks it in the transaction that ends the tip instead of reading the request. The
   * reconciler has none: the ledger reads the request.
   */
  reservation?: ReservationHint;
}

/** How handling one message ended. All but a thrown error acknowledge the message. */
export type PayOutcome =
  | { kind: 'paid'; tip: TipRecord; feeMsat: bigint; latencyMs: number }
  | { kind: 'already-paid'; tip: TipRecord }
  | { kind: 'failed'; tip: TipRecord; code: string; reason: string }
  | { kind: 'already-failed'; tip: TipRecord }
  | { kind: 'in-flight'; tip: TipRecord }
  /**
   * The operator node's own state explains LND's failure (`payment-failure.ts`): nothing sent, the
   * tip left SENDING, and its message acknowledged (a hold must not spend the message's receives
   * towards the dead-letter queue): the reconciler decides again, until the window closes.
   */
  | { kind: 'held'; tip: TipRecord; reason: string }
  /**
   * LND's answer cannot decide the attempt yet: its send may still reach LND until `until` (the
   * lease plus its grace). A redelivery or the reconciler decides after that.
   */
  | { kind: 'leased'; tip: TipRecord; until: string; reason: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'conflict'; reason: string };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Handles one tip message exactly once: validates, records the tip, records the intent to pay,
 * pays by keysend with a hash derived from the tip id, and records what LND says. Throws only
 * when the message must be retried (LND or DynamoDB unreachable); the ledger then holds whatever
 * the retry needs to continue safely.
 */
export const payTipMessage = async (
  message: TipMessage,
  payerDeps: PayerDeps,
): Promise<PayOutcome> => {
  const deps = { ...payerDeps, reservation: reservationHint(message) };
  const parsed = parseTipRequest(message.body, {
    maxMsat: deps.policy.maxTipMsat,
    allowMsat: deps.policy.allowMsat,
    customRecordsBudgetBytes: deps.policy.customRecordsBudgetBytes,
  });
  if (!parsed.ok) {
    // A tip the API could have accepted but the payer's own limits refuse (lowered since): it
    // still ends, FAILED with the reason, its budget released and its batch row counted.
    const withinProtocol = parseTipRequest(message.body, PROTOCOL_LIMITS);
    if (withinProtocol.ok) return refuse(withinProtocol.tip, parsed.error.message, message, deps);
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
  if (isLightningAddress(tip.recipient)) {
    // Resolving an address is network I/O to an untrusted host (and an LNURL invoice each time):
    // a redelivered tip goes on from what was recorded, never resolved again.
    const existing = await deps.ledger.getTip(tip.tipId);
    if (existing) {
      if (existing.fingerprint !== tipFingerprint(tip)) return conflict(tip, message, deps);
      return settleLeased(await driveTip(existing, deps));
    }
  }
  // The intent to pay goes into the write that records the tip: a new tip is created SENDING
  // (attempt 1) with this invocation's lease, so only that write stands between the message and
  // the send. With too little time left it is created RECEIVED and left for a redelivery. The
  // payment (hash, method; a Lightning Address resolved) is worked out first: the lease is taken
  // after every await before it.
  const fresh = await newTip(tip, deps);
  let method: Awaited<ReturnType<typeof methodFields>>;
  try {
    method = await methodFields(
      tip,
      maxFeeMsat(tip.amountMsat, deps.policy),
      deps,
      fresh.keyVersion,
      deps.policy.customRecordsBudgetBytes,
    );
  } catch (error) {
    // The address cannot be paid (no keysend details, LNURL 404, a bad invoice): never sent.
    if (error instanceof PermanentPaymentError && error.code === 'ADDRESS_UNRESOLVED') {
      return refuse(tip, error.message, message, deps, error.code);
    }
    throw error;
  }
  const withIntent = deps.remainingMs() >= deps.policy.deadlineMarginMs;
  if (withIntent) deps.checkpoint?.('before-intent', tip.tipId);
  const now = deps.now();
  const { created, record } = await deps.ledger.createTip(
    { ...fresh, ...method },
    now,
    withIntent ? new Date(now.getTime() + deps.remainingMs()) : undefined,
  );
  if (record.fingerprint !== tipFingerprint(tip)) return conflict(tip, message, deps);
  // Created SENDING: this invocation wrote attempt 1 and holds its lease.
  return settleLeased(await driveTip(record, deps, created && record.state === 'SENDING'));
};

/** A leased outcome is retried by SQS; every other one acknowledges the message. */
const settleLeased = (outcome: PayOutcome): PayOutcome => {
  if (outcome.kind === 'leased') {
    // SQS brings the message back after its visibility timeout (in AWS 6× the function timeout,
    // so past the lease): the owner has finished it by then, or the redelivery decides.
    throw new TransientPaymentError(outcome.reason);
  }
  return outcome;
};

/**
 * The message's word on its budget: the API tags every message with the reservation its request
 * made, so a message without a tag had none (a producer writing to the queue directly); a tag the
 * API would not have written says nothing (the ledger reads the request).
 */
const reservationHint = (message: TipMessage): ReservationHint | undefined => {
  if (message.reservationTag === undefined) return { kind: 'none' };
  const tag = parseReservationTag(message.reservationTag);
  return tag && { kind: 'reserved', tag };
};

/** What Tipstream can carry at all, whatever the operator's policy: the whole supply, the onion. */
const PROTOCOL_LIMITS = {
  maxMsat: 21_000_000n * 100_000_000n * 1_000n,
  allowMsat: true,
  customRecordsBudgetBytes: 1_300,
};

/** The ledger's record of a new tip: its hash and derivation fixed now (`tip-preimage.ts`). */
const newTip = async (tip: Tip, deps: PayerDeps): Promise<NewTip> => ({
  tipId: tip.tipId,
  fingerprint: tipFingerprint(tip),
  platformId: tip.platformId,
  recipient: tip.recipient,
  amountMsat: tip.amountMsat,
  ...(await newTipPayment(tip, deps)),
  batchId: tip.batchId,
  splitId: tip.splitOf?.splitId,
});

/** The tip id was used before for another tip: refused, and the message kept for the operator. */
const conflict = async (tip: Tip, message: TipMessage, deps: PayerDeps): Promise<PayOutcome> => {
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
};

/**
 * A well-formed tip beyond the payer's limits: recorded FAILED (REFUSED_BY_POLICY) with the
 * failure's effects, never sent. A tip recorded before (under the old limits) goes on as it is.
 */
const refuse = async (
  tip: Tip,
  reason: string,
  message: TipMessage,
  deps: PayerDeps,
  code: PermanentFailureCode = 'REFUSED_BY_POLICY',
): Promise<PayOutcome> => {
  const { created, record } = await deps.ledger.createRefusedTip(
    await newTip(tip, deps),
    { code, reason },
    deps.now(),
    deps.reservation,
  );
  if (record.fingerprint !== tipFingerprint(tip)) return conflict(tip, message, deps);
  if (created) return { kind: 'failed', tip: record, code, reason };
  return driveTip(record, deps);
};

/**
 * Moves a recorded tip forward from whatever state it is in. Also used by the reconciler.
 * `owned`: `start` is the SENDING record this invocation itself wrote, so it holds the attempt's
 * lease and sends it (anyone else resumes a SENDING tip by asking LND first).
 */
export const driveTip = async (
  start: TipRecord,
  deps: PayerDeps,
  owned = false,
): Promise<PayOutcome> => {
  let tip = start;
  let mine = owned && start.state === 'SENDING';
  // Each turn either ends or re-reads after losing a race; a few turns always suffice.
  for (let turn = 0; turn < 5; turn += 1) {
    try {
      if (mine) {
        mine = false;
        return await pay(tip, deps);
      }
      switch (tip.state) {
        case 'SUCCEEDED':
          return { kind: 'already-paid', tip };
        case 'FAILED':
          return { kind: 'already-failed', tip };
        case 'RECEIVED':
          // Never SENDING: no one ever held a lease to send it, so no answer of LND is in play.
          requireTime(tip, deps);
          deps.checkpoint?.('before-intent', tip.tipId);
          return await pay(await startAttempt(tip, 'RECEIVED', deps), deps);
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

/**
 * Records the next attempt (the intent to pay) with its lease: this invocation's deadline. Only
 * the invocation holding the returned record may call LND for the attempt, and only before then.
 */
const startAttempt = async (
  tip: TipRecord,
  from: 'RECEIVED' | 'SENDING',
  deps: PayerDeps,
): Promise<TipRecord> => {
  requireTime(tip, deps);
  const now = deps.now();
  return deps.ledger.markSending(
    tip.tipId,
    from,
    tip.attempt,
    tip.paymentHash,
    now,
    new Date(now.getTime() + deps.remainingMs()),
  );
};

/**
 * Whether the invocation that recorded the tip's current attempt may still call LND for it: until
 * its lease (that invocation's deadline) plus the grace for clock skew and the send's way to LND.
 */
const leaseHeld = (tip: TipRecord, deps: PayerDeps): boolean =>
  deps.now().getTime() <= leaseEnds(tip, deps);

/** When no send of the tip's current attempt can reach LND any more, ms (no lease: long past). */
const leaseEnds = (tip: TipRecord, deps: PayerDeps): number =>
  tip.leaseUntil === undefined
    ? Number.NEGATIVE_INFINITY
    : Date.parse(tip.leaseUntil) + deps.policy.leaseGraceMs;

/**
 * A tip found SENDING by an invocation that did not record its attempt: a worker died, another is
 * paying it, or a payment was still in flight at a deadline. LND's answer decides, but what LND
 * says belongs to the latest send of the hash: "failed" or "not found" may be an older attempt's
 * answer while the attempt's owner is about to send. So they decide only once the lease has
 * passed, judged before asking LND: every send of every attempt up to this one then happened
 * before the question, and none can follow it.
 */
const resume = async (tip: TipRecord, deps: PayerDeps): Promise<PayOutcome> => {
  // Judged before asking LND: only then does the answer cover every send of the attempt.
  const leaseLive = leaseHeld(tip, deps);
  const lookup = await lookupAttempt(tip, deps);
  switch (lookup.status) {
    case 'succeeded':
      // A hash settles at most once, whichever attempt sent it: success is safe to record.
      return finish(tip, lookup, deps);
    case 'in_flight':
      return { kind: 'in-flight', tip };
    case 'failed':
    case 'not_found':
      if (leaseLive) {
        return leased(
          tip,
          deps,
          `tip ${tip.tipId}: attempt ${tip.attempt} belongs to another invocation until its lease ends; retrying later`,
        );
      }
      if (lookup.status === 'not_found') {
        // LND never took it, or (AMP) failed it before any shard left: the same rule as a failure
        // decides whether the node's state holds it; else pay again, same hash, next attempt.
        const decision = await judgeFailure(tip, NOT_FOUND, deps, false);
        if (decision.kind === 'wait') return hold(tip, decision.reason, deps);
        return pay(await startAttempt(tip, 'SENDING', deps), deps);
      }
      return decideFailure(tip, lookup, deps, false);
  }
};

/** The attempt's send may still reach LND until its lease and grace have passed. */
const leased = (tip: TipRecord, deps: PayerDeps, reason: string): PayOutcome => ({
  kind: 'leased',
  tip,
  until: new Date(Math.max(leaseEnds(tip, deps), deps.now().getTime())).toISOString(),
  reason,
});

/**
 * LND failed the hash and no send of it can follow (the caller owns the attempt and `followed` its
 * send to the failure, or the attempt's lease has passed): the failure is the tip's unless the
 * operator node's own state explains it (then decided again later) or an interrupted send can
 * (then sent again, same hash, while sends remain): `shared/domain/payment-failure.ts`.
 */
const decideFailure = async (
  tip: TipRecord,
  failure: { code: PermanentFailureCode; message: string },
  deps: PayerDeps,
  followed: boolean,
): Promise<PayOutcome> => {
  const decision = await judgeFailure(tip, failure.code, deps, followed);
  switch (decision.kind) {
    case 'send-again':
      deps.log?.('interrupted attempt failed in LND, trying again', {
        tipId: tip.tipId,
        attempt: tip.attempt,
        code: failure.code,
      });
      return pay(await startAttempt(tip, 'SENDING', deps), deps);
    case 'wait':
      return hold(tip, decision.reason, deps);
    case 'final':
      await deps.ledger.markFailed(
        tip,
        { code: failure.code, reason: failure.message },
        deps.now(),
        deps.reservation,
      );
      return { kind: 'failed', tip, code: failure.code, reason: failure.message };
  }
};

/**
 * The node-state rule on an attempt LND failed (or has no payment for: `NOT_FOUND`), the node asked
 * only when its state may explain the code, the window counted from the tip's first hold.
 */
const judgeFailure = async (
  tip: TipRecord,
  code: string,
  deps: PayerDeps,
  followed: boolean,
): Promise<FailureDecision> =>
  judgePaymentFailure({
    code,
    amountMsat: tip.amountMsat,
    // Attempts whose send never reached LND (the lease was given up), and attempts the node's
    // state held (it failed them, not the route), are not sends.
    sends: tip.attempt - (tip.unsentAttempts ?? 0) - (tip.heldAttempts ?? 0),
    followed,
    node: nodeStateMayExplain(code)
      ? await deps.lightning.paymentState().catch(() => undefined)
      : undefined,
    heldMs:
      tip.heldSince === undefined ? undefined : deps.now().getTime() - Date.parse(tip.heldSince),
    recoveryWindowMs: deps.policy.nodeRecoveryMs,
  });

/**
 * The node's state holds the tip: it stays SENDING at this attempt (its lease kept: a send of it
 * may have reached LND), the attempt is counted as held, not as a send (the node failed it: a tip
 * held on its last send is sent again once the node is whole), the first hold is recorded (the
 * window runs from it), and the message is acknowledged: once the lease has passed the reconciler
 * asks LND and the node again. A next send is a new attempt (the attempt numbers that guard every
 * write only grow), started after a lookup, as any resend.
 */
const hold = async (tip: TipRecord, reason: string, deps: PayerDeps): Promise<PayOutcome> => {
  if (tip.heldAttempt !== tip.attempt) await deps.ledger.markHeld(tip, deps.now());
  deps.log?.('tip held by the operator node state', { tipId: tip.tipId, reason });
  return {
    kind: 'held',
    tip,
    reason: `tip ${tip.tipId}: ${reason}; the reconciler decides again once the node has recovered`,
  };
};

/** Refuses to start a payment the invocation could not see through (SQS redelivers it). */
const requireTime = (tip: TipRecord, deps: PayerDeps) => {
  if (deps.remainingMs() < deps.policy.deadlineMarginMs) {
    throw new TransientPaymentError(
      `too little time left in this invocation to pay tip ${tip.tipId}; it will be redelivered`,
    );
  }
};

/**
 * Sends the attempt this invocation recorded (`tip` is what `startAttempt` returned: we hold its
 * lease) and records how it ended.
 */
const pay = async (owned: TipRecord, deps: PayerDeps): Promise<PayOutcome> => {
  deps.checkpoint?.('after-intent', owned.tipId);
  const giveUp = (record: TipRecord) => async (error: unknown) => {
    // Nothing was sent (the operator node did not answer the ECDH, the LNURL server no new
    // invoice): give the lease up at once.
    if (error instanceof TransientPaymentError) {
      await deps.ledger.releaseLease(record).catch(() => {});
    }
    throw error;
  };
  // An LNURL tip whose invoice would expire before the send ends gets a new one, stored first.
  const tip = await payableInvoice(owned, deps.remainingMs(), deps).catch(giveUp(owned));
  const preimage =
    tip.sendMethod === 'lnurl-invoice'
      ? undefined
      : await recordedTipPreimage(tip, deps).catch(giveUp(tip));
  if (preimage && hex(paymentHashOf(preimage)) !== tip.paymentHash) {
    throw new Error(
      `the ${tip.preimageDerivation ?? `preimage key version ${tip.keyVersion}`} derivation does not reproduce the hash of tip ${tip.tipId}`,
    );
  }
  // The fence: past the lease, others may decide this attempt from LND's answer, so never send.
  if (tip.leaseUntil === undefined || deps.now().getTime() >= Date.parse(tip.leaseUntil)) {
    throw new TransientPaymentError(
      `the lease of tip ${tip.tipId}'s attempt ${tip.attempt} ran out before the send; it will be redelivered`,
    );
  }
  const started = Date.now();
  // Whatever happens, leave time to record the outcome before the invocation ends.
  const budgetMs = Math.max(1_000, deps.remainingMs() - deps.policy.deadlineMarginMs);
  try {
    const settled = await sendAttempt(
      tip,
      preimage,
      {
        maxFeeMsat: maxFeeMsat(tip.amountMsat, deps.policy),
        maxTimeoutBlocks: deps.policy.maxTimeoutBlocks,
        pathfindingTimeoutMs: Math.min(deps.policy.pathfindingTimeoutMs, budgetMs),
        waitMs: budgetMs,
      },
      { onInFlight: () => deps.checkpoint?.('lnd-in-flight', tip.tipId) },
      deps,
    );
    deps.checkpoint?.('after-lnd-success', tip.tipId);
    const outcome = await finish(tip, settled, deps);
    return outcome.kind === 'paid' ? { ...outcome, latencyMs: Date.now() - started } : outcome;
  } catch (error) {
    if (error instanceof PermanentPaymentError) {
      // LND failed our own send: this attempt is over, and this invocation sends nothing more for
      // it; the failure is the tip's unless the node's own state explains it (then held: the
      // reconciler decides again).
      return decideFailure(tip, { code: error.code, message: error.message }, deps, true);
    }
    if (error instanceof TransientPaymentError) {
      // Nothing of ours reached LND, or LND canceled it: give the attempt up at once, so the
      // redelivery need not wait for the lease to pass.
      await deps.ledger.releaseLease(tip).catch(() => {});
      throw error;
    }
    if (error instanceof AmbiguousPaymentError) {
      deps.log?.('payment outcome unknown, asking LND', { tipId: tip.tipId, error: error.message });
      const lookup = await lookupAttempt(tip, deps);
      if (lookup.status === 'succeeded') return finish(tip, lookup, deps);
      if (lookup.status === 'in_flight') return { kind: 'in-flight', tip };
      // "Failed" or "not found" may predate our own send, which may still be on its way to LND
      // (the wait ran out before LND registered it; a dropped stream may have carried it). Keep
      // the lease: once it has passed, every send of this attempt has landed and the next
      // delivery or the reconciler decides from what LND says then.
      return leased(
        tip,
        deps,
        `LND has ${lookup.status === 'failed' ? `only an earlier failure (${lookup.code})` : 'no payment'} for tip ${tip.tipId} after: ${error.message}; decided once attempt ${tip.attempt}'s lease has passed`,
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
  const paymentHash = provedHash(tip, settled);
  if (hex(paymentHashOf(parsePreimage(settled.preimage))) !== paymentHash) {
    throw new Error(`LND returned a preimage that does not match tip ${tip.tipId}'s hash`);
  }
  const receipt: Receipt = {
    version: 1,
    tipId: tip.tipId,
    platformId: tip.platformId,
    recipient: tip.recipient,
    amountMsat: tip.amountMsat.toString(),
    feeMsat: settled.feeMsat.toString(),
    paymentHash,
    preimage: hex(settled.preimage),
    hops: settled.hops,
    settledAt: settled.settledAt,
    attempts: tip.attempt,
    operatorPubkey: deps.keys.receiptSigner.publicKey,
    ...receiptMethodFields(tip, settled),
    authentication: receiptAuthentication(tip),
  };
  const signed = signReceipt(receipt, deps.keys.receiptSigner);
  await deps.ledger.markSucceeded(
    tip,
    { receipt: JSON.stringify(signed), feeMsat: settled.feeMsat, settledAt: settled.settledAt },
    deps.now(),
    deps.reservation,
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
