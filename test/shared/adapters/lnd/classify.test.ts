import { describe, expect, it } from 'vitest';
import { classifyStreamError, permanentFailure } from '../../../../shared/adapters/lnd/lnd-node.js';
import { AmbiguousPaymentError, PermanentPaymentError } from '../../../../shared/ports/errors.js';

const destination = `03${'ab'.repeat(32)}`;

describe('permanentFailure: LND terminal failure reasons in words an operator can act on', () => {
  it.each([
    {
      description: 'keysend refused by the recipient',
      failed: { is_invalid_payment: true },
      code: 'REJECTED_BY_DESTINATION',
      message:
        /recipient 03abababab… rejected the payment: it does not accept keysend \(feature bit 55 not advertised\)/,
    },
    {
      description: 'not enough outbound liquidity',
      failed: { is_insufficient_balance: true },
      code: 'INSUFFICIENT_BALANCE',
      message: /too little outbound liquidity/,
    },
    {
      description: 'pathfinding timed out',
      failed: { is_pathfinding_timeout: true },
      code: 'PATHFINDING_TIMEOUT',
      message: /no route to 03abababab… was found before the pathfinding timeout/,
    },
    {
      description: 'no route can carry the amount',
      failed: { is_route_not_found: true },
      code: 'NO_ROUTE',
      message: /no route to 03abababab… can carry this amount within the fee and timeout limits/,
    },
    {
      description: 'an internal LND failure',
      failed: {},
      code: 'LND_ERROR',
      message: /LND failed the payment to 03abababab… for an internal reason/,
    },
  ])('$description → $code', ({ failed, code, message }) => {
    const error = permanentFailure(failed, destination);
    expect(error).toBeInstanceOf(PermanentPaymentError);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.cause).toBe(failed);
  });
});

describe('classifyStreamError: a payment stream error is ambiguous unless nothing was sent', () => {
  it.each([
    {
      description: "LND's guard: in flight",
      error: [503, 'UnexpectedPaymentError', { err: { details: 'payment is in transition' } }],
      kind: AmbiguousPaymentError,
      message: /duplicate guard answered: UnexpectedPaymentError: payment is in transition/,
    },
    {
      description: "LND's guard: already paid",
      error: [503, 'UnexpectedPaymentError', { err: { details: 'invoice is already paid' } }],
      kind: AmbiguousPaymentError,
      message: /duplicate guard answered/,
    },
    {
      description: 'a dropped connection',
      error: [503, 'UnexpectedPaymentError', { err: { details: 'Connection dropped' } }],
      kind: AmbiguousPaymentError,
      message: /payment stream failed: UnexpectedPaymentError: Connection dropped/,
    },
    {
      description: 'a thrown Error',
      error: new Error('socket hang up'),
      kind: AmbiguousPaymentError,
      message: /payment stream failed: socket hang up/,
    },
    {
      description: "the library's own argument check (nothing sent)",
      error: [400, 'ExpectedArrayOfOutgoingChannelIdsToSubscribeToPay'],
      kind: PermanentPaymentError,
      message: /payment refused: ExpectedArrayOfOutgoingChannelIdsToSubscribeToPay/,
    },
  ])('$description', ({ error, kind, message }) => {
    const classified = classifyStreamError(error);
    expect(classified).toBeInstanceOf(kind);
    expect(classified.message).toMatch(message);
    expect(classified.cause).toBe(error);
  });
});
