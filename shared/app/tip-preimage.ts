import { bytesToHex } from '@noble/hashes/utils.js';
import type { NodePubkey, Preimage, TipId } from '../domain/brands.js';
import { BOOSTAGRAM_RECORD_TYPE, type TlvRecord } from '../domain/keysend-records.js';
import { isLightningAddress } from '../domain/lightning-address.js';
import { verifyBoostSignature } from '../domain/nostr-boost.js';
import { derivePreimage, deriveSharedSecretPreimage, paymentHashOf } from '../domain/preimage.js';
import type { Receipt } from '../domain/receipt.js';
import type { Tip } from '../domain/tip-request.js';
import { encodeTipstreamRecord } from '../domain/tipstream-record.js';
import { TransientPaymentError } from '../ports/errors.js';
import type { NodeKeyAgreement } from '../ports/node-keys.js';
import type { PayerKeys } from '../ports/payer-keys.js';
import type { NewTip, TipRecord } from '../ports/tip-ledger.js';

/**
 * Which preimage a tip pays, decided once when the tip is recorded and read back from the record
 * ever after: the payer, a redelivery and the reconciler all derive it from the same stored
 * `preimageDerivation`, so every attempt pays the one hash the ledger holds.
 */
export interface PreimageDeps {
  keys: PayerKeys;
  /** The operator's node key (ECDH): needed only by tips that ask for `shared-secret`. */
  keyAgreement?: NodeKeyAgreement;
}

const agreementOf = (deps: PreimageDeps, tipId: string): NodeKeyAgreement => {
  if (!deps.keyAgreement) {
    throw new TransientPaymentError(
      `tip ${tipId} has a shared-secret preimage but this payer has no key agreement with the operator node configured`,
    );
  }
  return deps.keyAgreement;
};

/**
 * The payment fields of a new tip: its hash, how it is derived, and its records (with the
 * Tipstream record for a shared-secret tip, which names the operator node the recipient checks
 * it with). Plain tips are as before: HMAC of the current preimage key.
 */
export const newTipPayment = async (
  tip: Tip,
  deps: PreimageDeps,
): Promise<Pick<NewTip, 'paymentHash' | 'keyVersion' | 'preimageDerivation' | 'records'>> => {
  const keyVersion = deps.keys.currentPreimageKeyVersion;
  if (tip.authentication !== 'shared-secret') {
    const preimage = derivePreimage(deps.keys.preimageKey(keyVersion), tip.tipId);
    return { paymentHash: bytesToHex(paymentHashOf(preimage)), keyVersion, records: tip.records };
  }
  if (isLightningAddress(tip.recipient)) {
    // parseTipRequest refuses it: the node behind an address is known only when it is paid.
    throw new Error(`tip ${tip.tipId}: a shared-secret tip needs the recipient's node pubkey`);
  }
  const agreement = agreementOf(deps, tip.tipId);
  const [operator, secret] = await Promise.all([
    agreement.getPubkey(),
    agreement.sharedSecret(tip.recipient),
  ]);
  const record = encodeTipstreamRecord({
    operator: operator as NodePubkey,
    platformId: tip.platformId,
    tipId: tip.tipId,
  });
  return {
    paymentHash: bytesToHex(paymentHashOf(deriveSharedSecretPreimage(secret, tip.tipId))),
    keyVersion,
    preimageDerivation: 'ecdh-v1',
    records: sortedRecords([...tip.records, record]),
  };
};

/** The preimage of a recorded tip, by the derivation recorded with it. */
export const recordedTipPreimage = async (
  tip: Pick<TipRecord, 'tipId' | 'recipient' | 'keyVersion' | 'preimageDerivation'>,
  deps: PreimageDeps,
): Promise<Preimage> => {
  const tipId = tip.tipId as TipId;
  if (tip.preimageDerivation === undefined) {
    return derivePreimage(deps.keys.preimageKey(tip.keyVersion), tipId);
  }
  const secret = await agreementOf(deps, tipId).sharedSecret(tip.recipient);
  return deriveSharedSecretPreimage(secret, tipId);
};

/**
 * What authenticated a paid tip, for its receipt. An AMP tip's shards carry preimages LND draws
 * from its own root share, never the shared-secret one: the recipient cannot check it, so it is
 * not claimed.
 */
export const receiptAuthentication = (
  tip: Pick<TipRecord, 'preimageDerivation' | 'records' | 'sendMethod'>,
): NonNullable<Receipt['authentication']> => {
  const nostrPubkey = nostrSenderOf(tip.records);
  const sharedSecret = tip.preimageDerivation === 'ecdh-v1' && tip.sendMethod !== 'amp';
  return {
    tip: sharedSecret ? 'ecdh-shared-secret' : 'none',
    sender: nostrPubkey ? 'nostr-signature' : 'none',
    ...(nostrPubkey ? { nostrPubkey } : {}),
  };
};

/** The boostagram's Nostr signer: the payer's parser verified it before the tip was recorded. */
const nostrSenderOf = (records: readonly TlvRecord[]): string | undefined => {
  const boost = records.find((record) => record.type === BOOSTAGRAM_RECORD_TYPE);
  if (!boost) return undefined;
  try {
    return verifyBoostSignature(JSON.parse(new TextDecoder().decode(boost.value)));
  } catch {
    return undefined;
  }
};

const sortedRecords = (records: TlvRecord[]) =>
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
