/**
 * An owner's own send that LND takes only after the adapter has said "ambiguous" (lnd-node.ts:
 * the wait runs out, the subscription goes on, LND registers the request later). Found by a
 * hostile review: pay() used to look the hash up at once and take an older attempt's "failed" as
 * the word on its own attempt, recording FAILED for a hash that then settled.
 */
import { describe, expect, it } from 'vitest';
import { payTipMessage } from '../../../shared/app/pay-tip.js';
import { AmbiguousPaymentError, TransientPaymentError } from '../../../shared/ports/errors.js';
import type { KeysendPayment, SettledPayment } from '../../../shared/ports/lightning-node.js';
import {
  crashAt,
  FakeLightningNode,
  makePayer,
  REDELIVERY_MS,
  specHash,
  tipMessage,
} from './fakes.js';

/** Its next `late` sends answer "ambiguous" at once and reach LND only when `arrive()` is called. */
class LateSendNode extends FakeLightningNode {
  late = 0;
  readonly #arrive: Array<() => void> = [];
  readonly background: Array<Promise<unknown>> = [];
  arrive() {
    for (const go of this.#arrive.splice(0)) go();
  }
  override async payKeysend(
    payment: KeysendPayment,
    hooks?: { onInFlight?: () => void },
  ): Promise<SettledPayment> {
    if (this.late === 0) return super.payKeysend(payment, hooks);
    this.late -= 1;
    const gate = new Promise<void>((resolve) => this.#arrive.push(resolve));
    this.background.push(gate.then(() => super.payKeysend(payment)).catch((error) => error));
    throw new AmbiguousPaymentError(
      `no outcome from LND within ${payment.waitMs} ms: the payment may still be in flight`,
    );
  }
}

/** Attempts 1…n each died with the payment in flight, and LND then failed each (NO_ROUTE). */
const interrupted = async (attempts: number) => {
  const lightning = new LateSendNode();
  lightning.duplicateGuard = true;
  const h = makePayer({ lightning });
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    await crashAt(h, 'lnd-in-flight', tipMessage());
    lightning.failInFlight(specHash('tip-1'), 'NO_ROUTE');
    h.clock.advance(REDELIVERY_MS);
  }
  return { h, lightning };
};

describe('an ambiguous send still on its way to LND', () => {
  it.each([
    { attempts: 2, description: 'the last attempt' },
    { attempts: 1, description: 'an attempt below MAX_SENDS' },
  ])(
    '$description is not decided by an earlier failure: it settles and is recorded SUCCEEDED',
    async ({ attempts }) => {
      const { h, lightning } = await interrupted(attempts);
      // The redelivery records the next attempt and sends; the adapter gives up first, and the
      // lookup hears the previous attempt's NO_ROUTE.
      lightning.late = 1;
      const first = await payTipMessage(tipMessage(), h.deps).catch((error: unknown) => error);
      expect(first).toBeInstanceOf(TransientPaymentError);
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SENDING', attempt: attempts + 1 });
      // No further attempt was started: nothing else was sent (the late one is not in yet).
      expect(lightning.payCalls).toHaveLength(attempts);

      // The request reaches LND (a failed hash may be sent again) and settles.
      lightning.late = 0;
      lightning.arrive();
      await Promise.all(lightning.background);
      expect(lightning.settlements).toHaveLength(1);

      // After the lease, the next delivery hears the settlement and records it.
      h.clock.advance(REDELIVERY_MS);
      expect((await payTipMessage(tipMessage(), h.deps)).kind).toBe('paid');
      expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: attempts + 1 });
      expect(h.ledger.failedWrites).toBe(0);
      expect(lightning.settlements).toHaveLength(1);
    },
  );
});

describe('attempts whose send never reached LND', () => {
  it('do not count towards MAX_SENDS: an interrupted tip is really sent again before it fails', async () => {
    const h = makePayer();
    h.lightning.duplicateGuard = true;
    // Attempt 1 was in flight when LND restarted; the restart failed it (NO_ROUTE).
    await crashAt(h, 'lnd-in-flight', tipMessage());
    h.lightning.failInFlight(specHash('tip-1'), 'NO_ROUTE');
    // LND is back without an active channel for two deliveries: nothing sent, lease given up.
    h.lightning.scriptPay({ kind: 'transient' }, { kind: 'transient' });
    for (const _delivery of [1, 2]) {
      h.clock.advance(REDELIVERY_MS);
      await expect(payTipMessage(tipMessage(), h.deps)).rejects.toBeInstanceOf(
        TransientPaymentError,
      );
    }
    expect(h.ledger.peek('tip-1')).toMatchObject({ attempt: 3, unsentAttempts: 2 });
    // Channels are up: the next delivery pays.
    h.clock.advance(REDELIVERY_MS);
    expect((await payTipMessage(tipMessage(), h.deps)).kind).toBe('paid');
    expect(h.ledger.peek('tip-1')).toMatchObject({ state: 'SUCCEEDED', attempt: 4 });
    expect(h.lightning.settlements).toHaveLength(1);
  });
});
