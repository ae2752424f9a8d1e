import { UsageError } from '../errors.js';

/** Wraps a command's action: builds its context, runs it, records its exit code. */
// biome-ignore lint/suspicious/noExplicitAny: commander passes positional arguments untyped
export type ActionRunner = <A extends any[]>(
  action: (ctx: import('../context.js').CliContext, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

/** A whole, positive number of sats from a command-line argument. */
export const parseSats = (raw: string, what: string): bigint => {
  const text = raw.replaceAll('_', '');
  if (!/^[0-9]+$/.test(text) || /^0+$/.test(text)) {
    throw new UsageError(
      `${what} must be a whole number of sats greater than 0, got ${JSON.stringify(raw)}`,
    );
  }
  return BigInt(text);
};

/** A positive number of seconds. */
export const parseSeconds = (raw: string, what: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(
      `${what} must be a number of seconds greater than 0, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
};

/** A positive whole number. */
export const parsePositiveInt = (raw: string, what: string): number => {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(
      `${what} must be a whole number greater than 0, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
};
