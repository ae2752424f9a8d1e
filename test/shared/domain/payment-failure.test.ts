import { describe, expect, it } from 'vitest';
import {
  type FailureFacts,
  judgePaymentFailure,
  MAX_SENDS,
  type NodePaymentState,
} from '../../../shared/domain/payment-failure.js';

const WHOLE: NodePaymentState = { openChannels: 2, activeChannels: 2, syncedToGraph: true };
/** alice right after a restart: frank's channel re-established, bob's not yet. */
const HALF_UP: NodePaymentState = { openChannels: 2, activeChannels: 1, syncedToGraph: true };
const NO_LINK: NodePaymentState = { openChannels: 2, activeChannels: 0, syncedToGraph: true };
const NO_GRAPH: NodePaymentState = { openChannels: 2, activeChannels: 2, syncedToGraph: false };

const facts = (over: Partial<FailureFacts>): FailureFacts => ({
  code: 'INSUFFICIENT_BALANCE',
  sends: 1,
  followed: true,
  node: WHOLE,
  ageMs: 1_000,
  recoveryWindowMs: 600_000,
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
      description: 'no link can forward (LND: no eligible bandwidth → insufficient balance)',
      args: facts({ node: NO_LINK }),
      decision: 'wait',
    },
    {
      description: "some channels not re-established yet: NO_ROUTE may be the node's",
      args: facts({ code: 'NO_ROUTE', node: HALF_UP }),
      decision: 'wait',
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
      description: 'past the recovery window a missing channel no longer holds the tip',
      args: facts({ node: HALF_UP, ageMs: 600_000 }),
      decision: 'final',
    },
    {
      description: 'an interrupted send failed on a whole node: sent again',
      args: facts({ followed: false }),
      decision: 'send-again',
    },
    {
      description: 'an interrupted send, node still half up: wait rather than spend a send',
      args: facts({ followed: false, node: HALF_UP, sends: MAX_SENDS }),
      decision: 'wait',
    },
    {
      description: 'an interrupted send with every send spent: final',
      args: facts({ followed: false, sends: MAX_SENDS }),
      decision: 'final',
    },
    {
      description: 'an interrupted send past the window, sends remaining: sent again',
      args: facts({ followed: false, node: HALF_UP, ageMs: 700_000, sends: 2 }),
      decision: 'send-again',
    },
  ])('$description → $decision', ({ args, decision }) => {
    expect(judgePaymentFailure(args).kind).toBe(decision);
  });

  it('says why it waits, in words an operator can act on', () => {
    expect(judgePaymentFailure(facts({ code: 'NO_ROUTE', node: HALF_UP }))).toEqual({
      kind: 'wait',
      reason:
        "LND failed it (NO_ROUTE) while 1 of the operator node's 2 channels cannot forward yet (peer reconnecting or node starting)",
    });
  });
});
