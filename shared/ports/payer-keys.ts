/** The operator's secrets the payer needs. */
export interface PayerKeys {
  currentPreimageKeyVersion: number;
  /** Old versions stay available for as long as tips that used them can be retried. */
  preimageKey(version: number): Uint8Array;
  receiptPrivateKey: Uint8Array;
  /** x-only (BIP-340) public key of the receipt key, hex: what creators verify receipts with. */
  receiptPublicKey: string;
}
