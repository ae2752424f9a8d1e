import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import * as z from 'zod';
import { assertBytes, preview } from './bytes.js';
import { canonicalJson } from './canonical-json.js';
import { ReceiptError } from './errors.js';
import { PLATFORM_ID_PATTERN, PLATFORM_ID_RULE, TIP_ID_PATTERN, TIP_ID_RULE } from './ids.js';
import { secp } from './secp.js';

/** BIP-340 tag of receipt signatures: a receipt signature can never pass for another message. */
export const RECEIPT_TAG = 'tipstream/receipt/v1';

const hex32 = (what: string) =>
  z.string(`must be ${what} as 64 lowercase hex chars`).regex(/^[0-9a-f]{64}$/, {
    error: `must be ${what} as 64 lowercase hex chars`,
  });
const nodePubkey = z
  .string('must be a node pubkey as 66 lowercase hex chars')
  .regex(/^0[23][0-9a-f]{64}$/, { error: 'must be a node pubkey as 66 lowercase hex chars' });

/** A paid tip, as the operator attests to it. Amounts are decimal msat strings (exact). */
const ReceiptSchema = z.strictObject(
  {
    version: z.literal(1, 'must be 1'),
    tipId: z.string().regex(TIP_ID_PATTERN, { error: `must be ${TIP_ID_RULE}` }),
    platformId: z.string().regex(PLATFORM_ID_PATTERN, { error: `must be ${PLATFORM_ID_RULE}` }),
    /** The destination as the tip gave it: a node pubkey, or a Lightning Address. */
    recipient: z.union(
      [
        nodePubkey,
        z.string().regex(/^[a-z0-9._+-]{1,64}@[a-z0-9.:[\]-]{1,260}$/, {
          error: 'must be a Lightning Address',
        }),
      ],
      'must be a node pubkey or a Lightning Address',
    ),
    amountMsat: z
      .string('must be a decimal string')
      .regex(/^[1-9][0-9]*$/, { error: 'must be a positive decimal string of msat' }),
    feeMsat: z
      .string('must be a decimal string')
      .regex(/^(0|[1-9][0-9]*)$/, { error: 'must be a non-negative decimal string of msat' }),
    paymentHash: hex32('a 32-byte hash'),
    preimage: hex32('a 32-byte preimage'),
    /** Node pubkeys of the route, in order. */
    hops: z.array(nodePubkey, 'must be an array of node pubkeys'),
    settledAt: z.iso.datetime({ error: 'must be an ISO 8601 UTC time, e.g. 2026-01-01T00:00:00Z' }),
    attempts: z.number('must be a number').int('must be a whole number').positive({
      error: 'must be at least 1',
    }),
    /** BIP-340 x-only public key of the operator's receipt key. */
    operatorPubkey: hex32('an x-only (BIP-340) public key'),
    /**
     * How it was sent (absent in receipts from before AMP: keysend). For `amp`, `paymentHash` and
     * `preimage` are one settled shard's (every shard has its own), `paymentAddr` is the tip's
     * address and `setId` LND's id of the settled payment.
     */
    method: z
      .enum(['keysend', 'amp', 'lnurl-invoice'], 'must be "keysend", "amp" or "lnurl-invoice"')
      .optional(),
    /**
     * A Lightning Address tip: the node that was paid (from the address's keysend details, or the
     * invoice's payee) and, for `lnurl-invoice`, the BOLT11 invoice its LNURL server issued.
     */
    node: nodePubkey.optional(),
    invoice: z
      .string('must be a BOLT11 invoice')
      .regex(/^ln[a-z0-9]{1,7000}$/, { error: 'must be a BOLT11 invoice' })
      .optional(),
    paymentAddr: hex32('a 32-byte payment address').optional(),
    setId: hex32('a 32-byte AMP set id').optional(),
    /**
     * What authenticated the tip (absent on receipts issued before it was recorded): `tip` how the
     * recipient can tell this operator sent it (`ecdh-shared-secret`: the preimage derives from
     * the ECDH secret of the two node keys; `none`: plain keysend); `sender` whether the
     * boostagram's Nostr signature by `nostrPubkey` was verified before paying.
     */
    authentication: z
      .strictObject(
        {
          tip: z.enum(['ecdh-shared-secret', 'none'], 'must be "ecdh-shared-secret" or "none"'),
          sender: z.enum(['nostr-signature', 'none'], 'must be "nostr-signature" or "none"'),
          nostrPubkey: hex32('an x-only (BIP-340) Nostr public key').optional(),
        },
        'must be an object',
      )
      .optional(),
  },
  'must be an object',
);
export type Receipt = z.infer<typeof ReceiptSchema>;

/** A receipt with the operator's BIP-340 signature. */
export const SignedReceiptSchema = z.strictObject(
  {
    receipt: ReceiptSchema,
    signature: z.string('must be a 64-byte signature as 128 hex chars').regex(/^[0-9a-f]{128}$/, {
      error: 'must be a 64-byte signature as 128 lowercase hex chars',
    }),
  },
  'must be an object',
);
export type SignedReceipt = z.infer<typeof SignedReceiptSchema>;

/** A receipt before signing: operatorPubkey may be left for signReceipt to fill from the key. */
export type UnsignedReceipt = Omit<Receipt, 'operatorPubkey'> & { operatorPubkey?: string };

/** Outcome of verifying a receipt. */
export type ReceiptVerification = { ok: true } | { ok: false; reason: string };

/** UTF-8 JSON of the receipt with keys sorted at every depth: the bytes that are signed. */
export const canonicalReceiptBytes = (receipt: Receipt): Uint8Array =>
  utf8ToBytes(canonicalJson(receipt));

const TAG_HASH = sha256(utf8ToBytes(RECEIPT_TAG));

/** BIP-340 tagged hash of the canonical bytes: the 32-byte message the signature covers. */
export const receiptDigest = (receipt: Receipt): Uint8Array =>
  sha256(concatBytes(TAG_HASH, TAG_HASH, canonicalReceiptBytes(receipt)));

/**
 * The operator's receipt key as signReceipt uses it: BIP-340 Schnorr by whatever computes it
 * fastest (the payer's is libsecp256k1, shared/adapters/crypto/receipt-signer.ts). What is signed
 * and when signing is refused stay here, in signReceipt; the signer only does the arithmetic.
 */
export interface ReceiptSigner {
  /** x-only (BIP-340) public key of the receipt key, 64 lowercase hex chars. */
  readonly publicKey: string;
  /**
   * A 64-byte BIP-340 signature of a 32-byte digest under `publicKey`; throws rather than return
   * one that does not verify.
   */
  sign(digest: Uint8Array): Uint8Array;
}

/** Signs a receipt with the operator's receipt key (BIP-340 Schnorr over receiptDigest). */
export const signReceipt = (unsigned: UnsignedReceipt, signer: ReceiptSigner): SignedReceipt => {
  const operatorPubkey = signer.publicKey;
  const parsed = ReceiptSchema.safeParse({
    ...unsigned,
    operatorPubkey: unsigned.operatorPubkey ?? operatorPubkey,
  });
  if (!parsed.success) throw new ReceiptError(`cannot sign: ${describeIssues(parsed.error)}`);
  const receipt = parsed.data;
  // Refuse to issue a receipt that verifyReceipt would reject: it would discredit the operator.
  if (receipt.operatorPubkey !== operatorPubkey) {
    throw new ReceiptError(
      `cannot sign: receipt.operatorPubkey ${receipt.operatorPubkey} is not the key's public key ${operatorPubkey}`,
    );
  }
  if (!preimageMatches(receipt)) {
    throw new ReceiptError(
      'cannot sign: sha256(receipt.preimage) does not equal receipt.paymentHash',
    );
  }
  const signature = signer.sign(receiptDigest(receipt));
  assertBytes(signature, 64, 'signature');
  return { receipt, signature: bytesToHex(signature) };
};

/** Verifies a signed receipt offline: shape, operator key, preimage and signature. */
export const verifyReceipt = (
  signed: unknown,
  expectedOperatorPubkey?: string,
): ReceiptVerification => {
  const parsed = SignedReceiptSchema.safeParse(signed);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const { receipt, signature } = parsed.data;
  if (
    expectedOperatorPubkey !== undefined &&
    receipt.operatorPubkey !== expectedOperatorPubkey.toLowerCase()
  ) {
    return {
      ok: false,
      reason: `receipt.operatorPubkey ${receipt.operatorPubkey} is not the expected operator key ${expectedOperatorPubkey}`,
    };
  }
  if (!preimageMatches(receipt)) {
    return {
      ok: false,
      reason: `sha256(receipt.preimage) does not equal receipt.paymentHash ${receipt.paymentHash}: the preimage does not prove this payment`,
    };
  }
  const valid = secp.schnorr.verify(
    hexToBytes(signature),
    receiptDigest(receipt),
    hexToBytes(receipt.operatorPubkey),
  );
  if (!valid) {
    return {
      ok: false,
      reason: `signature does not verify for operatorPubkey ${receipt.operatorPubkey}: the receipt was altered or signed with another key`,
    };
  }
  return { ok: true };
};

const preimageMatches = (receipt: Receipt): boolean =>
  bytesToHex(sha256(hexToBytes(receipt.preimage))) === receipt.paymentHash;

const describeIssues = (error: z.ZodError): string => {
  const [issue] = error.issues;
  if (!issue) return error.message;
  if (issue.code === 'unrecognized_keys') {
    // A key can be as long as the receipt: name it by its start.
    return `unknown field ${preview([...issue.path, issue.keys[0]].map(String).join('.'), 70)}`;
  }
  return `${issue.path.map(String).join('.') || 'signed receipt'} ${issue.message}`;
};
