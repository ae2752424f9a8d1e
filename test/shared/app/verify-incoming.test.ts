import { getPublicKey } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import { verifyIncoming } from '../../../shared/app/verify-incoming.js';
import type { NodePubkey, PlatformId, TipId } from '../../../shared/domain/brands.js';
import { TEXT_MESSAGE_RECORD_TYPE } from '../../../shared/domain/keysend-records.js';
import {
  deriveSharedSecretPreimage,
  lndSharedSecret,
  paymentHashOf,
} from '../../../shared/domain/preimage.js';
import { encodeTipstreamRecord } from '../../../shared/domain/tipstream-record.js';
import type { CreatorNode, ReceivedKeysend } from '../../../shared/ports/incoming-payments.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const key = (byte: number) => new Uint8Array(32).fill(byte);
const creatorKey = key(0x0c);
const operatorKey = key(0x0a);
const operator = hex(getPublicKey(operatorKey)) as NodePubkey;

/** A payment keysent to the creator by the holder of `senderKey`, claiming `operator`. */
const keysend = (senderKey: Uint8Array, tipId: string): ReceivedKeysend => {
  const secret = lndSharedSecret(senderKey, getPublicKey(creatorKey));
  const preimage = deriveSharedSecretPreimage(secret, tipId as TipId);
  return {
    paymentHash: hex(paymentHashOf(preimage)),
    preimage,
    amountMsat: 21_000n,
    settledAt: '2026-01-01T00:00:00.000Z',
    records: [
      encodeTipstreamRecord({ operator, platformId: 'p' as PlatformId, tipId: tipId as TipId }),
      { type: TEXT_MESSAGE_RECORD_TYPE, value: new TextEncoder().encode('gm') },
    ],
  };
};

/** The creator's node: its own key, the payments it settled, and a count of ECDH calls. */
const creatorNode = (payments: ReceivedKeysend[]) => {
  const node = {
    ecdhCalls: 0,
    getPubkey: async () => hex(getPublicKey(creatorKey)),
    sharedSecret: async (peer: string) => {
      node.ecdhCalls += 1;
      return lndSharedSecret(creatorKey, Buffer.from(peer, 'hex'));
    },
    listReceivedKeysends: async () => payments,
  } satisfies CreatorNode & { ecdhCalls: number };
  return node;
};

describe('verifyIncoming', () => {
  it("checks every Tipstream tip with the creator's own ECDH, once per claimed operator", async () => {
    const node = creatorNode([
      keysend(operatorKey, 'p:1'),
      keysend(key(0x0e), 'p:1'),
      keysend(operatorKey, 'p:2'),
      { ...keysend(operatorKey, 'p:3'), records: [] },
    ]);
    const checks = await verifyIncoming({ from: new Date(0), to: new Date() }, { node });
    expect(checks.map((check) => check.verdict.kind)).toEqual([
      'verified',
      'not-authentic',
      'verified',
      'not-tipstream',
    ]);
    expect(checks[0]).toMatchObject({ message: 'gm', amountMsat: 21_000n, verdict: { operator } });
    expect(node.ecdhCalls).toBe(1);
  });

  it('says not authentic for a real tip from an operator not in --operator', async () => {
    const node = creatorNode([keysend(operatorKey, 'p:1')]);
    const [check] = await verifyIncoming(
      { from: new Date(0), to: new Date() },
      { node },
      { trustedOperators: [hex(getPublicKey(key(0x0b)))] },
    );
    expect(check?.verdict).toMatchObject({ kind: 'not-authentic', reason: /not one you trust/ });
  });
});
