import type { MilliSats } from './brands.js';
import { preview } from './bytes.js';
import { AmountAboveMaximumError, ValidationError } from './errors.js';

/** Limits on a tip amount, from the operator's configuration. */
export type AmountPolicy = {
  /** Largest amount one tip may pay. */
  maxMsat: bigint;
  /** Whether sub-sat amounts may be sent (many wallets and ledgers only count whole sats). */
  allowMsat: boolean;
};

const MSAT_PER_SAT = 1000n;

/** An amount for an error message: a decimal string can be any length, the message cannot. */
const shown = (amount: bigint): string => preview(amount.toString(), 40);

/** Parses a positive msat amount from a safe-integer JSON number or a decimal string. */
export const parseAmountMsat = (
  raw: unknown,
  policy: AmountPolicy,
  field = 'amountMsat',
): MilliSats => {
  const amount = toBigInt(raw, field);
  if (amount < 0n) {
    throw new ValidationError(
      field,
      `${field} ${shown(amount)} is negative: send a positive amount`,
    );
  }
  if (amount === 0n) {
    throw new ValidationError(
      field,
      `${field} is 0: send at least 1 ${policy.allowMsat ? 'msat' : 'sat (1000 msat)'}`,
    );
  }
  if (amount > policy.maxMsat) {
    throw new AmountAboveMaximumError(
      field,
      `${field} ${shown(amount)} is above the per-tip maximum of ${policy.maxMsat} msat: send a smaller amount or split it`,
    );
  }
  if (!policy.allowMsat && amount % MSAT_PER_SAT !== 0n) {
    throw new ValidationError(
      field,
      `${field} ${shown(amount)} must be a whole number of sats (a multiple of 1000 msat)`,
    );
  }
  return amount as MilliSats;
};

const toBigInt = (raw: unknown, field: string): bigint => {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) {
      throw new ValidationError(field, `${field} ${raw} is not a whole number of msat`);
    }
    // Above 2^53 a JSON number has already been rounded by the parser: the amount we see may not
    // be the one that was meant.
    if (!Number.isSafeInteger(raw)) {
      throw new ValidationError(
        field,
        `${field} ${raw} is too large for an exact JSON number: send it as a decimal string`,
      );
    }
    return BigInt(raw);
  }
  if (typeof raw === 'string') {
    if (/^-[0-9]+$/.test(raw)) return BigInt(raw);
    if (!/^[0-9]+$/.test(raw)) {
      throw new ValidationError(
        field,
        `${field} "${preview(raw, 40)}" is not a decimal integer: send digits only, e.g. "21000"`,
      );
    }
    if (raw.length > 1 && raw.startsWith('0')) {
      throw new ValidationError(
        field,
        `${field} "${preview(raw, 40)}" has leading zeros: remove them`,
      );
    }
    return BigInt(raw);
  }
  throw new ValidationError(
    field,
    `${field} must be a number or a decimal string of msat, got ${raw === null ? 'null' : typeof raw}`,
  );
};
