import { describe, expect, it } from 'vitest';
import {
  type FailureFacts,
  judgePaymentFailure,
  MAX_SENDS,
  NOT_FOUND,
  type NodeChannel,
  type NodePaymentState,
} from '../../../shared/domain/payment-failure.js';

const WINDOW = 600_000;
const AMOUNT = 1_000_000n;
const up = (localBalanceMsat: bigint): NodeChannel => ({
  active: true,
  localBalanceMsat,
  offlineMs: 0,
});
const down = (localBalanceMsat: bigint, offlineMs: number): NodeChannel => ({
  active: false,
  localBalanceMsat,
  offlineMs,
});
const node = (...channels: NodeChannel[]): NodePaymentState => ({ channels, syncedToGraph: true });

/** alice and her two channels: bob's 16M sat (routes to every creator), frank's private 1M. */
const WHOLE = node(up(16_000_000_000n), up(1_000_000_000n));
/** Right after a restart: frank's channel re-established, bob's not yet (down 20 s). */
const JUST_RESTARTED = node(down(16_000_000_000n, 20_000), up(1_000_000_000n));
/** bob offline for hours on a node up for days: a normal day, not the node's state. */
const PEER_GONE_FOR_HOURS = node(down(16_000_000_000n, 5 * 3_600_000), up(1_000_000_000n));
/** frank's channel down a moment, too small for the tip: it cannot be the missing first hop. */
const SMALL_CHANNEL_DOWN = node(up(16_000_000_000n), down(500_000n, 20_000));
const NO_LINK = node(down(16_000_000_000n, 3_600_000), down(1_000_000_000n, 3_600_000));
const NO_GRAPH: NodePaymentState = { ...WHOLE, syncedToGraph: false };

const facts = (over: Partial<FailureFacts>): FailureFacts => ({
  code: 'INSUFFICIENT_BALANCE',
  amountMsat: AMOUNT,
  sends: 1,
  followed: true,
  node: WHOLE,
  heldMs: undefined,
  recoveryWindowMs: WINDOW,
  ...over,
});

describe('judgePaymentFailure', () => {
  it.each([
    {
      description: 'our own send failed on a whole node: the route is the answer',
      args: facts({}),
      decision: 'final',
    },
    {
      description: 'no link can forward, however long (LND: no eligible bandwidth)',
      args: facts({ node: NO_LINK }),
      decision: 'wait',
    },
    {
      description:
        'a channel that could carry it came back down with the restart: NO_ROUTE is the node’s',
      args: facts({ code: 'NO_ROUTE', node: JUST_RESTARTED }),
      decision: 'wait',
    },
    {
      description: 'a peer offline for hours does not hold a genuine NO_ROUTE',
      args: facts({ code: 'NO_ROUTE', node: PEER_GONE_FOR_HOURS }),
      decision: 'final',
    },
    {
      description: 'a channel down a moment but too small for the amount does not hold it',
      args: facts({ code: 'NO_ROUTE', node: SMALL_CHANNEL_DOWN }),
      decision: 'final',
    },
    {
      description: 'the same small channel could carry a small tip: held',
      args: facts({ code: 'NO_ROUTE', node: SMALL_CHANNEL_DOWN, amountMsat: 400_000n }),
      decision: 'wait',
    },
    {
      description: 'down exactly the window: no longer recent',
      args: facts({ code: 'NO_ROUTE', node: node(down(AMOUNT, WINDOW), up(AMOUNT)) }),
      decision: 'final',
    },
    {
      description: 'the node does not answer (stopping or starting)',
      args: facts({ code: 'LND_ERROR', node: undefined }),
      decision: 'wait',
    },
    {
      description: 'the graph is not loaded yet',
      args: facts({ code: 'PATHFINDING_TIMEOUT', node: NO_GRAPH }),
      decision: 'wait',
    },
    {
      description: 'the recipient refused it: no node state explains that',
      args: facts({ code: 'REJECTED_BY_DESTINATION', node: NO_LINK }),
      decision: 'final',
    },
    {
      description: 'an invalid payment is never the node state',
      args: facts({ code: 'INVALID_PAYMENT', node: undefined, followed: false }),
      decision: 'final',
    },
    {
      description: 'held for less than the window: still held',
      args: facts({ node: JUST_RESTARTED, heldMs: WINDOW - 1 }),
      decision: 'wait',
    },
    {
      description: 'held for the whole window: the failure is taken as the tip’s',
      args: facts({ node: JUST_RESTARTED, heldMs: WINDOW }),
      decision: 'final',
    },
    {
      description:
        'a tip queued long ago gets the window from its first hold (its age plays no part)',
      args: facts({ node: NO_LINK, heldMs: undefined }),
      decision: 'wait',
    },
    {
      description: 'a hold clock behind the judge’s (skew): still bounded by the window',
      args: facts({ node: NO_LINK, heldMs: -5_000 }),
      decision: 'wait',
    },
    {
      description: 'a window of 0 turns holds off',
      args: facts({ node: NO_LINK, recoveryWindowMs: 0 }),
      decision: 'final',
    },
    {
      description: 'an interrupted send failed on a whole node: sent again',
      args: facts({ followed: false }),
      decision: 'send-again',
    },
    {
      description: 'an interrupted send, node just restarted: wait rather than spend a send',
      args: facts({ followed: false, node: JUST_RESTARTED, sends: MAX_SENDS }),
      decision: 'wait',
    },
    {
      description: 'an interrupted send with every send spent: final',
      args: facts({ followed: false, sends: MAX_SENDS }),
      decision: 'final',
    },
    {
      description: 'an interrupted send past the window, sends remaining: sent again',
      args: facts({ followed: false, node: NO_LINK, heldMs: 700_000, sends: 2 }),
      decision: 'send-again',
    },
    {
      description:
        'not found (AMP failed before any shard) while the node cannot forward: held, no send',
      args: facts({ code: NOT_FOUND, followed: false, node: NO_LINK }),
      decision: 'wait',
    },
    {
      description: 'not found on a whole node: sent again (nothing in LND to record)',
      args: facts({ code: NOT_FOUND, followed: false, sends: MAX_SENDS }),
      decision: 'send-again',
    },
    {
      description: 'not found past the window: sent again, whose own failure then decides',
      args: facts({ code: NOT_FOUND, followed: false, node: NO_LINK, heldMs: WINDOW }),
      decision: 'send-again',
    },
  ])('$description → $decision', ({ args, decision }) => {
    expect(judgePaymentFailure(args).kind).toBe(decision);
  });

  it('says why it waits, in words an operator can act on', () => {
    expect(judgePaymentFailure(facts({ code: 'NO_ROUTE', node: JUST_RESTARTED }))).toEqual({
      kind: 'wait',
      reason:
        'LND failed it (NO_ROUTE) while 1 channel of the operator node that could carry 1000000 msat cannot forward yet (down 20 s since the node started)',
    });
    expect(judgePaymentFailure(facts({ node: NO_LINK }))).toEqual({
      kind: 'wait',
      reason:
        "LND failed it (INSUFFICIENT_BALANCE) while none of the operator node's 2 channels can forward yet (node starting or peers reconnecting)",
    });
  });
});
