import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { PLATFORM_ID_PATTERN, TIP_ID_PATTERN } from '../../shared/domain/ids.js';
import type { UnsignedReceipt } from '../../shared/domain/receipt.js';
import { pubkeyHex } from '../shared/domain/helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const HOPS = Array.from({ length: 4 }, (_, index) => pubkeyHex(index + 1));

/**
 * Valid receipts of any paid keysend tip, before signing: operatorPubkey is left for
 * signReceipt to fill from the signer's key.
 */
export const unsignedReceipt: fc.Arbitrary<UnsignedReceipt> = fc
  .record({
    tipId: fc.stringMatching(TIP_ID_PATTERN),
    platformId: fc.stringMatching(PLATFORM_ID_PATTERN),
    recipient: fc.constantFrom(...HOPS),
    amountMsat: fc.bigInt({ min: 1n, max: 10n ** 20n }).map(String),
    feeMsat: fc.bigInt({ min: 0n, max: 10n ** 9n }).map(String),
    preimage: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    hops: fc.array(fc.constantFrom(...HOPS), { maxLength: 4 }),
    settledAt: fc
      .date({
        min: new Date('2020-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString()),
    attempts: fc.integer({ min: 1, max: 1000 }),
  })
  .map(({ preimage, ...fields }) => ({
    version: 1 as const,
    ...fields,
    preimage: hex(preimage),
    paymentHash: createHash('sha256').update(preimage).digest('hex'),
  }));
