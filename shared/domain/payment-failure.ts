/**
 * Whether LND's failure of a payment is the tip's answer, or the operator node's own passing state.
 *
 * LND (v0.21, `routing/bandwidth.go` getBandwidth, `routing/pathfind.go` findPath and
 * getOutgoingBalance): pathfinding from our own node counts only the bandwidth of links "eligible
 * to forward"; a channel whose peer has not re-established it yet (the node is starting, or the
 * peer reconnecting) counts 0. If the eligible links' total is below the amount the payment fails
 * at once with FAILURE_REASON_INSUFFICIENT_BALANCE; if none alone carries it, or the live ones do
 * not lead to the recipient, with NO_ROUTE. GetInfo and ListChannels call a channel active by the
 * same test (`htlcswitch` HasActiveLink = EligibleToForward), so the node's channel list tells
 * whether its state can explain the failure:
 * - no channel can forward at all, or the node has not loaded the graph: nothing can be routed,
 *   the failure is the node's;
 * - an inactive channel whose local balance could carry the amount was the missing first hop of
 *   some route (pathfinding never saw it), so the failure may be the node's, but only while that
 *   channel is likely to come back: down for less than the recovery window since the node started
 *   (ListChannels' `lifetime - uptime`, `chanfitness`: monitored since the node started, so a
 *   restart gives every channel a short downtime, a peer offline for hours a long one);
 * - a channel too small for the amount, or down for longer than the window, cannot explain it: a
 *   peer offline for hours is normal and must not hold every genuine NO_ROUTE.
 * Which channel a route would have used is not knowable from here (the graph beyond our own
 * channels decides), so a big enough recently-down channel explains any of these failures, even
 * when an active channel could carry the amount towards somewhere else.
 */

/**
 * LND has no payment for the attempt: it never took the send, or (AMP) the send failed before any
 * shard left, which is where the node's own state fails it (LND's AMP payment carries its address
 * only in its shards, so such a failure cannot be found by the address).
 */
export const NOT_FOUND = 'NOT_FOUND';

/** Failures that the node's own state (links down, graph not loaded) or an interruption can cause. */
const NODE_STATE_FAILURES = new Set([
  'NO_ROUTE',
  'PATHFINDING_TIMEOUT',
  'INSUFFICIENT_BALANCE',
  'LND_ERROR',
  NOT_FOUND,
]);

/** Whether the node's state can explain a failure with this code (only then is it worth asking). */
export const nodeStateMayExplain = (code: string): boolean => NODE_STATE_FAILURES.has(code);

/**
 * Sends of one tip's hash before a failure is taken as final: attempts that reached LND and that
 * the node's own state did not hold (a held attempt's failure was the node's, not the route's).
 */
export const MAX_SENDS = 3;

/** One of the operator node's open channels, as LND lists it. */
export interface NodeChannel {
  /** The link can forward now (its peer re-established it). */
  active: boolean;
  /** What we could send through it (local balance), msat. */
  localBalanceMsat: bigint;
  /** How long it was down since the node started (LND: lifetime − uptime), ms. */
  offlineMs: number;
}

/** What the operator node says of itself, asked right after a failure. */
export interface NodePaymentState {
  channels: NodeChannel[];
  /** LND has loaded the network graph (`synced_to_graph`): routes beyond its own channels. */
  syncedToGraph: boolean;
}

export interface FailureFacts {
  /** LND's failure reason (a `PermanentFailureCode`), or `NOT_FOUND`. */
  code: string;
  /** The tip's amount: which down channels could have carried it. */
  amountMsat: bigint;
  /** Sends of the hash so far, this one included (attempts never sent or held not counted). */
  sends: number;
  /**
   * Whether this worker followed the send to its failure (true), or found the failure later by
   * a lookup, the send having been cut off (a crash, a lost stream, the node restarting).
   */
  followed: boolean;
  /** The node's state now; undefined when it did not answer (down, restarting). */
  node: NodePaymentState | undefined;
  /**
   * Since the tip was first held (recorded on the tip, never reset), or undefined if it never
   * was: each tip gets the whole window once, however long it waited before, and never more.
   */
  heldMs: number | undefined;
  /** How long the node's state may hold a tip back. */
  recoveryWindowMs: number;
}

export type FailureDecision =
  /** LND's failure is the tip's: record it FAILED. */
  | { kind: 'final' }
  /** The node's state explains it: send nothing now, decide again later. */
  | { kind: 'wait'; reason: string }
  /** An interrupted send failed (or never reached LND) on a healthy node: send the same hash again. */
  | { kind: 'send-again' };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Why the node cannot be trusted to judge a route for this amount now, or undefined when it can. */
const nodeExplanation = (
  node: NodePaymentState | undefined,
  amountMsat: bigint,
  recoveryWindowMs: number,
): string | undefined => {
  if (!node) return 'the operator node did not answer (stopping or starting)';
  if (!node.syncedToGraph) return 'the operator node has not loaded the network graph yet';
  const { channels } = node;
  if (channels.length > 0 && !channels.some((channel) => channel.active)) {
    return `none of the operator node's ${plural(channels.length, 'channel')} can forward yet (node starting or peers reconnecting)`;
  }
  const missing = channels.filter(
    (channel) =>
      !channel.active &&
      channel.localBalanceMsat >= amountMsat &&
      channel.offlineMs < recoveryWindowMs,
  );
  if (missing.length === 0) return undefined;
  return `${plural(missing.length, 'channel')} of the operator node that could carry ${amountMsat} msat cannot forward yet (down ${Math.round(Math.max(...missing.map((c) => c.offlineMs)) / 1000)} s since the node started)`;
};

/** Decides what a failed (or not found) send of a tip's hash means (LND's rules: module comment). */
export const judgePaymentFailure = (facts: FailureFacts): FailureDecision => {
  if (!nodeStateMayExplain(facts.code)) return { kind: 'final' };
  const explanation = nodeExplanation(facts.node, facts.amountMsat, facts.recoveryWindowMs);
  // Bounded: from the first hold, so a node that never recovers holds no tip forever.
  const windowOpen =
    facts.recoveryWindowMs > 0 &&
    (facts.heldMs === undefined || facts.heldMs < facts.recoveryWindowMs);
  if (explanation && windowOpen) {
    return { kind: 'wait', reason: `LND failed it (${facts.code}) while ${explanation}` };
  }
  // Nothing in LND to record: the only way on is a send (bounded by the hold above, and by MAX_SENDS
  // for failures LND recorded).
  if (facts.code === NOT_FOUND) return { kind: 'send-again' };
  if (!facts.followed && facts.sends < MAX_SENDS) return { kind: 'send-again' };
  return { kind: 'final' };
};

/**
 * When the reconciler re-judges a held tip at the latest, ms after the hold: a hold acknowledges
 * the tip's message (it must not spend the message's receives towards the dead-letter queue), so
 * the reconciler alone decides again. It lists a tip once it is SENDING for `stuckAfterMs` and
 * decides it once its attempt's lease (the invocation's timeout) and grace have passed, at its
 * next run; then every run. `leaseMs`: the longest lease of an attempt, whoever started it (the
 * reconciler leases an attempt it starts for its own remaining time).
 */
export const heldTipRejudgedWithinMs = (timing: {
  stuckAfterMs: number;
  leaseMs: number;
  leaseGraceMs: number;
  reconcileEveryMs: number;
}): number =>
  Math.max(timing.stuckAfterMs, timing.leaseMs + timing.leaseGraceMs) + timing.reconcileEveryMs;

/**
 * Why a recovery window is too short for the reconciler to see a held tip through it (judged at
 * least twice, so a node that recovers within the window has its tips paid), or undefined.
 */
export const recoveryWindowProblem = (
  recoveryWindowMs: number,
  timing: Parameters<typeof heldTipRejudgedWithinMs>[0],
): string | undefined => {
  const first = heldTipRejudgedWithinMs(timing);
  if (recoveryWindowMs === 0 || first + timing.reconcileEveryMs < recoveryWindowMs)
    return undefined;
  return `the node recovery window (${recoveryWindowMs / 1000} s) must exceed the reconciler's first look at a held tip (${first / 1000} s) plus one more run (${timing.reconcileEveryMs / 1000} s)`;
};
