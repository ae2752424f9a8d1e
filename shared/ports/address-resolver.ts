import type { LightningAddress, NodePubkey } from '../domain/brands.js';
import type { TlvRecord } from '../domain/keysend-records.js';

/**
 * An invoice an address's LNURL-pay server issued for an amount, with the metadata its
 * description hash must commit to. Unchecked: the payer decodes it with its own node and checks
 * it (`checkLnurlInvoice`) before storing it.
 */
export interface LnurlOffer {
  kind: 'lnurl';
  invoice: string;
  metadata: string;
}

/** How a Lightning Address is paid: by keysend to its node with its records, or by an invoice. */
export type AddressResolution =
  | { kind: 'keysend'; pubkey: NodePubkey; records: TlvRecord[] }
  | LnurlOffer;

/**
 * Resolves Lightning Addresses over the network (untrusted hosts: the adapter guards every
 * fetch). Failures are `PermanentPaymentError` with code `ADDRESS_UNRESOLVED` (404, bad
 * documents, amount out of range, a refused fetch: retrying cannot help) or
 * `TransientPaymentError` (DNS, 5xx, timeouts: SQS retries with its backoff), their messages
 * starting with the address, e.g. "carol@example.com: no keysend details and the LNURL server
 * answered 404".
 */
export interface AddressResolver {
  /** Keysend details first (`/.well-known/keysend/<name>`), else an LNURL-pay invoice. */
  resolve(address: LightningAddress, amountMsat: bigint): Promise<AddressResolution>;
  /** A new invoice from the address's LNURL-pay server (the stored one can no longer be paid). */
  requestInvoice(address: LightningAddress, amountMsat: bigint): Promise<LnurlOffer>;
}
