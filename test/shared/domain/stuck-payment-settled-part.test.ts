import { describe, expect, it } from 'vitest';
import {
  judgeStuckPayment,
  type LndAttemptView,
  type LndPaymentView,
} from '../../../shared/domain/stuck-payment.js';

// Hostile review (attack2): judgeStuckPayment looks only at IN_FLIGHT attempts and ignores a
// SUCCEEDED one. An AMP/MPP tip (SendPaymentV2 max_parts 16) whose shard A settled (preimage
// known, recipient paid) while shard B sits on a half-open circuit keeps LND's payment status
// IN_FLIGHT; once the chain passes shard B's time lock the verdict is NO_HTLC_EXPIRED and
// checkStuckTip marks the tip FAILED (STUCK_EXPIRED, budget released) although the money went out.
const CHANNEL = '103x1x0';
const attempt = (overrides: Partial<LndAttemptView>): LndAttemptView => ({
  attemptId: '7',
  status: 'IN_FLIGHT',
  timeoutHeight: 1_500,
  firstHopChannel: CHANNEL,
  ...overrides,
});
const view = (overrides: Partial<LndPaymentView>): LndPaymentView => ({
  status: 'IN_FLIGHT',
  attempts: [],
  htlcs: [],
  openChannels: [CHANNEL, '104x1x0'],
  height: 2_000,
  checkedAt: '2026-11-30T06:00:00.000Z',
  ...overrides,
});

describe('judgeStuckPayment: a settled shard means the payment was made', () => {
  const rows: Array<{ description: string; view: LndPaymentView }> = [
    {
      description: 'AMP: shard 7 SUCCEEDED, shard 8 in flight with no HTLC, past its timeout',
      view: view({
        attempts: [
          attempt({ attemptId: '7', status: 'SUCCEEDED' }),
          attempt({ attemptId: '8', status: 'IN_FLIGHT', firstHopChannel: '104x1x0' }),
        ],
      }),
    },
    {
      description: 'same, shards on the same first hop',
      view: view({
        attempts: [
          attempt({ attemptId: '7', status: 'SUCCEEDED' }),
          attempt({ attemptId: '8', status: 'IN_FLIGHT' }),
        ],
      }),
    },
  ];
  it.each(rows)('$description: never NO_HTLC_EXPIRED (never recorded FAILED)', ({ view }) => {
    expect(judgeStuckPayment(view).code).not.toBe('NO_HTLC_EXPIRED');
  });
});
