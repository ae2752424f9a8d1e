/**
 * Branded types for money, keys and ids. Values of these types are built only by the parsers
 * next to them (`parseNodePubkey`, `parseAmountMsat`, `parseTipId`, `derivePreimage`, …), so a
 * function taking a `NodePubkey` never sees an unchecked string.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Millisatoshis. A `bigint` so msat arithmetic is exact at any amount. */
export type MilliSats = Brand<bigint, 'MilliSats'>;
/** sha256 of a preimage: the 32 bytes a Lightning payment locks to. */
export type PaymentHash = Brand<Uint8Array, 'PaymentHash'>;
/** The 32-byte secret that settles a payment. */
export type Preimage = Brand<Uint8Array, 'Preimage'>;
/** A node's 33-byte compressed secp256k1 public key as 66 lowercase hex chars. */
export type NodePubkey = Brand<string, 'NodePubkey'>;
/** A Lightning Address (LUD-16 `name@domain`), lowercase: built by `parseLightningAddress`. */
export type LightningAddress = Brand<string, 'LightningAddress'>;
/** Idempotency key of one tip, chosen by the platform. */
export type TipId = Brand<string, 'TipId'>;
/** The platform (tenant) a tip comes from. */
export type PlatformId = Brand<string, 'PlatformId'>;
