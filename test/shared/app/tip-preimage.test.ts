import { getPublicKey } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { driveTip, payTipMessage } from '../../../shared/app/pay-tip.js';
import { receiptAuthentication } from '../../../shared/app/tip-preimage.js';
import type { TipId } from '../../../shared/domain/brands.js';
import { verifyIncomingTip } from '../../../shared/domain/incoming-tip.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  TIPSTREAM_RECORD_TYPE,
} from '../../../shared/domain/keysend-records.js';
import { signBoost } from '../../../shared/domain/nostr-boost.js';
import {
  deriveSharedSecretPreimage,
  lndSharedSecret,
  paymentHashOf,
} from '../../../shared/domain/preimage.js';
import { parseTipstreamRecord } from '../../../shared/domain/tipstream-record.js';
import { TransientPaymentError } from '../../../shared/ports/errors.js';
import type { NodeKeyAgreement } from '../../../shared/ports/node-keys.js';
import {
  crashAt,
  G,
  makePayer,
  type PayerHarness,
  PREIMAGE_KEY_V2,
  REDELIVERY_MS,
  specHash,
  tipBody,
  tipMessage,
} from './fakes.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const OPERATOR_KEY = new Uint8Array(32).fill(0x0a);
const OPERATOR = hex(getPublicKey(OPERATOR_KEY));
/** G's secret key is 1: the creator side of the fakes' recipient. */
const CREATOR_KEY = new Uint8Array(32);
CREATOR_KEY[31] = 1;

/** The operator node's ECDH, as LND computes it, counting the calls (each one is an RPC). */
class FakeKeyAgreement implements NodeKeyAgreement {
  calls = 0;
  failing = false;
  async getPubkey() {
    return OPERATOR;
  }
  async sharedSecret(peerPubkey: string) {
    this.calls += 1;
    if (this.failing)
      throw new TransientPaymentError('LND did not answer diffieHellmanComputeSecret');
    return lndSharedSecret(OPERATOR_KEY, Buffer.from(peerPubkey, 'hex'));
  }
}

const ecdhPreimage = (tipId: string) =>
  deriveSharedSecretPreimage(lndSharedSecret(OPERATOR_KEY, Buffer.from(G, 'hex')), tipId as TipId);
const ecdhHash = (tipId: string) => hex(paymentHashOf(ecdhPreimage(tipId)));
const authenticated = (overrides = {}) =>
  tipBody({ authentication: 'shared-secret', ...overrides });

/** A payer over `base`'s fakes; `null`: one with no key agreement configured. */
const payer = (
  keyAgreement: NodeKeyAgreement | null = new FakeKeyAgreement(),
  base?: PayerHarness,
) =>
  makePayer({
    ledger: base?.ledger,
    lightning: base?.lightning,
    clock: base?.clock,
    deps: { keyAgreement: keyAgreement ?? undefined },
  });

describe('payTipMessage: a shared-secret tip', () => {
  it('pays the ECDH-derived hash with the Tipstream record, and the creator verifies it', async () => {
    const agreement = new FakeKeyAgreement();
    const h = payer(agreement);
    const outcome = await payTipMessage(tipMessage(authenticated()), h.deps);

    expect(outcome.kind).toBe('paid');
    const tip = h.ledger.peek('tip-1');
    expect(tip).toMatchObject({ preimageDerivation: 'ecdh-v1', paymentHash: ecdhHash('tip-1') });
    expect(tip?.paymentHash).not.toBe(specHash('tip-1'));
    const [call] = h.lightning.payCalls;
    expect(hex(call?.preimage ?? new Uint8Array())).toBe(hex(ecdhPreimage('tip-1')));
    const record = call?.records.find((r) => r.type === TIPSTREAM_RECORD_TYPE);
    expect(parseTipstreamRecord(record?.value ?? new Uint8Array())).toEqual({
      version: 1,
      operator: OPERATOR,
      platformId: 'stream.example',
      tipId: 'tip-1',
    });
    // The creator's side: its own key and the operator's pubkey from the record.
    const creatorSecret = lndSharedSecret(CREATOR_KEY, getPublicKey(OPERATOR_KEY));
    expect(
      verifyIncomingTip(
        {
          paymentHash: tip?.paymentHash ?? '',
          preimage: call?.preimage ?? new Uint8Array(),
          records: call?.records ?? [],
        },
        creatorSecret,
      ),
    ).toMatchObject({ kind: 'verified', operator: OPERATOR, tipId: 'tip-1' });
    const receipt = JSON.parse(tip?.receipt ?? '{}').receipt;
    expect(receipt.authentication).toEqual({ tip: 'ecdh-shared-secret', sender: 'none' });
    // One ECDH when the tip is recorded, one when it is paid (the adapter's cache makes the
    // second free; this fake does not cache).
    expect(agreement.calls).toBe(2);
  });

  it('records a plain tip as before: HMAC hash, no derivation field, receipt says none', async () => {
    const agreement = new FakeKeyAgreement();
    const h = payer(agreement);
    await payTipMessage(tipMessage(tipBody()), h.deps);
    const tip = h.ledger.peek('tip-1');
    expect(tip?.paymentHash).toBe(specHash('tip-1'));
    expect(tip).not.toHaveProperty('preimageDerivation');
    expect(agreement.calls).toBe(0);
    expect(JSON.parse(tip?.receipt ?? '{}').receipt.authentication).toEqual({
      tip: 'none',
      sender: 'none',
    });
  });

  it('treats the same tipId with and without authentication as a conflict, never a second hash', async () => {
    const h = payer();
    await payTipMessage(tipMessage(authenticated()), h.deps);
    const outcome = await payTipMessage(tipMessage(tipBody()), h.deps);
    expect(outcome.kind).toBe('conflict');
    expect(h.lightning.payCalls).toHaveLength(1);
  });

  it('after a crash after the intent, a restarted payer (empty cache, new preimage key) pays the same ECDH hash once', async () => {
    const first = payer();
    await crashAt(first, 'after-intent', tipMessage(authenticated()));
    first.clock.advance(REDELIVERY_MS);
    // A new container: its own key agreement, and the HMAC key rotated meanwhile.
    const restarted = makePayer({
      ledger: first.ledger,
      lightning: first.lightning,
      clock: first.clock,
      keyVersion: 2,
      preimageKeys: { 1: new Uint8Array(32).fill(0x42), 2: PREIMAGE_KEY_V2 },
      deps: { keyAgreement: new FakeKeyAgreement() },
    });
    const outcome = await payTipMessage(tipMessage(authenticated()), restarted.deps);
    expect(outcome.kind).toBe('paid');
    expect(first.lightning.payCalls.map((call) => hex(call.paymentHash))).toEqual([
      ecdhHash('tip-1'),
    ]);
    expect(first.ledger.peek('tip-1')).toMatchObject({
      attempt: 2,
      paymentHash: ecdhHash('tip-1'),
    });
  });

  it('the reconciler resumes an ECDH tip SENDING whose send never reached LND with the same hash', async () => {
    const h = payer();
    await crashAt(h, 'after-intent', tipMessage(authenticated()));
    h.clock.advance(REDELIVERY_MS);
    const stuck = h.ledger.peek('tip-1');
    if (!stuck) throw new Error('no tip');
    const outcome = await driveTip(stuck, payer(new FakeKeyAgreement(), h).deps);
    expect(outcome.kind).toBe('paid');
    expect(h.lightning.lookupCalls).toEqual([ecdhHash('tip-1')]);
    expect(h.lightning.payCalls.map((call) => hex(call.preimage))).toEqual([
      hex(ecdhPreimage('tip-1')),
    ]);
  });

  it('a payer without key agreement (an older configuration) sends nothing for an ECDH tip and gives the lease up', async () => {
    const first = payer();
    await crashAt(first, 'after-intent', tipMessage(authenticated()));
    first.clock.advance(REDELIVERY_MS);
    const old = payer(null, first);
    // A redelivery cannot even record the tip; the reconciler's resume starts an attempt and
    // stops before LND, handing the lease back.
    await expect(payTipMessage(tipMessage(authenticated()), old.deps)).rejects.toThrow(
      /has a shared-secret preimage but this payer has no key agreement/,
    );
    const stuck = first.ledger.peek('tip-1');
    if (!stuck) throw new Error('no tip');
    await expect(driveTip(stuck, old.deps)).rejects.toBeInstanceOf(TransientPaymentError);
    expect(first.lightning.payCalls).toHaveLength(0);
    expect(first.ledger.peek('tip-1')).toMatchObject({
      state: 'SENDING',
      attempt: 2,
      unsentAttempts: 1,
    });
  });

  it('an ECDH node that does not answer when the tip arrives: nothing recorded, the message retried', async () => {
    const agreement = new FakeKeyAgreement();
    agreement.failing = true;
    const h = payer(agreement);
    await expect(payTipMessage(tipMessage(authenticated()), h.deps)).rejects.toBeInstanceOf(
      TransientPaymentError,
    );
    expect(h.ledger.peek('tip-1')).toBeUndefined();
    expect(h.lightning.payCalls).toHaveLength(0);
  });

  it('never sends a preimage that does not give the recorded hash (the node key changed)', async () => {
    const h = payer();
    await crashAt(h, 'after-intent', tipMessage(authenticated()));
    h.clock.advance(REDELIVERY_MS);
    const otherNode: NodeKeyAgreement = {
      getPubkey: async () => G,
      sharedSecret: async () => new Uint8Array(32).fill(1),
    };
    await expect(
      payTipMessage(tipMessage(authenticated()), payer(otherNode, h).deps),
    ).rejects.toThrow(/the ecdh-v1 derivation does not reproduce the hash of tip tip-1/);
    expect(h.lightning.payCalls).toHaveLength(0);
  });

  it('carries a Nostr-signed boostagram as signed and says so in the receipt', async () => {
    const boost = signBoost({ action: 'boost', message: 'gm' }, new Uint8Array(32).fill(0x33));
    const h = payer();
    await payTipMessage(tipMessage(authenticated({ boostagram: boost })), h.deps);
    const [call] = h.lightning.payCalls;
    const sent = call?.records.find((r) => r.type === BOOSTAGRAM_RECORD_TYPE);
    expect(JSON.parse(new TextDecoder().decode(sent?.value))).toEqual(boost);
    const receipt = JSON.parse(h.ledger.peek('tip-1')?.receipt ?? '{}').receipt;
    expect(receipt.authentication).toEqual({
      tip: 'ecdh-shared-secret',
      sender: 'nostr-signature',
      nostrPubkey: boost.sender_id,
    });
  });

  it('rejects a boostagram whose signature does not verify: recorded as rejected, nothing paid', async () => {
    const boost = signBoost({ action: 'boost', message: 'gm' }, new Uint8Array(32).fill(0x33));
    const h = payer();
    const outcome = await payTipMessage(
      tipMessage(authenticated({ boostagram: { ...boost, message: 'forged' } })),
      h.deps,
    );
    expect(outcome).toMatchObject({
      kind: 'rejected',
      reason: /boostagram.signature does not verify/,
    });
    expect(h.lightning.payCalls).toHaveLength(0);
  });
});

describe('receiptAuthentication', () => {
  it.each([
    { preimageDerivation: 'ecdh-v1', sendMethod: 'keysend', tip: 'ecdh-shared-secret' },
    { preimageDerivation: 'ecdh-v1', sendMethod: undefined, tip: 'ecdh-shared-secret' },
    // AMP shards carry LND's own preimages: nothing the creator could check, so nothing claimed.
    { preimageDerivation: 'ecdh-v1', sendMethod: 'amp', tip: 'none' },
    { preimageDerivation: undefined, sendMethod: 'keysend', tip: 'none' },
  ] as const)(
    '$preimageDerivation by $sendMethod: $tip',
    ({ preimageDerivation, sendMethod, tip }) => {
      expect(
        receiptAuthentication({
          records: [],
          ...(preimageDerivation ? { preimageDerivation } : {}),
          ...(sendMethod ? { sendMethod } : {}),
        }).tip,
      ).toBe(tip);
    },
  );
});
