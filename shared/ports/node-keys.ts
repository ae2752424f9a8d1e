/**
 * Key agreement with a Lightning node's identity key, which never leaves the node (LND's signer
 * RPC DeriveSharedKey). The operator's node uses it to derive shared-secret preimages; a
 * creator's node to check them.
 */
export interface NodeKeyAgreement {
  /** The node's own pubkey (66 hex). */
  getPubkey(): Promise<string>;
  /**
   * ECDH of the node's identity key with `peerPubkey` (66 hex): sha256 of the compressed shared
   * point, 32 bytes. Throws `TransientPaymentError` when the node does not answer or refuses
   * (its message says which: a macaroon without the permission is fixed by the operator, and the
   * tip is retried until then).
   */
  sharedSecret(peerPubkey: string): Promise<Uint8Array>;
}
