/**
 * Whether LND's failure of a payment is the tip's answer, or the operator node's own passing state.
 *
 * LND (v0.21, `routing/pathfind.go` findPath, `routing/bandwidth.go` getBandwidth): pathfinding
 * from our own node counts only the bandwidth of links "eligible to forward"; a channel whose peer
 * has not re-established it yet (the node is starting, stopping, or the peer reconnecting) counts
 * 0. With no eligible link the payment fails at once with FAILURE_REASON_INSUFFICIENT_BALANCE, with
 * only some it may fail with NO_ROUTE (the live ones do not lead to the recipient). Such a failure
 * says nothing about the tip: the same payment succeeds once the channels are back. GetInfo counts
 * a channel active by the same test (`htlcswitch` HasActiveLink = EligibleToForward), so the node's
 * own channel list tells whether its state can explain the failure.
 */

/** Failures that the node's own state (links down, graph not loaded) or an interruption can cause. */
const NODE_STATE_FAILURES = new Set([
  'NO_ROUTE',
  'PATHFINDING_TIMEOUT',
  'INSUFFICIENT_BALANCE',
  'LND_ERROR',
]);

/** Whether the node's state can explain a failure with this code (only then is it worth asking). */
export const nodeStateMayExplain = (code: string): boolean => NODE_STATE_FAILURES.has(code);

/** Sends of one tip's hash (attempts that reached LND) before a failure is taken as final. */
export const MAX_SENDS = 3;

/** What the operator node says of itself, asked right after a failure. */
export interface NodePaymentState {
  /** Open channels, and how many of them can forward now (their peer re-established them). */
  openChannels: number;
  activeChannels: number;
  /** LND has loaded the network graph (`synced_to_graph`): routes beyond its own channels. */
  syncedToGraph: boolean;
}

export interface FailureFacts {
  /** LND's failure reason (a `PermanentFailureCode`). */
  code: string;
  /** Sends of the hash so far, this one included. */
  sends: number;
  /**
   * Whether this worker followed the send to its failure (true), or found the failure later by
   * a lookup, the send having been cut off (a crash, a lost stream, the node restarting).
   */
  followed: boolean;
  /** The node's state now; undefined when it did not answer (down, restarting). */
  node: NodePaymentState | undefined;
  /** Since the tip was created, and how long the node's state may hold a tip back. */
  ageMs: number;
  recoveryWindowMs: number;
}

export type FailureDecision =
  /** LND's failure is the tip's: record it FAILED. */
  | { kind: 'final' }
  /** The node's state explains it: send nothing now, decide again later (a redelivery). */
  | { kind: 'wait'; reason: string }
  /** An interrupted send failed on a healthy node: send the same hash again now. */
  | { kind: 'send-again' };

/** Why the node cannot be trusted to judge a route now, or undefined when it can. */
const nodeExplanation = (node: NodePaymentState | undefined): string | undefined => {
  if (!node) return 'the operator node did not answer (stopping or starting)';
  if (node.activeChannels < node.openChannels) {
    return `${node.openChannels - node.activeChannels} of the operator node's ${node.openChannels} channels cannot forward yet (peer reconnecting or node starting)`;
  }
  if (!node.syncedToGraph) return 'the operator node has not loaded the network graph yet';
  return undefined;
};

/** Decides what a failed send of a tip's hash means (see the module comment for LND's rules). */
export const judgePaymentFailure = (facts: FailureFacts): FailureDecision => {
  if (!nodeStateMayExplain(facts.code)) return { kind: 'final' };
  const explanation = nodeExplanation(facts.node);
  // Bounded: a channel whose peer never comes back must not hold tips forever.
  if (explanation && facts.ageMs < facts.recoveryWindowMs) {
    return { kind: 'wait', reason: `LND failed it (${facts.code}) while ${explanation}` };
  }
  if (!facts.followed && facts.sends < MAX_SENDS) return { kind: 'send-again' };
  return { kind: 'final' };
};
