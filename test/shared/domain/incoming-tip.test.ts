import { getPublicKey } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import type { NodePubkey, PlatformId, TipId } from '../../../shared/domain/brands.js';
import {
  type IncomingKeysend,
  readTipstreamClaim,
  tipContent,
  verifyIncomingTip,
} from '../../../shared/domain/incoming-tip.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  TEXT_MESSAGE_RECORD_TYPE,
  TIPSTREAM_RECORD_TYPE,
} from '../../../shared/domain/keysend-records.js';
import { signBoost } from '../../../shared/domain/nostr-boost.js';
import {
  deriveSharedSecretPreimage,
  lndSharedSecret,
  paymentHashOf,
} from '../../../shared/domain/preimage.js';
import { encodeTipstreamRecord } from '../../../shared/domain/tipstream-record.js';
import { secretKey } from './helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const operatorKey = secretKey(0x0a);
const creatorKey = secretKey(0x0c);
const malloryKey = secretKey(0x0e);
const operator = hex(getPublicKey(operatorKey)) as NodePubkey;
const creator = getPublicKey(creatorKey);
const tipId = 'streamco:abc' as TipId;
const record = encodeTipstreamRecord({ operator, platformId: 'streamco' as PlatformId, tipId });
/** What the creator's node computes: ECDH of its key with the claimed operator's. */
const creatorSecret = lndSharedSecret(creatorKey, getPublicKey(operatorKey));

/** A payment as the operator sends it: preimage from its own side of the ECDH. */
const sent = (overrides: Partial<IncomingKeysend> = {}): IncomingKeysend => {
  const preimage = deriveSharedSecretPreimage(lndSharedSecret(operatorKey, creator), tipId);
  return {
    paymentHash: hex(paymentHashOf(preimage)),
    preimage,
    records: [record, { type: TEXT_MESSAGE_RECORD_TYPE, value: utf8('gm') }],
    ...overrides,
  };
};
/** Mallory's copy: the same records, a preimage of her own (she cannot derive the operator's). */
const spoofed = (): IncomingKeysend => {
  const preimage = deriveSharedSecretPreimage(lndSharedSecret(malloryKey, creator), tipId);
  return { ...sent(), preimage, paymentHash: hex(paymentHashOf(preimage)) };
};

describe('verifyIncomingTip', () => {
  it('verifies a tip the operator sent, with the secret the creator computes', () => {
    expect(verifyIncomingTip(sent(), creatorSecret)).toEqual({
      kind: 'verified',
      operator,
      platformId: 'streamco',
      tipId,
    });
  });

  it.each([
    {
      description: 'a copy sent by another node (its own ECDH)',
      payment: spoofed,
      secret: creatorSecret,
      reason: /is not the one operator .* derives for tip streamco:abc: another node sent it/,
    },
    {
      description: 'a random preimage',
      payment: () => {
        const preimage = new Uint8Array(32).fill(3);
        return sent({ preimage, paymentHash: hex(paymentHashOf(preimage as never)) });
      },
      secret: creatorSecret,
      reason: /another node sent it/,
    },
    {
      description: 'a preimage that does not hash to the payment hash',
      payment: () => sent({ paymentHash: '00'.repeat(32) }),
      secret: creatorSecret,
      reason: /does not hash to the payment hash/,
    },
    {
      description: 'the secret of another pair of keys',
      payment: () => sent(),
      secret: lndSharedSecret(malloryKey, creator),
      reason: /another node sent it/,
    },
    {
      description: 'no secret',
      payment: () => sent(),
      secret: undefined,
      reason: /no 32-byte ECDH secret/,
    },
    {
      description: 'a tip id changed in the record',
      payment: () =>
        sent({
          records: [
            encodeTipstreamRecord({
              operator,
              platformId: 'streamco' as PlatformId,
              tipId: 'streamco:abd' as TipId,
            }),
          ],
        }),
      secret: creatorSecret,
      reason: /for tip streamco:abd/,
    },
    {
      description: 'two Tipstream records',
      payment: () => sent({ records: [record, record] }),
      secret: creatorSecret,
      reason: /more than one Tipstream record/,
    },
    {
      description: 'a record that does not parse',
      payment: () => sent({ records: [{ type: TIPSTREAM_RECORD_TYPE, value: Uint8Array.of(9) }] }),
      secret: creatorSecret,
      reason: /version 9/,
    },
  ])('says not authentic for $description', ({ payment, secret, reason }) => {
    const verdict = verifyIncomingTip(payment(), secret);
    expect(verdict.kind).toBe('not-authentic');
    expect(verdict.kind === 'not-authentic' && verdict.reason).toMatch(reason);
  });

  it('says not authentic for a real tip from an operator the creator does not trust', () => {
    const verdict = verifyIncomingTip(sent(), creatorSecret, ['02'.padEnd(66, '1')]);
    expect(verdict).toMatchObject({ kind: 'not-authentic', reason: /not one you trust/ });
  });

  it('ignores payments without a Tipstream record', () => {
    expect(verifyIncomingTip(sent({ records: [] }), creatorSecret)).toEqual({
      kind: 'not-tipstream',
    });
    expect(readTipstreamClaim([])).toBeUndefined();
  });

  it('reports the Nostr sender of a signed boostagram, and a broken signature', () => {
    const boost = signBoost({ action: 'boost', message: 'hi' }, secretKey(0x33));
    const withBoost = (value: object) =>
      sent({
        records: [record, { type: BOOSTAGRAM_RECORD_TYPE, value: utf8(JSON.stringify(value)) }],
      });
    expect(verifyIncomingTip(withBoost(boost), creatorSecret)).toMatchObject({
      kind: 'verified',
      nostr: { senderId: boost.sender_id, valid: true },
    });
    expect(
      verifyIncomingTip(withBoost({ ...boost, message: 'changed' }), creatorSecret),
    ).toMatchObject({
      kind: 'verified',
      nostr: { senderId: boost.sender_id, valid: false, reason: /does not verify/ },
    });
  });
});

describe('tipContent', () => {
  it('reads the message and the boostagram; ignores a boostagram that is not a JSON object', () => {
    const boost = { action: 'boost', app_name: 'x' };
    expect(
      tipContent([
        { type: TEXT_MESSAGE_RECORD_TYPE, value: utf8('gm') },
        { type: BOOSTAGRAM_RECORD_TYPE, value: utf8(JSON.stringify(boost)) },
      ]),
    ).toEqual({ message: 'gm', boostagram: boost });
    expect(tipContent([{ type: BOOSTAGRAM_RECORD_TYPE, value: utf8('[1]') }])).toEqual({});
    expect(tipContent([{ type: BOOSTAGRAM_RECORD_TYPE, value: Uint8Array.of(0xff) }])).toEqual({});
  });
});
