/**
 * Hand-written fakes of the payer's ports, for unit tests of the use cases. The ledger keeps the
 * DynamoDB adapter's conditions (shared/adapters/dynamodb/tip-ledger.ts) exactly: a use case that
 * is wrong about a condition fails here the way it would against DynamoDB.
 */
import { createHash, createHmac } from 'node:crypto';
import { schnorr } from '@noble/secp256k1';
import '../../../shared/domain/secp.js';
import { createReceiptSigner } from '../../../shared/adapters/crypto/receipt-signer.js';
import type { IntakeDeps } from '../../../shared/app/accept-tip.js';
import { type PayerDeps, type PayerStep, payTipMessage } from '../../../shared/app/pay-tip.js';
import type { LightningAddress, NodePubkey } from '../../../shared/domain/brands.js';
import type { DecodedInvoice } from '../../../shared/domain/lightning-address.js';
import type { PayerPolicy } from '../../../shared/domain/payer-policy.js';
import type { NodePaymentState } from '../../../shared/domain/payment-failure.js';
import type { RouteAssessment } from '../../../shared/domain/payment-method.js';
import {
  type BatchSummary,
  InvalidCursorError,
  type PayoutHistory,
  type PayoutHistoryEntry,
  type PlatformActivity,
  type PlatformTipEntry,
} from '../../../shared/ports/activity.js';
import type {
  AddressResolution,
  AddressResolver,
  LnurlOffer,
} from '../../../shared/ports/address-resolver.js';
import {
  AmbiguousPaymentError,
  LedgerConflictError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../../../shared/ports/errors.js';
import type {
  AcceptedBatch,
  AcceptedRequest,
  AcceptResult,
  BudgetReservation,
  IntakeStore,
  PlatformRecord,
  QueuedTip,
  TipQueue,
} from '../../../shared/ports/intake.js';
import type {
  AmpLookup,
  AmpPayment,
  InvoicePayment,
  KeysendPayment,
  LightningNode,
  PaymentLookup,
  SettledPayment,
} from '../../../shared/ports/lightning-node.js';
import type { PayerKeys } from '../../../shared/ports/payer-keys.js';
import {
  firstRecord,
  type InvoiceFields,
  type NewTip,
  type RecipientTotals,
  type Rejection,
  type TipLedger,
  type TipRecord,
} from '../../../shared/ports/tip-ledger.js';
import { hourlyActivityOf } from '../../support/hourly-activity.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The generator point G: a valid node pubkey. */
export const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
/** Another valid node pubkey (2G), used as a routing hop. */
export const HOP = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';

/** Yields to the event loop `n` times: lets concurrent workers interleave. */
export const ticks = async (n: number) => {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

// ---------------------------------------------------------------------------------------------
// Ledger

export interface BatchProgress {
  succeededCount: number;
  succeededMsat: bigint;
  failedCount: number;
  failedMsat: bigint;
  feeMsat: bigint;
}

export type StoredRejection = Rejection & { createdAt: string };

/** In-memory TipLedger with the DynamoDB adapter's conditional writes. */
export class FakeTipLedger implements TipLedger {
  readonly #tips = new Map<string, TipRecord>();
  readonly #rejections = new Map<string, StoredRejection>();
  readonly #totals = new Map<string, RecipientTotals>();
  readonly #batches = new Map<string, BatchProgress>();

  /** Awaited before every operation (emulates a network round trip); the write is atomic after. */
  io: () => Promise<void> = () => Promise.resolve();
  /** Successful markSucceeded calls: the guard must let exactly one through per tip. */
  succeededWrites = 0;
  /** Successful markFailed calls. */
  failedWrites = 0;

  async createTip(tip: NewTip, now: Date, leaseUntil?: Date) {
    await this.io();
    const existing = this.#tips.get(tip.tipId);
    if (existing) return { created: false, record: copy(existing) };
    const record = firstRecord(tip, now, { leaseUntil });
    // Like the adapter (removeUndefinedValues), absent optional fields are not stored.
    this.#tips.set(tip.tipId, withoutUndefined(copy(record)));
    return { created: true, record: copy(record) };
  }

  async createRefusedTip(
    tip: NewTip,
    failure: { code: PermanentFailureCode; reason: string },
    now: Date,
  ) {
    await this.io();
    const existing = this.#tips.get(tip.tipId);
    if (existing) return { created: false, record: copy(existing) };
    const record = firstRecord(tip, now, { failure });
    this.#tips.set(tip.tipId, withoutUndefined(copy(record)));
    this.#countFailure(record);
    return { created: true, record: copy(record) };
  }

  async getTip(tipId: string) {
    await this.io();
    const tip = this.#tips.get(tipId);
    return tip && copy(tip);
  }

  async getTips(tipIds: readonly string[]) {
    await this.io();
    const found = new Map<string, TipRecord>();
    for (const tipId of tipIds) {
      const tip = this.#tips.get(tipId);
      if (tip) found.set(tipId, copy(tip));
    }
    return found;
  }

  async markSending(
    tipId: string,
    from: 'RECEIVED' | 'SENDING',
    expectedAttempt: number,
    expectedHash: string,
    now: Date,
    leaseUntil: Date,
  ) {
    await this.io();
    const tip = this.#tips.get(tipId);
    if (
      !tip ||
      tip.state !== from ||
      tip.attempt !== expectedAttempt ||
      tip.paymentHash !== expectedHash
    ) {
      throw new LedgerConflictError(`tip ${tipId} changed under us (wanted ${from} → SENDING)`);
    }
    const at = now.toISOString();
    Object.assign(tip, {
      state: 'SENDING',
      attempt: expectedAttempt + 1,
      sendingSince: at,
      updatedAt: at,
      leaseUntil: leaseUntil.toISOString(),
    });
    return copy(tip);
  }

  async replaceInvoice(tip: TipRecord, invoice: InvoiceFields, now: Date) {
    await this.io();
    const stored = this.#tips.get(tip.tipId);
    if (
      stored?.state !== 'SENDING' ||
      stored.attempt !== tip.attempt ||
      stored.paymentHash !== tip.paymentHash
    ) {
      throw new LedgerConflictError(`tip ${tip.tipId} changed under us (wanted a new invoice)`);
    }
    Object.assign(stored, invoice, { updatedAt: now.toISOString() });
    return copy(stored);
  }

  async releaseLease(tip: TipRecord) {
    await this.io();
    const stored = this.#tips.get(tip.tipId);
    if (stored?.state !== 'SENDING' || stored.attempt !== tip.attempt) return;
    if (stored.leaseUntil === undefined) return;
    if (stored.heldAttempt !== undefined && stored.heldAttempt >= tip.attempt) return;
    delete stored.leaseUntil;
    stored.unsentAttempts = (stored.unsentAttempts ?? 0) + 1;
  }

  async markHeld(tip: TipRecord, at: Date) {
    await this.io();
    const stored = this.#tips.get(tip.tipId);
    if (stored?.state !== 'SENDING' || stored.attempt !== tip.attempt) return;
    if (stored.heldSince !== tip.heldSince) return;
    if (stored.heldAttempt !== undefined && stored.heldAttempt >= tip.attempt) return;
    const released = tip.leaseUntil === undefined;
    if (released !== (stored.leaseUntil === undefined)) return;
    stored.heldSince ??= at.toISOString();
    stored.heldAttempt = tip.attempt;
    stored.heldAttempts = (stored.heldAttempts ?? 0) + (released ? 0 : 1);
  }

  async markSucceeded(
    tip: TipRecord,
    outcome: { receipt: string; feeMsat: bigint; settledAt: string },
    now: Date,
  ) {
    await this.io();
    const stored = this.#tips.get(tip.tipId);
    if (stored?.state !== 'SENDING' || stored.attempt !== tip.attempt) {
      throw new LedgerConflictError(
        `tip ${tip.tipId} changed under us (wanted SENDING → SUCCEEDED)`,
      );
    }
    const at = now.toISOString();
    Object.assign(stored, {
      state: 'SUCCEEDED',
      receipt: outcome.receipt,
      feeMsat: outcome.feeMsat,
      settledAt: outcome.settledAt,
      updatedAt: at,
    });
    this.succeededWrites += 1;
    // Same transaction in the adapter: totals from the caller's record, as DynamoDB does.
    const totals = this.#totals.get(tip.recipient) ?? {
      recipient: tip.recipient,
      paidMsat: 0n,
      feeMsat: 0n,
      tipCount: 0,
    };
    totals.paidMsat += tip.amountMsat;
    totals.feeMsat += outcome.feeMsat;
    totals.tipCount += 1;
    this.#totals.set(tip.recipient, totals);
    if (tip.batchId) {
      const batch = this.#batch(tip.batchId);
      batch.succeededCount += 1;
      batch.succeededMsat += tip.amountMsat;
      batch.feeMsat += outcome.feeMsat;
    }
  }

  async markFailed(
    tip: TipRecord,
    failure: { code: PermanentFailureCode; reason: string },
    now: Date,
  ) {
    await this.io();
    const stored = this.#tips.get(tip.tipId);
    if (stored?.state !== 'SENDING' || stored.attempt !== tip.attempt) {
      throw new LedgerConflictError(`tip ${tip.tipId} changed under us (wanted SENDING → FAILED)`);
    }
    Object.assign(stored, {
      state: 'FAILED',
      failureCode: failure.code,
      failureReason: failure.reason,
      updatedAt: now.toISOString(),
    });
    this.#countFailure(tip);
  }

  /** The effects of a failure besides the tip, in the adapter's same transaction. */
  #countFailure(tip: TipRecord) {
    this.failedWrites += 1;
    if (tip.batchId) {
      const batch = this.#batch(tip.batchId);
      batch.failedCount += 1;
      batch.failedMsat += tip.amountMsat;
    }
  }

  async recordRejection(rejection: Rejection, now: Date) {
    await this.io();
    // Keyed by message id like the adapter: redelivery of a bad message overwrites one item.
    this.#rejections.set(rejection.messageId, {
      ...copy(rejection),
      body: rejection.body.slice(0, 4_000),
      createdAt: now.toISOString(),
    });
  }

  async listStuckSending(olderThan: Date, page: { limit: number; cursor?: string }) {
    await this.io();
    const cutoff = olderThan.toISOString();
    const start = Number(page.cursor ?? 0);
    // The adapter's sparse index holds unfinished tips only (inFlight is set at creation and
    // removed on SUCCEEDED/FAILED).
    const all = [...this.#tips.values()]
      .filter(
        (tip) =>
          (tip.state === 'RECEIVED' || tip.state === 'SENDING') && tip.sendingSince !== undefined,
      )
      .filter((tip) => (tip.sendingSince as string) < cutoff)
      .sort((a, b) => ((a.sendingSince as string) < (b.sendingSince as string) ? -1 : 1));
    const tips = all.slice(start, start + page.limit).map(copy);
    const next = start + page.limit;
    return { tips, cursor: next < all.length ? String(next) : undefined };
  }

  async getRecipientTotals(recipient: string) {
    await this.io();
    const totals = this.#totals.get(recipient);
    return totals && copy(totals);
  }

  /** Test view: the rejection stored for a message id. */
  rejection(messageId: string): StoredRejection | undefined {
    const rejection = this.#rejections.get(messageId);
    return rejection && copy(rejection);
  }

  /** Test view: number of stored rejections. */
  get rejectionCount(): number {
    return this.#rejections.size;
  }

  /** Test view: a batch's progress counters. */
  batch(batchId: string): BatchProgress | undefined {
    const batch = this.#batches.get(batchId);
    return batch && copy(batch);
  }

  /** Test view: a tip without the io() delay. */
  peek(tipId: string): TipRecord | undefined {
    const tip = this.#tips.get(tipId);
    return tip && copy(tip);
  }

  #batch(batchId: string): BatchProgress {
    let batch = this.#batches.get(batchId);
    if (!batch) {
      batch = { succeededCount: 0, succeededMsat: 0n, failedCount: 0, failedMsat: 0n, feeMsat: 0n };
      this.#batches.set(batchId, batch);
    }
    return batch;
  }
}

const copy = <T>(value: T): T => structuredClone(value);

const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;

// ---------------------------------------------------------------------------------------------
// Lightning node

/** What one payKeysend call does. */
export type PayStep =
  | { kind: 'settle'; feeMsat?: bigint; hops?: string[]; settledAt?: string }
  | { kind: 'permanent'; code: PermanentFailureCode; message?: string }
  | { kind: 'transient'; message?: string }
  /**
   * The call's outcome is unknown to the caller. `leaves` is what LND really did (what a
   * truthful lookup then reports): nothing, a payment still in flight, or a settled one.
   */
  | { kind: 'ambiguous'; message?: string; leaves?: 'nothing' | 'in_flight' | 'succeeded' };

/** What one lookupPayment call answers; 'truth' reports what the fake node knows. */
export type LookupStep =
  | { status: 'truth' }
  | {
      status: 'succeeded';
      preimage?: Uint8Array;
      feeMsat?: bigint;
      hops?: string[];
      settledAt?: string;
    }
  | { status: 'failed'; code: PermanentFailureCode; message?: string }
  | { status: 'in_flight' }
  | { status: 'not_found' }
  | { status: 'throw'; error: Error };

/** What the fake node knows of a hash, like LND's control tower. */
type Known =
  | { status: 'in_flight'; preimage: Uint8Array }
  | { status: 'succeeded'; settled: SettledPayment }
  | { status: 'failed'; code: PermanentFailureCode; message: string };

export const DEFAULT_FEE_MSAT = 1_000n;

/** An invoice a fake LNURL server issued: what decoding it tells, and the payee's preimage. */
export interface FakeInvoice {
  paymentHash: Uint8Array;
  preimage: Uint8Array;
  amountMsat?: bigint;
  payee: string;
  descriptionHash?: string;
  expiresAt: Date;
}

/** Lightning Addresses the fake resolver knows: keysend details, or an LNURL-pay server. */
export type FakeAddress =
  | { kind: 'keysend'; pubkey: string; records?: Array<{ type: bigint; value: Uint8Array }> }
  | {
      kind: 'lnurl';
      payee: string;
      metadata: string;
      /** Seconds each new invoice is valid (default 3600). */
      expirySeconds?: number;
      /** What the next invoices look like instead (a wrong amount, another hash…). */
      tamper?: (invoice: FakeInvoice) => FakeInvoice;
    };

/**
 * A Lightning Address resolver over a table of addresses; LNURL invoices are registered with the
 * fake node (so it can decode and pay them). `fail` makes the next calls throw.
 */
export class FakeAddressResolver implements AddressResolver {
  readonly addresses = new Map<string, FakeAddress>();
  /** Every resolve/requestInvoice call: the address and which call. */
  readonly calls: Array<{ address: string; call: 'resolve' | 'requestInvoice' }> = [];
  readonly fail: Error[] = [];
  #issued = 0;

  constructor(
    private readonly node: FakeLightningNode,
    private readonly clock: { now: () => Date },
  ) {}

  async resolve(address: LightningAddress, amountMsat: bigint): Promise<AddressResolution> {
    this.calls.push({ address, call: 'resolve' });
    const known = this.#known(address);
    if (known.kind === 'keysend') {
      return {
        kind: 'keysend',
        pubkey: known.pubkey as NodePubkey,
        records: known.records ?? [],
      };
    }
    return this.#issue(address, known, amountMsat);
  }

  async requestInvoice(address: LightningAddress, amountMsat: bigint): Promise<LnurlOffer> {
    this.calls.push({ address, call: 'requestInvoice' });
    const known = this.#known(address);
    if (known.kind !== 'lnurl') throw new Error(`fake: ${address} has no LNURL server`);
    return this.#issue(address, known, amountMsat);
  }

  #known(address: string): FakeAddress {
    const failure = this.fail.shift();
    if (failure) throw failure;
    const known = this.addresses.get(address);
    if (!known) {
      throw new PermanentPaymentError(
        'ADDRESS_UNRESOLVED',
        `${address}: no keysend details and the LNURL server answered 404`,
      );
    }
    return known;
  }

  #issue(address: string, known: Extract<FakeAddress, { kind: 'lnurl' }>, amountMsat: bigint) {
    this.#issued += 1;
    const preimage = createHash('sha256').update(`${address}:${this.#issued}`).digest();
    const issued: FakeInvoice = {
      preimage: new Uint8Array(preimage),
      paymentHash: new Uint8Array(createHash('sha256').update(preimage).digest()),
      amountMsat,
      payee: known.payee,
      descriptionHash: createHash('sha256').update(known.metadata).digest('hex'),
      expiresAt: new Date(this.clock.now().getTime() + (known.expirySeconds ?? 3600) * 1000),
    };
    const invoice = `lnbcrt${this.#issued}fake${hex(issued.paymentHash).slice(0, 16)}`;
    this.node.invoices.set(invoice, known.tamper ? known.tamper(issued) : issued);
    return { kind: 'lnurl' as const, invoice, metadata: known.metadata };
  }
}
export const DEFAULT_SETTLED_AT = '2026-01-02T03:04:05.678Z';

/** Scriptable LightningNode: records every call; each call does what the next scripted step says. */
export class FakeLightningNode implements LightningNode {
  /** Every payKeysend call, in order, including those that threw. */
  readonly payCalls: KeysendPayment[] = [];
  /** Payment hashes (hex) of every lookupPayment call, in order. */
  readonly lookupCalls: string[] = [];
  /** Every payment that settled (money moved). */
  readonly settlements: Array<{ paymentHash: string; settled: SettledPayment }> = [];
  /** Refuse a second send of a hash in flight or settled, as LND's control tower does. */
  duplicateGuard = false;
  /** Called while the payment is in flight, after the caller's onInFlight, before settling. */
  onInFlight?: (payment: KeysendPayment) => void | Promise<void>;
  /** Awaited before LND acts on a payKeysend call (the RPC's way there). */
  payDelay: () => Promise<void> = () => Promise.resolve();
  /** Awaited before LND answers a lookupPayment call. */
  lookupDelay: () => Promise<void> = () => Promise.resolve();
  /** Awaited while a payment is in flight (lets concurrent workers interleave). */
  inFlightDelay: () => Promise<void> = () => Promise.resolve();
  readonly #paySteps: PayStep[] = [];
  readonly #lookupSteps: LookupStep[] = [];
  readonly #lookupByHash = new Map<string, LookupStep[]>();
  readonly #known = new Map<string, Known>();

  /** Queues what the next payKeysend calls do; unscripted calls settle. */
  scriptPay(...steps: PayStep[]): this {
    this.#paySteps.push(...steps);
    return this;
  }

  /** Queues what the next lookupPayment calls answer; unscripted calls tell the truth. */
  scriptLookup(...steps: LookupStep[]): this {
    this.#lookupSteps.push(...steps);
    return this;
  }

  /** Queues answers for lookups of one hash (hex); these win over scriptLookup's queue. */
  scriptLookupFor(paymentHash: string, ...steps: LookupStep[]): this {
    this.#lookupByHash.set(paymentHash, [...(this.#lookupByHash.get(paymentHash) ?? []), ...steps]);
    return this;
  }

  /** What the node knows of a hash (hex), as a lookup telling the truth would report it. */
  known(paymentHash: string): PaymentLookup {
    const known = this.#known.get(paymentHash);
    if (!known) return { status: 'not_found' };
    if (known.status === 'in_flight') return { status: 'in_flight' };
    if (known.status === 'failed') return { ...known };
    return { ...known.settled };
  }

  /** LND fails a payment whose caller is gone (a restart failed its HTLC, a hop gave up). */
  failInFlight(paymentHash: string, code: PermanentFailureCode, message = 'payment failed'): void {
    const known = this.#known.get(paymentHash);
    if (known?.status !== 'in_flight') throw new Error(`fake: ${paymentHash} is not in flight`);
    this.#known.set(paymentHash, { status: 'failed', code, message });
  }

  /** LND finishes a payment whose caller is gone (the worker died while it was in flight). */
  settleInFlight(paymentHash: string): void {
    const known = this.#known.get(paymentHash);
    if (known?.status !== 'in_flight') throw new Error(`fake: ${paymentHash} is not in flight`);
    const call = this.payCalls.find((payment) => hex(payment.paymentHash) === paymentHash);
    if (!call) throw new Error(`fake: no payKeysend call for ${paymentHash}`);
    this.#settle(paymentHash, call, {});
  }

  async payKeysend(
    payment: KeysendPayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    this.payCalls.push({
      ...payment,
      paymentHash: Uint8Array.from(payment.paymentHash),
      preimage: Uint8Array.from(payment.preimage),
      records: payment.records.map((record) => ({
        ...record,
        value: Uint8Array.from(record.value),
      })),
    });
    await this.payDelay();
    const hash = hex(payment.paymentHash);
    const prior = this.#known.get(hash);
    if (this.duplicateGuard && prior && prior.status !== 'failed') {
      throw new AmbiguousPaymentError(
        prior.status === 'in_flight'
          ? `payment ${hash} is in transition`
          : `invoice ${hash} is already paid`,
      );
    }
    const step = this.#paySteps.shift() ?? { kind: 'settle' };
    switch (step.kind) {
      case 'transient':
        throw new TransientPaymentError(step.message ?? 'connection refused: LND is unreachable');
      case 'permanent': {
        const message = step.message ?? `no route to ${payment.destination}`;
        this.#known.set(hash, { status: 'failed', code: step.code, message });
        throw new PermanentPaymentError(step.code, message);
      }
      case 'ambiguous': {
        const leaves = step.leaves ?? 'nothing';
        if (leaves === 'in_flight') {
          this.#known.set(hash, { status: 'in_flight', preimage: payment.preimage });
        }
        if (leaves === 'succeeded') this.#settle(hash, payment, {});
        throw new AmbiguousPaymentError(step.message ?? 'stream dropped: payment outcome unknown');
      }
      case 'settle': {
        this.#known.set(hash, { status: 'in_flight', preimage: payment.preimage });
        hooks?.onInFlight?.();
        await this.onInFlight?.(payment);
        await this.inFlightDelay();
        return this.#settle(hash, payment, step);
      }
    }
  }

  async lookupPayment(paymentHash: Uint8Array): Promise<PaymentLookup> {
    const hash = hex(paymentHash);
    this.lookupCalls.push(hash);
    await this.lookupDelay();
    const step = this.#lookupByHash.get(hash)?.shift() ??
      this.#lookupSteps.shift() ?? { status: 'truth' };
    switch (step.status) {
      case 'truth':
        return this.known(hash);
      case 'throw':
        throw step.error;
      case 'in_flight':
      case 'not_found':
        return { status: step.status };
      case 'failed':
        return { status: 'failed', code: step.code, message: step.message ?? 'payment failed' };
      case 'succeeded': {
        // "The preimage it saw": the one sent with this hash, unless the test supplies one
        // (a payment LND made although this fake never saw the call, e.g. before a crash).
        const seen = [...this.payCalls].reverse().find((call) => hex(call.paymentHash) === hash);
        const preimage = step.preimage ?? seen?.preimage;
        if (!preimage) {
          throw new Error(`fake lookup scripted 'succeeded' for ${hash} but saw no preimage`);
        }
        return {
          status: 'succeeded',
          preimage: Uint8Array.from(preimage),
          feeMsat: step.feeMsat ?? DEFAULT_FEE_MSAT,
          hops: step.hops ?? [HOP, G],
          settledAt: step.settledAt ?? DEFAULT_SETTLED_AT,
        };
      }
    }
  }

  async getPubkey() {
    return HOP;
  }

  /** What `paymentState` answers: a healthy node unless a test says otherwise ('down': no answer). */
  nodeState: NodePaymentState | 'down' = {
    channels: [
      { active: true, localBalanceMsat: 16_000_000_000n, offlineMs: 0 },
      { active: true, localBalanceMsat: 1_000_000_000n, offlineMs: 0 },
    ],
    syncedToGraph: true,
  };

  async paymentState(): Promise<NodePaymentState> {
    if (this.nodeState === 'down') throw new TransientPaymentError('LND did not answer');
    return this.nodeState;
  }

  // Invoices (LNURL-pay): issued by a FakeAddressResolver, paid like keysend on their hash.

  /** Invoices this node can decode and pay, by their text. */
  readonly invoices = new Map<string, FakeInvoice>();
  /** Every payInvoice call (the invoice text), in order. */
  readonly invoiceCalls: string[] = [];

  async decodeInvoice(invoice: string): Promise<DecodedInvoice> {
    const known = this.invoices.get(invoice);
    if (!known) throw new PermanentPaymentError('INVALID_PAYMENT', 'LND cannot read the invoice');
    return {
      paymentHash: hex(known.paymentHash),
      ...(known.amountMsat === undefined ? {} : { amountMsat: known.amountMsat }),
      payee: known.payee,
      ...(known.descriptionHash ? { descriptionHash: known.descriptionHash } : {}),
      expiresAt: known.expiresAt,
    };
  }

  async payInvoice(
    payment: InvoicePayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    this.invoiceCalls.push(payment.invoice);
    const known = this.invoices.get(payment.invoice);
    if (!known) throw new PermanentPaymentError('INVALID_PAYMENT', 'unknown invoice');
    // The payee settles with the preimage only it knows: the same control tower as keysend.
    return this.payKeysend(
      {
        destination: known.payee,
        amountMsat: known.amountMsat ?? 0n,
        paymentHash: known.paymentHash,
        preimage: known.preimage,
        records: [],
        maxFeeMsat: payment.maxFeeMsat,
        maxTimeoutBlocks: payment.maxTimeoutBlocks,
        pathfindingTimeoutMs: payment.pathfindingTimeoutMs,
        waitMs: payment.waitMs,
      },
      hooks,
    );
  }

  // AMP: every send is its own payment (a random set id in LND), found only by its address.

  /** Every payAmp call, in order. */
  readonly ampCalls: AmpPayment[] = [];
  /** Every lookupAmpPayment call (address hex), in order. */
  readonly ampLookupCalls: string[] = [];
  /** Every assessRoute call. */
  readonly assessCalls: Array<{ destination: string; amountMsat: bigint }> = [];
  /** What assessRoute answers. */
  assessment: RouteAssessment = { singlePath: true, advertisesAmp: false };
  /** The AMP payments LND holds, per address (hex), oldest first. */
  readonly #amp = new Map<string, Known[]>();

  async assessRoute(query: { destination: string; amountMsat: bigint; maxFeeMsat: bigint }) {
    this.assessCalls.push({ destination: query.destination, amountMsat: query.amountMsat });
    return { ...this.assessment };
  }

  /** The AMP payments LND holds for an address (hex): settled ones are money moved. */
  ampPayments(address: string): PaymentLookup[] {
    return (this.#amp.get(address) ?? []).map((known) =>
      known.status === 'succeeded'
        ? { ...known.settled }
        : known.status === 'in_flight'
          ? { status: 'in_flight' }
          : { ...known },
    );
  }

  /** LND finishes an AMP payment whose caller is gone. */
  settleAmpInFlight(address: string): void {
    const list = this.#amp.get(address) ?? [];
    const index = list.findIndex((known) => known.status === 'in_flight');
    const call = this.ampCalls.find((payment) => hex(payment.paymentAddr) === address);
    if (index < 0 || !call) throw new Error(`fake: no AMP payment in flight for ${address}`);
    list[index] = { status: 'succeeded', settled: this.#ampSettled(call, index, {}) };
  }

  async payAmp(payment: AmpPayment, hooks?: { onInFlight?: () => void }) {
    this.ampCalls.push({ ...payment, paymentAddr: Uint8Array.from(payment.paymentAddr) });
    await this.payDelay();
    const address = hex(payment.paymentAddr);
    const list = this.#amp.get(address) ?? [];
    this.#amp.set(address, list);
    const index = list.length;
    const step = this.#paySteps.shift() ?? { kind: 'settle' };
    switch (step.kind) {
      case 'transient':
        throw new TransientPaymentError(step.message ?? 'connection refused: LND is unreachable');
      case 'permanent': {
        const message = step.message ?? `no route to ${payment.destination}`;
        list.push({ status: 'failed', code: step.code, message });
        throw new PermanentPaymentError(step.code, message);
      }
      case 'ambiguous': {
        const leaves = step.leaves ?? 'nothing';
        if (leaves === 'in_flight')
          list.push({ status: 'in_flight', preimage: new Uint8Array(32) });
        if (leaves === 'succeeded') {
          list.push({ status: 'succeeded', settled: this.#ampSettled(payment, index, {}) });
        }
        throw new AmbiguousPaymentError(step.message ?? 'stream dropped: payment outcome unknown');
      }
      case 'settle': {
        list.push({ status: 'in_flight', preimage: new Uint8Array(32) });
        hooks?.onInFlight?.();
        await this.inFlightDelay();
        const settled = this.#ampSettled(payment, index, step);
        list[index] = { status: 'succeeded', settled };
        return { ...settled };
      }
    }
  }

  async lookupAmpPayment(lookup: AmpLookup): Promise<PaymentLookup> {
    const address = hex(lookup.paymentAddr);
    this.ampLookupCalls.push(address);
    await this.lookupDelay();
    const step = this.#lookupSteps.shift() ?? { status: 'truth' };
    if (step.status === 'throw') throw step.error;
    if (step.status === 'in_flight' || step.status === 'not_found') return { status: step.status };
    if (step.status === 'failed') {
      return { status: 'failed', code: step.code, message: step.message ?? 'payment failed' };
    }
    const payments = this.ampPayments(address);
    const settled = payments.find((payment) => payment.status === 'succeeded');
    if (settled) return settled;
    if (payments.some((payment) => payment.status === 'in_flight')) return { status: 'in_flight' };
    return (
      payments.filter((payment) => payment.status === 'failed').at(-1) ?? { status: 'not_found' }
    );
  }

  /** A settled AMP payment: shard preimages LND derived from its random root share. */
  #ampSettled(
    payment: AmpPayment,
    index: number,
    step: { feeMsat?: bigint; hops?: string[]; settledAt?: string },
  ): SettledPayment {
    const preimage = createHash('sha256')
      .update(Buffer.concat([Buffer.from(payment.paymentAddr), Buffer.from([index])]))
      .digest();
    const settled: SettledPayment = {
      status: 'succeeded',
      preimage: new Uint8Array(preimage),
      paymentHash: new Uint8Array(createHash('sha256').update(preimage).digest()),
      feeMsat: step.feeMsat ?? DEFAULT_FEE_MSAT,
      hops: step.hops ?? [HOP, payment.destination],
      settledAt: step.settledAt ?? DEFAULT_SETTLED_AT,
      amp: { setId: createHash('sha256').update(preimage).update('set').digest('hex'), shards: 2 },
    };
    this.settlements.push({ paymentHash: hex(payment.paymentAddr), settled });
    return settled;
  }

  #settle(
    hash: string,
    payment: KeysendPayment,
    step: { feeMsat?: bigint; hops?: string[]; settledAt?: string },
  ): SettledPayment {
    const settled: SettledPayment = {
      status: 'succeeded',
      preimage: Uint8Array.from(payment.preimage),
      feeMsat: step.feeMsat ?? DEFAULT_FEE_MSAT,
      hops: step.hops ?? [HOP, payment.destination],
      settledAt: step.settledAt ?? DEFAULT_SETTLED_AT,
    };
    this.#known.set(hash, { status: 'succeeded', settled });
    this.settlements.push({ paymentHash: hash, settled });
    return { ...settled, preimage: Uint8Array.from(settled.preimage) };
  }
}

// ---------------------------------------------------------------------------------------------
// Deps

export const PREIMAGE_KEY_V1 = new Uint8Array(32).fill(0x42);
export const PREIMAGE_KEY_V2 = new Uint8Array(32).fill(0x43);
const RECEIPT_PRIVATE_KEY = new Uint8Array(32).fill(0x11);
/** The receipt key's x-only public key, computed by noble: not by the signer under test. */
export const RECEIPT_PUBLIC_KEY = hex(schnorr.getPublicKey(RECEIPT_PRIVATE_KEY));
const RECEIPT_SIGNER = createReceiptSigner(RECEIPT_PRIVATE_KEY);
const START = new Date('2026-01-02T03:00:00.000Z');

/** The preimage (hex) as DESIGN.md specifies it, computed without the code under test. */
export const specPreimage = (tipId: string, key = PREIMAGE_KEY_V1) =>
  createHmac('sha256', key).update(`tipstream:v1:${tipId}`).digest('hex');
/** The payment hash (hex) of `specPreimage`. */
export const specHash = (tipId: string, key = PREIMAGE_KEY_V1) =>
  createHash('sha256')
    .update(Buffer.from(specPreimage(tipId, key), 'hex'))
    .digest('hex');

export const POLICY: PayerPolicy = {
  maxTipMsat: 10_000_000_000n,
  allowMsat: false,
  feePpm: 5000,
  minFeeSats: 10,
  maxTimeoutBlocks: 1008,
  pathfindingTimeoutMs: 30_000,
  customRecordsBudgetBytes: 600,
  concurrency: 4,
  deadlineMarginMs: 5000,
  stuckAfterMs: 120_000,
  leaseGraceMs: 30_000,
  nodeRecoveryMs: 600_000,
};

/**
 * When SQS brings a message back: after its visibility timeout, 6× the function timeout (60 s in
 * these tests), so past the lease of any attempt the first delivery recorded.
 */
export const REDELIVERY_MS = 6 * 60_000;

/** A settable clock: `now()` returns the same instant until the test moves it. */
export class FakeClock {
  #ms: number;
  constructor(start: Date = START) {
    this.#ms = start.getTime();
  }
  now = () => new Date(this.#ms);
  advance(ms: number) {
    this.#ms += ms;
  }
}

export interface PayerHarness {
  deps: PayerDeps;
  ledger: FakeTipLedger;
  lightning: FakeLightningNode;
  clock: FakeClock;
  /** Every checkpoint passed, in order. */
  checkpoints: Array<{ step: PayerStep; tipId: string }>;
  logs: Array<{ message: string; fields: Record<string, unknown> }>;
}

/**
 * Payer deps over fresh fakes: fixed clock, preimage key version 1 (0x42…), receipt key 0x11…,
 * the default policy and 60 s left. `keys` may add versions; other fields may be overridden.
 */
export const makePayer = (
  options: {
    ledger?: FakeTipLedger;
    lightning?: FakeLightningNode;
    clock?: FakeClock;
    keyVersion?: number;
    preimageKeys?: Record<number, Uint8Array>;
    deps?: Partial<PayerDeps>;
  } = {},
): PayerHarness => {
  const ledger = options.ledger ?? new FakeTipLedger();
  const lightning = options.lightning ?? new FakeLightningNode();
  const clock = options.clock ?? new FakeClock();
  const preimageKeys = options.preimageKeys ?? { 1: PREIMAGE_KEY_V1 };
  const keys: PayerKeys = {
    currentPreimageKeyVersion: options.keyVersion ?? 1,
    preimageKey: (version) => {
      const key = preimageKeys[version];
      if (!key) throw new Error(`no preimage key version ${version}`);
      return key;
    },
    receiptSigner: RECEIPT_SIGNER,
  };
  const checkpoints: PayerHarness['checkpoints'] = [];
  const logs: PayerHarness['logs'] = [];
  const deps: PayerDeps = {
    ledger,
    lightning,
    keys,
    policy: POLICY,
    now: clock.now,
    remainingMs: () => 60_000,
    checkpoint: (step, tipId) => checkpoints.push({ step, tipId }),
    log: (message, fields) => logs.push({ message, fields }),
    ...options.deps,
  };
  return { deps, ledger, lightning, clock, checkpoints, logs };
};

// ---------------------------------------------------------------------------------------------
// Messages

export interface TipBody {
  version?: unknown;
  tipId?: unknown;
  platformId?: unknown;
  recipientPubkey?: unknown;
  amountMsat?: unknown;
  [field: string]: unknown;
}

/** A valid version-1 tip request body (21 sats to G), with `overrides` applied. */
export const tipBody = (overrides: TipBody = {}): TipBody => ({
  version: 1,
  tipId: 'tip-1',
  platformId: 'stream.example',
  recipientPubkey: G,
  amountMsat: 21_000,
  ...overrides,
});

let messageCounter = 0;

/** A queue message carrying `body` (JSON-encoded unless already a string). */
export const tipMessage = (body: TipBody | string = tipBody(), messageId?: string) => ({
  messageId: messageId ?? `msg-${++messageCounter}`,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

// ---------------------------------------------------------------------------------------------
// Scenarios

/** Thrown by a checkpoint to stand for the worker dying at that step. */
class CrashError extends Error {
  override name = 'CrashError';
}

/**
 * Runs the real payer on `message` until it reaches `step`, and kills it there: what the ledger
 * and the node hold afterwards is what a crashed worker leaves behind.
 */
export const crashAt = async (
  harness: PayerHarness,
  step: PayerStep,
  message: { messageId: string; body: string },
) => {
  const deps: PayerDeps = {
    ...harness.deps,
    checkpoint: (at, tipId) => {
      if (at === step) throw new CrashError(`worker died at ${at} of ${tipId}`);
    },
  };
  const error = await payTipMessage(message, deps).then(
    (outcome) => new Error(`expected a crash at ${step}, got ${outcome.kind}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof CrashError)) throw error;
};

/**
 * A worker recorded the tip with the intent to pay (SENDING, attempt 1, its lease) and died before
 * calling LND.
 */
export const recordIntent = async (harness: PayerHarness, body: TipBody = tipBody()) => {
  await crashAt(harness, 'after-intent', tipMessage(body));
  return harness.ledger.peek(String(body.tipId)) as TipRecord;
};

/**
 * A tip left RECEIVED: the real payer recorded it with too little time left in its invocation to
 * record an intent, and left it for a redelivery (or the reconciler, if the message is lost).
 */
export const receivedTip = async (
  harness: PayerHarness,
  message: { messageId: string; body: string } = tipMessage(),
) => {
  const error = await payTipMessage(message, { ...harness.deps, remainingMs: () => 0 }).then(
    (outcome) => new Error(`expected the payer to leave the tip RECEIVED, got ${outcome.kind}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof TransientPaymentError)) throw error;
};

// ---------------------------------------------------------------------------------------------
// Intake (API requests, batches, budgets) and the tips queue

/** Thrown by FakeIntakeStore's row writes to stand for a request dying part-way. */
export class RowWriteFault extends Error {
  override name = 'RowWriteFault';
}

/**
 * In-memory IntakeStore with the DynamoDB adapter's conditions: a request or batch is recorded
 * once, budget counters never pass their limit, batch rows are put only where absent.
 */
class FakeIntakeStore implements IntakeStore {
  readonly #requests = new Map<string, AcceptedRequest & { released: boolean }>();
  readonly #batches = new Map<string, BatchProgressRecord>();
  readonly #budgets = new Map<string, bigint>();
  /** Lease key → the shared budget it leases from. */
  readonly #leaseOf = new Map<string, string>();
  /** Row puts that wrote a row (a put that found its row already there is not counted). */
  rowPuts = 0;
  /** Set: row writes throw `RowWriteFault` once this many rows were written by this call. */
  failRowWritesAfter: number | undefined;

  async accept(request: AcceptedRequest, budgets: BudgetReservation[]): Promise<AcceptResult> {
    const existing = this.#requests.get(request.tipId);
    if (existing) return { status: 'duplicate', existing: copy(existing) };
    const over = this.#reserve(request.amountMsat + request.feeLimitMsat, budgets);
    if (over) return over;
    this.#requests.set(request.tipId, { ...copy(request), released: false });
    return { status: 'accepted' };
  }

  async getRequest(tipId: string) {
    const request = this.#requests.get(tipId);
    return request && copy(request);
  }

  async acceptBatch(batch: AcceptedBatch, budgets: BudgetReservation[]) {
    const existing = this.#batches.get(batch.batchId);
    if (existing) return { status: 'duplicate' as const, existing: copy(existing) };
    const over = this.#reserve(batch.totalMsat + batch.feeLimitMsat, budgets);
    if (over) return over;
    this.#batches.set(batch.batchId, {
      ...copy(batch),
      succeededCount: 0,
      failedCount: 0,
      succeededMsat: 0n,
      failedMsat: 0n,
      feeMsat: 0n,
      rowsWritten: false,
    });
    return { status: 'accepted' as const };
  }

  async recordBatchRows(batchId: string, rows: AcceptedRequest[]) {
    let written = 0;
    for (const row of rows) {
      if (this.failRowWritesAfter !== undefined && written >= this.failRowWritesAfter) {
        throw new RowWriteFault(`row writes of ${batchId} died after ${written} rows`);
      }
      if (this.#requests.has(row.tipId)) continue;
      this.#requests.set(row.tipId, { ...copy(row), released: false });
      this.rowPuts += 1;
      written += 1;
    }
    const batch = this.#batches.get(batchId);
    if (batch) batch.rowsWritten = true;
  }

  async getBatch(batchId: string) {
    const batch = this.#batches.get(batchId);
    return batch && copy(batch);
  }

  async listBatchRequests(batchId: string) {
    return [...this.#requests.values()]
      .filter((request) => request.batchId === batchId)
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
      .map(({ released: _released, ...request }) => copy(request));
  }

  /** Test view: the payer released a row's budget (its tip FAILED). */
  release(tipId: string): void {
    const request = this.#requests.get(tipId);
    if (!request || request.released) throw new Error(`fake: ${tipId} is not held`);
    request.released = true;
    for (const key of request.budgetKeys)
      this.#add(key, -(request.amountMsat + request.feeLimitMsat));
  }

  /** Test view: a request with its released flag. */
  peekRequest(tipId: string) {
    const request = this.#requests.get(tipId);
    return request && copy(request);
  }

  async getBudgetUsed(key: string) {
    return this.#budgets.get(key) ?? 0n;
  }

  /** Test view: msat reserved on a budget counter. */
  reserved(key: string): bigint {
    return this.#budgets.get(key) ?? 0n;
  }

  /**
   * Reserves on every counter; a lease is checked against its shared budget as a whole (the fake
   * grants leases exactly what they need: the adapter's chunks are its own business).
   */
  #reserve(amountMsat: bigint, budgets: BudgetReservation[]) {
    for (const reservation of budgets) {
      const usedMsat = this.#budgets.get(reservation.leasedFrom ?? reservation.key) ?? 0n;
      if (usedMsat + amountMsat > reservation.limitMsat) {
        return { status: 'over-budget' as const, reservation, usedMsat };
      }
    }
    for (const reservation of budgets) {
      if (reservation.leasedFrom) this.#leaseOf.set(reservation.key, reservation.leasedFrom);
      this.#add(reservation.key, amountMsat);
    }
    return undefined;
  }

  /** Adds to a counter and, for a lease, to the shared budget it leases from. */
  #add(key: string, amountMsat: bigint) {
    this.#budgets.set(key, (this.#budgets.get(key) ?? 0n) + amountMsat);
    const shared = this.#leaseOf.get(key);
    if (shared) this.#budgets.set(shared, (this.#budgets.get(shared) ?? 0n) + amountMsat);
  }
}

type BatchProgressRecord = Awaited<ReturnType<IntakeStore['getBatch']>> & object;

/** A TipQueue that keeps every message sent, in order: bodies in `sent`, whole in `queued`. */
class FakeTipQueue implements TipQueue {
  readonly sent: string[] = [];
  readonly queued: QueuedTip[] = [];
  async send(messages: QueuedTip[]) {
    this.queued.push(...messages);
    this.sent.push(...messages.map((message) => message.body));
  }
}

/** A PayoutHistory over a list of entries, newest first; a cursor is the next entry's offset. */
export class FakePayoutHistory implements PayoutHistory {
  constructor(readonly entries: Array<PayoutHistoryEntry & { recipient: string }> = []) {}

  async list(platformId: string, recipient: string, page: { limit: number; cursor?: string }) {
    const mine = this.entries.filter(
      (entry) => entry.platformId === platformId && entry.recipient === recipient,
    );
    const start = page.cursor === undefined ? 0 : Number(page.cursor.replace(/^at/, ''));
    if (page.cursor !== undefined && !/^at[0-9]+$/.test(page.cursor)) {
      throw new InvalidCursorError('cursor was not made for this platform and recipient');
    }
    const payouts = mine
      .slice(start, start + page.limit)
      .map(({ recipient: _recipient, ...entry }) => entry);
    const more = start + page.limit < mine.length;
    return { payouts, ...(more ? { cursor: `at${start + page.limit}` } : {}) };
  }

  async totals(platformId: string, recipient: string) {
    const mine = this.entries.filter(
      (entry) => entry.platformId === platformId && entry.recipient === recipient,
    );
    return {
      paidMsat: String(mine.reduce((sum, entry) => sum + BigInt(entry.amountMsat), 0n)),
      feeMsat: String(mine.reduce((sum, entry) => sum + BigInt(entry.feeMsat ?? 0), 0n)),
      tipCount: mine.length,
      lastPaidAt: mine[0]?.settledAt,
    };
  }
}

/** A PlatformActivity over fixed tips and batches (newest first); a cursor is an offset. */
export class FakePlatformActivity implements PlatformActivity {
  constructor(
    readonly tips: PlatformTipEntry[] = [],
    readonly batches: BatchSummary[] = [],
  ) {}

  async listTips(_platformId: string, page: { limit: number; cursor?: string }) {
    if (page.cursor !== undefined && !/^at[0-9]+$/.test(page.cursor)) {
      throw new InvalidCursorError('cursor was not made for this platform');
    }
    const start = page.cursor === undefined ? 0 : Number(page.cursor.slice(2));
    const more = start + page.limit < this.tips.length;
    return {
      tips: this.tips.slice(start, start + page.limit),
      ...(more ? { cursor: `at${start + page.limit}` } : {}),
    };
  }

  private summaryTips() {
    return this.tips.map((tip) => ({
      ...tip,
      amountMsat: BigInt(tip.amountMsat),
      feeMsat: tip.feeMsat === undefined ? undefined : BigInt(tip.feeMsat),
    }));
  }

  async hourlyActivity(_platformId: string, hours: readonly string[]) {
    const counters = hourlyActivityOf(this.summaryTips());
    return counters.filter((counter) => hours.includes(counter.hour));
  }

  async recentTips(_platformId: string, from: Date, limit: number) {
    const tips = this.summaryTips().filter((tip) => tip.createdAt >= from.toISOString());
    return { tips: tips.slice(0, limit), more: tips.length > limit };
  }

  async batchesSince(_platformId: string, from: Date) {
    return this.batches.filter((batch) => batch.acceptedAt >= from.toISOString());
  }
}

/** A platform for the API's use cases. */
export const API_PLATFORM: PlatformRecord = {
  platformId: 'stream.example',
  name: 'Stream',
  secrets: [],
  dailyLimitSats: 1_000_000,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** The intake's ports in memory, with the default intake policy (whole sats). */
export const makeIntake = (policy: Partial<IntakeDeps['policy']> = {}) => {
  const intake = new FakeIntakeStore();
  const queue = new FakeTipQueue();
  const ledger = new FakeTipLedger();
  const clock = new FakeClock();
  const deps: IntakeDeps = {
    intake,
    queue,
    ledger,
    policy: {
      maxTipMsat: 10_000_000n,
      allowMsat: false,
      customRecordsBudgetBytes: 600,
      feePpm: 5_000,
      minFeeSats: 10,
      globalHourlyLimitMsat: 1_000_000_000n,
      ...policy,
    },
    now: clock.now,
  };
  return { intake, queue, ledger, clock, deps };
};
