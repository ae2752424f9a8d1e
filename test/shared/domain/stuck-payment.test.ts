import { describe, expect, it } from 'vitest';
import {
  judgeStuckPayment,
  type LndAttemptView,
  type LndPaymentView,
} from '../../../shared/domain/stuck-payment.js';

const CHANNEL = '103x1x0';
const attempt = (overrides: Partial<LndAttemptView> = {}): LndAttemptView => ({
  attemptId: '7',
  status: 'IN_FLIGHT',
  timeoutHeight: 1_500,
  firstHopChannel: CHANNEL,
  ...overrides,
});
const view = (overrides: Partial<LndPaymentView> = {}): LndPaymentView => ({
  status: 'IN_FLIGHT',
  attempts: [attempt()],
  htlcs: [],
  openChannels: [CHANNEL, '104x1x0'],
  height: 600,
  checkedAt: '2026-11-30T06:00:00.000Z',
  ...overrides,
});

describe('judgeStuckPayment: acts only on what LND can prove', () => {
  const rows: Array<{ description: string; view: LndPaymentView; code: string; match?: RegExp }> = [
    {
      description: 'settled in LND: the usual lookup records it',
      view: view({ status: 'SUCCEEDED' }),
      code: 'NOT_STUCK',
    },
    {
      description: 'failed in LND: the usual lookup decides',
      view: view({ status: 'FAILED' }),
      code: 'NOT_STUCK',
    },
    {
      description: 'unknown to LND: the usual lookup pays again',
      view: view({ status: 'NOT_FOUND', attempts: [] }),
      code: 'NOT_STUCK',
    },
    {
      description:
        'an HTLC with the hash in a channel: LND resolves it, by its timeout at the latest',
      view: view({
        htlcs: [
          {
            channel: CHANNEL,
            peer: '02ab',
            isOutgoing: true,
            timeoutHeight: 1_400,
            amountMsat: '1000',
          },
        ],
        height: 2_000,
      }),
      code: 'HTLC_PENDING',
      match: /by block 1400/,
    },
    {
      description: 'no HTLC anywhere, before the timeout: waits for the proof, says when',
      view: view(),
      code: 'NO_HTLC',
      match: /passes block 1500 \(now 600, 901 blocks to go\)/,
    },
    {
      description: 'no HTLC anywhere, at the timeout height exactly: not yet proven',
      view: view({ height: 1_500 }),
      code: 'NO_HTLC',
    },
    {
      description: "no HTLC anywhere, past every in-flight attempt's timeout: cannot settle",
      view: view({
        height: 1_501,
        attempts: [attempt(), attempt({ attemptId: '8', status: 'FAILED', timeoutHeight: 9_999 })],
      }),
      code: 'NO_HTLC_EXPIRED',
    },
    {
      description: "past one attempt's timeout but not another's: not proven",
      view: view({
        height: 1_501,
        attempts: [attempt(), attempt({ attemptId: '8', timeoutHeight: 1_600 })],
      }),
      code: 'NO_HTLC',
    },
    {
      description:
        "a first hop that is not an open channel (closing): LND's contract resolution decides",
      view: view({ height: 2_000, openChannels: ['104x1x0'] }),
      code: 'UNDECIDABLE',
      match: /not an open channel/,
    },
    {
      description: 'an attempt without a route: never decided',
      view: view({ height: 2_000, attempts: [attempt({ firstHopChannel: undefined })] }),
      code: 'UNDECIDABLE',
    },
    {
      description:
        "in flight with no attempt in flight (all ended, or none registered): LND's lifecycle owns it",
      view: view({ height: 2_000, attempts: [attempt({ status: 'FAILED' })] }),
      code: 'UNDECIDABLE',
      match: /no attempt in flight/,
    },
    {
      description: 'initiated, no attempt at all: never decided',
      view: view({ status: 'INITIATED', attempts: [], height: 2_000 }),
      code: 'UNDECIDABLE',
    },
  ];
  it.each(rows)('$description', ({ view: input, code, match }) => {
    const verdict = judgeStuckPayment(input);
    expect(verdict.code).toBe(code);
    if (match) expect('reason' in verdict ? verdict.reason : '').toMatch(match);
  });
});
