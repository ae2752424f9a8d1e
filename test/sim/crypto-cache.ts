/**
 * secp256k1 in pure JavaScript costs milliseconds per operation, and a simulated run parses the
 * same three creator keys and signs the same few receipts again and again (the tip catalog is
 * fixed). Caching them changes no result: a decoded point is immutable, and a receipt's signature
 * is valid for that receipt whenever it was made. It makes 10,000 runs fit in a CI run.
 */
import { secp } from '../../shared/domain/secp.js';

/** Decodes each public key once (every tip request checks its recipient is on the curve). */
export const cachePoints = () => {
  const original = secp.Point.fromHex;
  const cache = new Map<string, ReturnType<typeof original>>();
  secp.Point.fromHex = (hex: string) => {
    let point = cache.get(hex);
    if (!point) {
      point = original.call(secp.Point, hex);
      cache.set(hex, point);
    }
    return point;
  };
  return () => {
    secp.Point.fromHex = original;
  };
};

/** `signReceipt` that signs each distinct receipt once (for `vi.mock` of shared/domain/receipt). */
export const signingOnce = <M extends { signReceipt: (...args: never[]) => unknown }>(
  module: M,
): M => {
  const cache = new Map<string, unknown>();
  const signReceipt = (...args: Parameters<M['signReceipt']>) => {
    const key = JSON.stringify(args, (_k, v) =>
      typeof v === 'bigint'
        ? v.toString()
        : v instanceof Uint8Array
          ? Buffer.from(v).toString('hex')
          : v,
    );
    if (!cache.has(key)) cache.set(key, module.signReceipt(...args));
    return cache.get(key);
  };
  return { ...module, signReceipt };
};
