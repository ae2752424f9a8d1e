import type { ReceiptSigner } from '../domain/receipt.js';

/** The operator's secrets the payer needs. */
export interface PayerKeys {
  currentPreimageKeyVersion: number;
  /** Old versions stay available for as long as tips that used them can be retried. */
  preimageKey(version: number): Uint8Array;
  /** Signs receipts with the receipt key; its `publicKey` is what creators verify them with. */
  receiptSigner: ReceiptSigner;
}
