/**
 * The operator's LND as the payer meets it through the LightningNode port, with the rules of its
 * control tower: one payment per hash in flight or succeeded ("in transition", "already paid"
 * answered as the adapter classifies them: ambiguous), a failed hash may be sent again. The world
 * decides when a send reaches LND (within the lease grace of the call, even if the caller died),
 * when an HTLC settles at the recipient or fails, when the caller's wait runs out (the send may
 * then land later), when a stream drops, when getPayment hangs (the adapter's timeout: transient)
 * or answers stale, and when LND restarts (streams drop; in-flight HTLCs fail or resume).
 */
import type { NodePaymentState } from '../../shared/domain/payment-failure.js';
import {
  AmbiguousPaymentError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../../shared/ports/errors.js';
import type {
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
  feeMsat: bigint;
  settledAt: string;
}

type Payment =
  | { status: 'in_flight'; payment: KeysendPayment }
  | { status: 'succeeded'; settled: SettledPayment }
  | { status: 'failed'; code: PermanentFailureCode; message: string };

interface Call {
  hash: string;
  open: boolean;
  answer: (result: SettledPayment | Error) => void;
}

export class LndModel implements LightningNode {
  readonly payments = new Map<string, Payment>();
  /** HTLCs settled at each recipient, by hash: money that moved. */
  readonly settlements = new Map<string, number>();
  /** Sends LND took, by hash. */
  readonly sends = new Map<string, number>();
  readonly #calls = new Set<Call>();
  down = false;
  /** While faults are on: refused sends, hanging lookups. */
  faults = true;

  constructor(
    readonly sched: Scheduler,
    readonly recipients: Map<string, Recipient>,
    readonly alias: (hash: string) => string,
    /** The lease of the attempt the ledger records for a hash (ms), if any. */
    readonly leaseOf: (hash: string) => number | undefined,
    readonly options: { leaseGraceMs: number; rpcTimeoutMs: number },
  ) {}

  async getPubkey() {
    return HOP;
  }

  /** The modelled node's channels are always up; while it is down it does not answer. */
  async paymentState(): Promise<NodePaymentState> {
    if (this.down) throw new TransientPaymentError('LND is down');
    return { openChannels: 1, activeChannels: 1, syncedToGraph: true };
  }

  // The simulator's tips are keysend tips: AMP (issue 15) is not modelled yet, and a run that
  // reached it would be a simulator bug, so these say so instead of answering.
  async payAmp(): Promise<SettledPayment> {
    throw new Error('LndModel: AMP is not modelled (the simulator sends keysend tips only)');
  }

  async lookupAmpPayment(): Promise<PaymentLookup> {
    throw new Error('LndModel: AMP is not modelled (the simulator sends keysend tips only)');
  }

  async payInvoice(): Promise<SettledPayment> {
    throw new Error('LndModel: invoices are not modelled (the simulator sends keysend tips only)');
  }

  async decodeInvoice(): Promise<never> {
    throw new Error('LndModel: invoices are not modelled (the simulator sends keysend tips only)');
  }

  async assessRoute() {
    return { singlePath: true, advertisesAmp: false };
  }

  inFlight(): string[] {
    return [...this.payments].filter(([, p]) => p.status === 'in_flight').map(([hash]) => hash);
  }

  openStreams(): number {
    return this.#calls.size;
  }

  payKeysend(
    payment: KeysendPayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    const { sched } = this;
    const hash = hex(payment.paymentHash);
    const actor = sched.actor();
    const tip = this.alias(hash);
    return new Promise<SettledPayment>((resolve, reject) => {
      const call: Call = {
        hash,
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
        Math.max(sched.now, this.leaseOf(hash) ?? 0) + this.options.leaseGraceMs,
      );
      sched.add({
        label: `send of ${tip} by ${actor?.name} reaches LND`,
        run: () => {
          release();
          this.#take(call, payment, hooks);
        },
      });
      const wait = sched.add({
        label: `${actor?.name}'s wait for ${tip} runs out`,
        actor,
        notBefore: sched.now + payment.waitMs,
        run: () =>
          call.answer(
            new AmbiguousPaymentError(
              `no outcome from LND within ${payment.waitMs} ms: the payment may still be in flight`,
            ),
          ),
      });
    });
  }

  #take(call: Call, payment: KeysendPayment, hooks?: { onInFlight?: () => void }) {
    const tip = this.alias(call.hash);
    const existing = this.payments.get(call.hash);
    if (this.down || (this.faults && this.sched.rng.chance(0.04))) {
      this.sched.log(
        `LND refuses the send of ${tip} (${this.down ? 'restarting' : 'no active channel'})`,
      );
      call.answer(
        new TransientPaymentError('operator LND cannot pay now: it has no active channel'),
      );
      return;
    }
    if (existing?.status === 'in_flight' || existing?.status === 'succeeded') {
      this.sched.log(`LND's control tower refuses a second send of ${tip} (${existing.status})`);
      call.answer(
        new AmbiguousPaymentError(
          `LND's duplicate guard answered: ${existing.status === 'in_flight' ? 'payment is in transition' : 'invoice is already paid'}`,
        ),
      );
      return;
    }
    this.payments.set(call.hash, { status: 'in_flight', payment });
    this.sends.set(call.hash, (this.sends.get(call.hash) ?? 0) + 1);
    this.sched.log(
      `LND takes the send of ${tip}${existing ? ` (again, after ${existing.code})` : ''}: in flight${call.open ? '' : ' (its caller stopped waiting)'}`,
    );
    if (call.open) hooks?.onInFlight?.();
  }

  /** The HTLC of an in-flight payment settles at the recipient or fails. */
  resolve(hash: string, fail?: PermanentFailureCode) {
    const known = this.payments.get(hash);
    if (known?.status !== 'in_flight') throw new Error('lnd model: not in flight');
    const recipient = this.recipients.get(known.payment.destination);
    const code = fail ?? (recipient?.acceptsKeysend ? undefined : 'REJECTED_BY_DESTINATION');
    const tip = this.alias(hash);
    if (code) {
      const message =
        code === 'REJECTED_BY_DESTINATION'
          ? 'recipient does not accept keysend'
          : `payment failed (${code})`;
      this.payments.set(hash, { status: 'failed', code, message });
      this.sched.log(`LND: the payment of ${tip} FAILED (${code})`);
      this.#tell(hash, new PermanentPaymentError(code, message));
      return;
    }
    const settled: SettledPayment = {
      status: 'succeeded',
      preimage: Uint8Array.from(known.payment.preimage),
      feeMsat: recipient?.feeMsat ?? 0n,
      hops: [HOP, known.payment.destination],
      settledAt: recipient?.settledAt ?? '2026-01-02T03:04:05.000Z',
    };
    this.payments.set(hash, { status: 'succeeded', settled });
    this.settlements.set(hash, (this.settlements.get(hash) ?? 0) + 1);
    this.sched.log(`LND: the payment of ${tip} SETTLED at the recipient`);
    this.#tell(hash, settled);
  }

  #tell(hash: string, result: SettledPayment | Error) {
    for (const call of [...this.#calls]) {
      if (call.hash === hash)
        call.answer(
          result instanceof Error
            ? result
            : { ...result, preimage: Uint8Array.from(result.preimage) },
        );
    }
  }

  /** A payment stream drops: its caller hears an error, the payment goes on. */
  dropStream() {
    const call = this.sched.rng.pick([...this.#calls]);
    this.sched.log(`LND: the payment stream of ${this.alias(call.hash)} drops`);
    call.answer(
      new AmbiguousPaymentError('payment stream failed: 14 UNAVAILABLE: Connection dropped'),
    );
  }

  /** LND restarts: every stream drops; each in-flight HTLC fails or is resumed. */
  restart(downForMs: number) {
    this.down = true;
    this.sched.log(`LND restarts (down ${downForMs} ms)`);
    for (const call of [...this.#calls])
      call.answer(
        new AmbiguousPaymentError('payment stream failed: 14 UNAVAILABLE: LND is restarting'),
      );
    for (const hash of this.inFlight()) {
      if (this.sched.rng.chance(0.5))
        this.resolve(hash, this.sched.rng.pick(['NO_ROUTE', 'LND_ERROR'] as const));
      else this.sched.log(`LND will resume the HTLC of ${this.alias(hash)}`);
    }
    this.sched.add({
      label: 'LND is back up',
      notBefore: this.sched.now + downForMs,
      run: () => {
        this.down = false;
      },
    });
  }

  /** What LND knows of a hash now. */
  known(hash: string): PaymentLookup {
    const known = this.payments.get(hash);
    if (!known) return { status: 'not_found' };
    if (known.status === 'in_flight') return { status: 'in_flight' };
    if (known.status === 'failed') return { ...known };
    return { ...known.settled, preimage: Uint8Array.from(known.settled.preimage) };
  }

  lookupPayment(paymentHash: Uint8Array): Promise<PaymentLookup> {
    const { sched } = this;
    const hash = hex(paymentHash);
    const actor = sched.actor();
    const tip = this.alias(hash);
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
          const answer = this.known(hash);
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
