import type { TlvRecord } from '../domain/keysend-records.js';
import type { NodeKeyAgreement } from './node-keys.js';

/** A keysend payment a creator's node received and settled. */
export interface ReceivedKeysend {
  /** Payment hash, hex. */
  paymentHash: string;
  /** The preimage the node settled with. */
  preimage: Uint8Array;
  amountMsat: bigint;
  settledAt: string;
  /** Custom records of the settled payment's final hop (the keysend record included). */
  records: TlvRecord[];
}

/** A creator's own node, as `tipstream verify-incoming` reads it (read-only, plus ECDH). */
export interface CreatorNode extends NodeKeyAgreement {
  /** Settled keysend payments whose invoices were created in `[from, to]`, oldest first. */
  listReceivedKeysends(range: { from: Date; to: Date }): Promise<ReceivedKeysend[]>;
}
