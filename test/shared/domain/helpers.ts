import { getPublicKey } from '@noble/secp256k1';

/** Runs `fn` and returns what it threw; fails the test when it does not throw. */
export const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected a throw, got a return');
};

/** Fixed secret key bytes (0x01…01 style), for reproducible keys. */
export const secretKey = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

/** Compressed pubkey hex of `secretKey(byte)`. */
export const pubkeyHex = (byte: number): string =>
  Buffer.from(getPublicKey(secretKey(byte), true)).toString('hex');

/** The generator point G, a well-known valid node pubkey. */
export const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
