/**
 * The budget reservation an accepted API request made for its tip, as the queue message carries
 * it beside the body (an SQS message attribute): the routing-fee limit reserved on top of the
 * amount and the budget counters reserved on. The payer checks it against the request's own record
 * inside the transaction that ends the tip, so it never has to read the request first; a tag that
 * does not match what the request records cancels that transaction, and the payer then reads the
 * request (the tag is a shortcut, never the authority).
 */
export interface ReservationTag {
  feeLimitMsat: bigint;
  budgetKeys: string[];
}

/** Generous bounds: a tag beyond them is not one the API wrote. */
const MAX_TAG_CHARS = 4_000;
const MAX_BUDGET_KEYS = 64;

/** The message attribute's value: compact JSON, msat as a decimal string. */
export const formatReservationTag = (tag: ReservationTag): string =>
  JSON.stringify({ feeLimitMsat: tag.feeLimitMsat.toString(), budgetKeys: tag.budgetKeys });

/**
 * Reads a message attribute's value; `undefined` for anything the API would not have written
 * (the payer then reads the request instead). Never throws.
 */
export const parseReservationTag = (raw: string): ReservationTag | undefined => {
  if (raw.length > MAX_TAG_CHARS) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { feeLimitMsat, budgetKeys, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof feeLimitMsat !== 'string' || !/^(0|[1-9][0-9]{0,24})$/.test(feeLimitMsat)) {
    return undefined;
  }
  if (
    !Array.isArray(budgetKeys) ||
    budgetKeys.length > MAX_BUDGET_KEYS ||
    !budgetKeys.every((key) => typeof key === 'string' && key.length > 0 && key.length <= 1024)
  ) {
    return undefined;
  }
  return { feeLimitMsat: BigInt(feeLimitMsat), budgetKeys: budgetKeys as string[] };
};
