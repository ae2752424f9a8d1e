import { ByteLengthError } from './errors.js';

/** Asserts `bytes` is a Uint8Array of exactly `length` bytes. */
export const assertBytes = (bytes: unknown, length: number, field: string): Uint8Array => {
  if (!(bytes instanceof Uint8Array)) {
    const got = bytes === null ? 'null' : typeof bytes;
    throw new ByteLengthError(field, `a Uint8Array of ${length} bytes`, got);
  }
  if (bytes.length !== length) {
    throw new ByteLengthError(field, `exactly ${length} bytes`, bytes.length);
  }
  return bytes;
};

/** Shortens untrusted input for an error message. */
export const preview = (raw: string, max = 70): string =>
  raw.length <= max ? raw : `${raw.slice(0, max)}… (${raw.length} chars)`;
