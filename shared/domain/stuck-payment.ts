/**
 * Payments LND keeps IN_FLIGHT although nothing of them is in any channel.
 *
 * LND (v0.21, `routing/router.go` resumePayments, `htlcswitch/switch.go` GetAttemptResult,
 * `htlcswitch/circuit_map.go`): an attempt's circuit is persisted when the switch takes the HTLC,
 * before the link commits it to a channel. If lnd stops in between, on restart the circuit is
 * loaded back as half-open (`trimAllOpenCircuits` reverts uncommitted ones to that state), nothing
 * re-forwards a locally sent HTLC, and GetAttemptResult, finding the circuit, waits for a result
 * that never comes. `failStaleAttempt` fails such an attempt only when its first hop's channel is
 * closed; with the channel up, the payment stays IN_FLIGHT for good ("Resuming HTLC attempt …",
 * then nothing), and LND refuses to send the hash again ("payment is in transition").
 *
 * What LND can prove about such a payment, and so all Tipstream acts on:
 * - an HTLC with the hash on one of the node's open channels: money is locked and LND resolves it
 *   (settled, failed, or timed out at its expiry height); wait;
 * - no open channel carries the hash, every in-flight attempt's first hop is an open channel, and
 *   the chain is past every in-flight attempt's timeout height: no HTLC of this payment exists
 *   and none added now could be accepted, so it cannot settle: the tip may be recorded FAILED;
 * - anything else (no attempt at all, a first hop that is closing): flagged, never decided.
 */

/** One HTLC attempt as LND's payment database records it. */
export interface LndAttemptView {
  attemptId: string;
  status: 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED';
  startedAt?: string;
  /** The route's total time lock: no HTLC of this attempt can settle past this height. */
  timeoutHeight: number;
  /** The first hop's channel (standard format), whose HTLCs would carry the attempt. */
  firstHopChannel?: string;
}

/** An HTLC with the payment's hash on one of the node's open channels. */
interface LndHtlcView {
  channel: string;
  peer: string;
  isOutgoing: boolean;
  timeoutHeight: number;
  amountMsat: string;
}

/** LND's own view of one payment hash, as `tipstream stuck` shows it. */
export interface LndPaymentView {
  status: 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'INITIATED' | 'NOT_FOUND';
  attempts: LndAttemptView[];
  htlcs: LndHtlcView[];
  /** Channels the node has open now (a first hop not among them is closing or closed). */
  openChannels: string[];
  height: number;
  checkedAt: string;
}

export type StuckVerdict =
  /** LND has a final answer (or none at all): the payer's usual lookup decides the tip. */
  | { code: 'NOT_STUCK' }
  /** An HTLC is in a channel: LND resolves it, at the latest when the chain reaches `untilHeight`. */
  | { code: 'HTLC_PENDING'; untilHeight: number; reason: string }
  /** In flight, nothing in any channel: provably unpayable once the chain passes `provableAt`. */
  | { code: 'NO_HTLC'; provableAt: number; reason: string }
  /** In flight, nothing in any channel, every attempt's timeout passed: it cannot settle. */
  | { code: 'NO_HTLC_EXPIRED'; reason: string }
  /** In flight in a way LND's facts do not settle (no attempt, a first hop closing): the operator's. */
  | { code: 'UNDECIDABLE'; reason: string };

export type StuckVerdictCode = StuckVerdict['code'];

/** Judges an in-flight payment from LND's facts alone: what the operator may expect, and when. */
export const judgeStuckPayment = (view: LndPaymentView): StuckVerdict => {
  if (view.status !== 'IN_FLIGHT' && view.status !== 'INITIATED') return { code: 'NOT_STUCK' };
  const inFlight = view.attempts.filter((attempt) => attempt.status === 'IN_FLIGHT');
  // One part settled (an AMP or multi-part payment): the money moved, whatever the rest does.
  // Never a failure; the payer's own lookup adopts the settlement once LND finishes the payment.
  const settled = view.attempts.filter((attempt) => attempt.status === 'SUCCEEDED');
  if (settled.length > 0) {
    return {
      code: 'UNDECIDABLE',
      reason: `attempt ${settled.map((a) => a.attemptId).join(', ')} of this payment SUCCEEDED (the recipient was paid) while LND keeps other parts IN_FLIGHT: it must never be failed; LND finishes it, or the operator adopts the settled part`,
    };
  }
  if (view.htlcs.length > 0) {
    const untilHeight = Math.max(...view.htlcs.map((htlc) => htlc.timeoutHeight));
    return {
      code: 'HTLC_PENDING',
      untilHeight,
      reason: `an HTLC with this hash is in channel ${view.htlcs.map((htlc) => htlc.channel).join(', ')}: LND settles or fails it, by block ${untilHeight} at the latest (now ${view.height}); nothing to do`,
    };
  }
  if (inFlight.length === 0) {
    return {
      code: 'UNDECIDABLE',
      reason: `LND says ${view.status} with no attempt in flight (${view.attempts.length} attempts, all ended): LND's payment lifecycle still owns it; restarting lnd lets it fail or finish it`,
    };
  }
  const closedHop = inFlight.find(
    (attempt) =>
      attempt.firstHopChannel === undefined || !view.openChannels.includes(attempt.firstHopChannel),
  );
  if (closedHop) {
    return {
      code: 'UNDECIDABLE',
      reason: `attempt ${closedHop.attemptId}'s first hop ${closedHop.firstHopChannel ?? '(none)'} is not an open channel: an HTLC may sit in a closing channel, where LND's contract resolution decides it`,
    };
  }
  const provableAt = Math.max(...inFlight.map((attempt) => attempt.timeoutHeight));
  if (view.height > provableAt) {
    return {
      code: 'NO_HTLC_EXPIRED',
      reason: `LND kept the payment IN_FLIGHT with no HTLC in any channel (attempts ${inFlight.map((a) => a.attemptId).join(', ')}) and the chain (block ${view.height}) is past every attempt's timeout (${provableAt}): it cannot settle`,
    };
  }
  return {
    code: 'NO_HTLC',
    provableAt,
    reason: `LND keeps the payment IN_FLIGHT but no channel carries an HTLC for it (attempt ${inFlight.map((a) => `${a.attemptId} via ${a.firstHopChannel}`).join(', ')}); lnd will not resolve it itself (half-open circuit after a restart). It cannot settle once the chain passes block ${provableAt} (now ${view.height}, ${provableAt - view.height + 1} blocks to go); the tip is failed then, its budget released`,
  };
};
