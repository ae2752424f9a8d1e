/**
 * The operator's LND as the payer meets it through the LightningNode port, with the rules of its
 * control tower: one payment per hash in flight or succeeded ("in transition", "already paid"
 * answered as the adapter classifies them: ambiguous), a failed hash may be sent again. The world
 * decides when a send reaches LND (within the lease grace of the call, even if the caller died),
 * when an HTLC settles at the recipient or fails, when the caller's wait runs out (the send may
 * then land later), when a stream drops, when getPayment hangs (the adapter's timeout: transient)
 * or answers stale, and when LND restarts (streams drop; in-flight HTLCs fail or resume). Back up
 * after a restart, the node may stay up but not forwarding for a while (its peers re-establish the
 * channels): pathfinding then sees no eligible link and LND fails each send at once with
 * INSUFFICIENT_BALANCE, before any HTLC, and `paymentState` says the channel is down.
 * AMP: no duplicate guard (every send is a new set with its own id, as in lnd), looked up by the
 * payment address its shards carry; one settled set per address is exactly once. Invoices (an
 * LNURL-pay server's, issued by erin's node here): guarded by their hash like keysend; the payee
 * cancels one that expired before its HTLC arrived.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { DecodedInvoice } from '../../shared/domain/lightning-address.js';
import type { NodePaymentState } from '../../shared/domain/payment-failure.js';
import {
  AmbiguousPaymentError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../../shared/ports/errors.js';
import type {
  AmpLookup,
  AmpPayment,
  InvoicePayment,
  KeysendPayment,
  LightningNode,
  PaymentLookup,
  SettledPayment,
} from '../../shared/ports/lightning-node.js';
import type { Scheduler } from './scheduler.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A routing hop of every settled payment. */
const HOP = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';

export interface Recipient {
  acceptsKeysend: boolean;
  /** The node takes AMP (`--accept-amp`). */
  acceptsAmp?: boolean;
  feeMsat: bigint;
  settledAt: string;
}

/** An invoice a recipient's node issued (through its LNURL-pay server), with its secret. */
interface Invoice {
  decoded: DecodedInvoice;
  preimage: Uint8Array;
}

/**
 * What LND holds for one payment. Keysend and invoices are keyed by hash (LND's control tower
 * keeps one payment per hash); AMP by `amp:<set id>`, a new one for every send (LND picks a random
 * set id, so nothing stops a second send of the same tip: only its payment address links them).
 */
type Sent = {
  destination: string;
  amountMsat: bigint;
  preimage: Uint8Array;
  /** AMP: the payment address every shard carries. */
  addr?: string;
  /** Invoice payments: when the payee's node cancels it. */
  expiresAt?: number;
};
type Payment =
  | { status: 'in_flight'; sent: Sent }
  | { status: 'succeeded'; settled: SettledPayment; sent: Sent }
  | { status: 'failed'; code: PermanentFailureCode; message: string; sent: Sent };

interface Call {
  /** The payment it waits for: a hash, or (AMP) `amp:<set id>` once LND took it. */
  key: string;
  open: boolean;
  answer: (result: SettledPayment | Error) => void;
}

/** How a send is known before LND takes it: the lease it belongs to and what LND will hold. */
interface SendRequest {
  /** The name the ledger knows the attempt by (hash, or AMP payment address). */
  leaseKey: string;
  /** The control-tower key for keysend and invoices; AMP gets a fresh one when taken. */
  hash?: string;
  sent: Sent;
  waitMs: number;
}

export class LndModel implements LightningNode {
  readonly payments = new Map<string, Payment>();
  /**
   * Money that moved, by what identifies it at the recipient: a hash (keysend, an invoice), or
   * `addr:<payment address>` for AMP (one settled HTLC set per address is exactly once).
   */
  readonly settlements = new Map<string, number>();
  /** Sends LND took, by hash or `addr:<payment address>`. */
  readonly sends = new Map<string, number>();
  /** Invoices the recipients' LNURL-pay servers issued, by BOLT11 text. */
  readonly invoices = new Map<string, Invoice>();
  readonly #calls = new Set<Call>();
  #sets = 0;
  down = false;
  /** When the node last came up, and until when (after a restart) its channel cannot forward. */
  startedAt = 0;
  notForwardingUntil = 0;
  /** The periods the node was up but not forwarding: [from, until). */
  readonly notForwarding: Array<[number, number]> = [];
  /** When LND last failed a send because the node was not forwarding, by hash or AMP address. */
  readonly notForwardingFailures = new Map<string, number>();
  /** While faults are on: refused sends, hanging lookups. */
  faults = true;

  constructor(
    readonly sched: Scheduler,
    readonly recipients: Map<string, Recipient>,
    readonly alias: (hash: string) => string,
    /** The lease of the attempt the ledger records for a hash or AMP address (ms), if any. */
    readonly leaseOf: (key: string) => number | undefined,
    readonly options: { leaseGraceMs: number; rpcTimeoutMs: number },
  ) {}

  async getPubkey() {
    return HOP;
  }

  /** Up, the node can forward once its channel is re-established; down, it does not answer. */
  async paymentState(): Promise<NodePaymentState> {
    if (this.down) throw new TransientPaymentError('LND is down');
    const active = !this.isNotForwarding();
    return {
      // One channel, big enough for every tip, down since the node started until re-established.
      channels: [
        {
          active,
          localBalanceMsat: 16_000_000_000n,
          offlineMs: active ? 0 : this.sched.now - this.startedAt,
        },
      ],
      syncedToGraph: true,
    };
  }

  isNotForwarding(): boolean {
    return !this.down && this.sched.now < this.notForwardingUntil;
  }

  /** A recipient's node issues an invoice (its LNURL-pay server asked it to). */
  issueInvoice(payee: string, amountMsat: bigint, descriptionHash: string, expiresAt: Date) {
    const n = this.invoices.size + 1;
    const preimage = sha256(utf8ToBytes(`sim-invoice-preimage:${n}`));
    const invoice = `lnbcrtsim${n}`;
    this.invoices.set(invoice, {
      preimage,
      decoded: {
        paymentHash: hex(sha256(preimage)),
        amountMsat,
        payee,
        descriptionHash,
        expiresAt,
      },
    });
    return invoice;
  }

  async decodeInvoice(invoice: string): Promise<DecodedInvoice> {
    const known = this.invoices.get(invoice);
    if (!known) throw new PermanentPaymentError('INVALID_PAYMENT', 'not a BOLT11 invoice');
    return { ...known.decoded };
  }

  async assessRoute(query: { destination: string }) {
    // One path never carries an AMP recipient's tips in this world: `auto` picks AMP for them.
    const amp = this.recipients.get(query.destination)?.acceptsAmp === true;
    return { singlePath: !amp, advertisesAmp: amp };
  }

  inFlight(): string[] {
    return [...this.payments].filter(([, p]) => p.status === 'in_flight').map(([key]) => key);
  }

  openStreams(): number {
    return this.#calls.size;
  }

  payKeysend(
    payment: KeysendPayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    const hash = hex(payment.paymentHash);
    return this.#send(
      {
        leaseKey: hash,
        hash,
        sent: {
          destination: payment.destination,
          amountMsat: payment.amountMsat,
          preimage: Uint8Array.from(payment.preimage),
        },
        waitMs: payment.waitMs,
      },
      hooks,
    );
  }

  payInvoice(payment: InvoicePayment, hooks?: { onInFlight?: () => void }) {
    const invoice = this.invoices.get(payment.invoice);
    if (!invoice) throw new Error('lnd model: an invoice no recipient issued');
    const { decoded } = invoice;
    return this.#send(
      {
        leaseKey: decoded.paymentHash,
        hash: decoded.paymentHash,
        sent: {
          destination: decoded.payee,
          amountMsat: decoded.amountMsat ?? 0n,
          preimage: invoice.preimage,
          expiresAt: decoded.expiresAt.getTime(),
        },
        waitMs: payment.waitMs,
      },
      hooks,
    );
  }

  payAmp(payment: AmpPayment, hooks?: { onInFlight?: () => void }) {
    const addr = hex(payment.paymentAddr);
    return this.#send(
      {
        leaseKey: addr,
        sent: {
          destination: payment.destination,
          amountMsat: payment.amountMsat,
          preimage: new Uint8Array(32),
          addr,
        },
        waitMs: payment.waitMs,
      },
      hooks,
    );
  }

  #send(request: SendRequest, hooks?: { onInFlight?: () => void }): Promise<SettledPayment> {
    const { sched } = this;
    const actor = sched.actor();
    const tip = this.alias(request.leaseKey);
    return new Promise<SettledPayment>((resolve, reject) => {
      const call: Call = {
        key: request.hash ?? `amp-unsent:${request.leaseKey}`,
        open: true,
        answer: (result) => {
          if (!call.open) return;
          call.open = false;
          this.#calls.delete(call);
          sched.steps.delete(wait);
          // The answer travels back: other things may happen first.
          sched.add({
            label: `${actor?.name} hears LND about its send of ${tip}: ${result instanceof Error ? `${result.name} ${result.message}` : 'settled'}`,
            actor,
            run: () => (result instanceof Error ? reject(result) : resolve(result)),
          });
        },
      };
      this.#calls.add(call);
      // The request reaches LND within the grace after its attempt's lease, whatever becomes of
      // the caller (the assumption the leases rest on), maybe long after the caller gave up.
      const release = sched.ceiling(
        Math.max(sched.now, this.leaseOf(request.leaseKey) ?? 0) + this.options.leaseGraceMs,
      );
      sched.add({
        label: `send of ${tip} by ${actor?.name} reaches LND`,
        run: () => {
          release();
          this.#take(call, request, hooks);
        },
      });
      const wait = sched.add({
        label: `${actor?.name}'s wait for ${tip} runs out`,
        actor,
        notBefore: sched.now + request.waitMs,
        run: () =>
          call.answer(
            new AmbiguousPaymentError(
              `no outcome from LND within ${request.waitMs} ms: the payment may still be in flight`,
            ),
          ),
      });
    });
  }

  #take(call: Call, request: SendRequest, hooks?: { onInFlight?: () => void }) {
    const tip = this.alias(request.leaseKey);
    if (this.down || (this.faults && this.sched.rng.chance(0.04))) {
      this.sched.log(
        `LND refuses the send of ${tip} (${this.down ? 'restarting' : 'no active channel'})`,
      );
      call.answer(
        new TransientPaymentError('operator LND cannot pay now: it has no active channel'),
      );
      return;
    }
    // AMP: a new payment (set) for every send; keysend and invoices: one per hash.
    const key = request.hash ?? `amp:${++this.#sets}`;
    const existing = this.payments.get(key);
    if (existing?.status === 'in_flight' || existing?.status === 'succeeded') {
      this.sched.log(`LND's control tower refuses a second send of ${tip} (${existing.status})`);
      call.answer(
        new AmbiguousPaymentError(
          `LND's duplicate guard answered: ${existing.status === 'in_flight' ? 'payment is in transition' : 'invoice is already paid'}`,
        ),
      );
      return;
    }
    if (this.isNotForwarding()) {
      // No eligible link: LND fails the payment at once, before any HTLC. A keysend or invoice
      // payment is recorded failed under its hash; an AMP payment carries its address only in its
      // shards, so no lookup by the address finds its failure ("not found").
      const message = 'insufficient local balance: no channel can forward yet';
      this.payments.set(key, {
        status: 'failed',
        code: 'INSUFFICIENT_BALANCE',
        message,
        sent: { ...request.sent, addr: undefined },
      });
      this.notForwardingFailures.set(request.leaseKey, this.sched.now);
      this.sched.log(`LND fails the send of ${tip} at once: up, but no channel forwards yet`);
      call.answer(new PermanentPaymentError('INSUFFICIENT_BALANCE', message));
      return;
    }
    call.key = key;
    this.payments.set(key, { status: 'in_flight', sent: request.sent });
    const sendKey = request.sent.addr ? `addr:${request.sent.addr}` : key;
    this.sends.set(sendKey, (this.sends.get(sendKey) ?? 0) + 1);
    this.sched.log(
      `LND takes the send of ${tip}${request.sent.addr ? ` (AMP set ${key})` : ''}${existing ? ` (again, after ${existing.code})` : ''}: in flight${call.open ? '' : ' (its caller stopped waiting)'}`,
    );
    if (call.open) hooks?.onInFlight?.();
  }

  /** The HTLC (set) of an in-flight payment settles at the recipient or fails. */
  resolve(key: string, fail?: PermanentFailureCode) {
    const known = this.payments.get(key);
    if (known?.status !== 'in_flight') throw new Error('lnd model: not in flight');
    const { sent } = known;
    const recipient = this.recipients.get(sent.destination);
    const invoice = sent.expiresAt !== undefined;
    const refusal: PermanentFailureCode | undefined = invoice
      ? // The payee's node cancels an invoice that expired before the HTLC arrived.
        this.sched.now >= (sent.expiresAt ?? 0)
        ? 'REJECTED_BY_DESTINATION'
        : undefined
      : (sent.addr ? recipient?.acceptsAmp : recipient?.acceptsKeysend)
        ? undefined
        : 'REJECTED_BY_DESTINATION';
    const code = fail ?? refusal;
    const tip = this.alias(sent.addr ?? key);
    if (code) {
      const message =
        code === 'REJECTED_BY_DESTINATION'
          ? invoice
            ? 'recipient does not know the invoice any more (expired)'
            : `recipient does not accept ${sent.addr ? 'AMP' : 'keysend'}`
          : `payment failed (${code})`;
      this.payments.set(key, { status: 'failed', code, message, sent });
      this.sched.log(`LND: the payment of ${tip} FAILED (${code})`);
      this.#tell(key, new PermanentPaymentError(code, message));
      return;
    }
    // An AMP set settles with shards of their own: the receipt proves one shard's hash.
    const preimage = sent.addr ? sha256(utf8ToBytes(`sim-amp-share:${key}`)) : sent.preimage;
    const settled: SettledPayment = {
      status: 'succeeded',
      preimage: Uint8Array.from(preimage),
      ...(sent.addr
        ? {
            paymentHash: sha256(preimage),
            amp: { setId: hex(sha256(utf8ToBytes(`sim-amp-set:${key}`))), shards: 2 },
          }
        : {}),
      feeMsat: recipient?.feeMsat ?? 0n,
      hops: [HOP, sent.destination],
      settledAt: recipient?.settledAt ?? '2026-01-02T03:04:05.000Z',
    };
    this.payments.set(key, { status: 'succeeded', settled, sent });
    const money = sent.addr ? `addr:${sent.addr}` : key;
    this.settlements.set(money, (this.settlements.get(money) ?? 0) + 1);
    this.sched.log(`LND: the payment of ${tip} SETTLED at the recipient`);
    this.#tell(key, settled);
  }

  #tell(key: string, result: SettledPayment | Error) {
    for (const call of [...this.#calls]) {
      if (call.key === key) call.answer(result instanceof Error ? result : copy(result));
    }
  }

  /** A payment stream drops: its caller hears an error, the payment goes on. */
  dropStream() {
    const call = this.sched.rng.pick([...this.#calls]);
    this.sched.log(`LND: the payment stream of ${this.alias(call.key)} drops`);
    call.answer(
      new AmbiguousPaymentError('payment stream failed: 14 UNAVAILABLE: Connection dropped'),
    );
  }

  /** LND restarts: every stream drops; each in-flight HTLC fails or is resumed. */
  restart(downForMs: number, notForwardingMs = 0) {
    // A restart ends the period of not forwarding it interrupts: down is not "up, not forwarding".
    const last = this.notForwarding.at(-1);
    if (last && last[1] > this.sched.now) last[1] = this.sched.now;
    this.notForwardingUntil = 0;
    this.down = true;
    this.sched.log(`LND restarts (down ${downForMs} ms)`);
    for (const call of [...this.#calls])
      call.answer(
        new AmbiguousPaymentError('payment stream failed: 14 UNAVAILABLE: LND is restarting'),
      );
    for (const key of this.inFlight()) {
      if (this.sched.rng.chance(0.5))
        this.resolve(key, this.sched.rng.pick(['NO_ROUTE', 'LND_ERROR'] as const));
      else this.sched.log(`LND will resume the HTLC of ${this.alias(key)}`);
    }
    this.sched.add({
      label: 'LND is back up',
      notBefore: this.sched.now + downForMs,
      run: () => {
        this.down = false;
        this.startedAt = this.sched.now;
        this.notForwardingUntil = this.sched.now + notForwardingMs;
        if (notForwardingMs > 0) {
          this.notForwarding.push([this.sched.now, this.notForwardingUntil]);
          this.sched.log(`LND is up; its channel forwards again in ${notForwardingMs} ms`);
        }
      },
    });
  }

  /** What LND knows of a hash now. */
  known(hash: string): PaymentLookup {
    const known = this.payments.get(hash);
    if (!known) return { status: 'not_found' };
    return view(known);
  }

  /** What LND's payments say of an AMP address now: settled, else in flight, else last failure. */
  knownAmp(addr: string): PaymentLookup {
    const sets = [...this.payments.values()].filter((payment) => payment.sent.addr === addr);
    const settled = sets.find((payment) => payment.status === 'succeeded');
    if (settled) return view(settled);
    if (sets.some((payment) => payment.status === 'in_flight')) return { status: 'in_flight' };
    const failed = sets.at(-1);
    return failed ? view(failed) : { status: 'not_found' };
  }

  lookupPayment(paymentHash: Uint8Array): Promise<PaymentLookup> {
    const hash = hex(paymentHash);
    return this.#lookup(hash, () => this.known(hash));
  }

  lookupAmpPayment(lookup: AmpLookup): Promise<PaymentLookup> {
    const addr = hex(lookup.paymentAddr);
    return this.#lookup(addr, () => this.knownAmp(addr));
  }

  #lookup(key: string, read: () => PaymentLookup): Promise<PaymentLookup> {
    const { sched } = this;
    const actor = sched.actor();
    const tip = this.alias(key);
    return new Promise<PaymentLookup>((resolve, reject) => {
      sched.add({
        label: `LND reads ${tip} for ${actor?.name}'s lookup`,
        actor,
        run: () => {
          if (this.down) {
            sched.add({
              label: `${actor?.name}'s lookup of ${tip} is refused`,
              actor,
              run: () =>
                reject(new TransientPaymentError('could not look up payment: LND is restarting')),
            });
            return;
          }
          if (this.faults && sched.rng.chance(0.05)) {
            sched.log(`getPayment of ${tip} hangs`);
            sched.add({
              label: `${actor?.name}'s lookup of ${tip} times out`,
              actor,
              notBefore: sched.now + this.options.rpcTimeoutMs,
              run: () =>
                reject(
                  new TransientPaymentError(
                    `LND did not answer getPayment within ${this.options.rpcTimeoutMs} ms`,
                  ),
                ),
            });
            return;
          }
          // What LND knows now; the answer may arrive after it changed (stale).
          const answer = read();
          sched.add({
            label: `${actor?.name} hears LND: ${tip} ${answer.status}`,
            actor,
            run: () => resolve(answer),
          });
        },
      });
    });
  }
}

const copy = (settled: SettledPayment): SettledPayment => ({
  ...settled,
  preimage: Uint8Array.from(settled.preimage),
  ...(settled.paymentHash ? { paymentHash: Uint8Array.from(settled.paymentHash) } : {}),
});

const view = (payment: Payment): PaymentLookup => {
  if (payment.status === 'in_flight') return { status: 'in_flight' };
  if (payment.status === 'failed') {
    return { status: 'failed', code: payment.code, message: payment.message };
  }
  return copy(payment.settled);
};
