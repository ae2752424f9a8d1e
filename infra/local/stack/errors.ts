/**
 * Renders any thrown value readably. `lightning` rejects with `[code, 'PascalCaseCode', details]`
 * arrays whose details often hold a gRPC error with the real reason in `err.details`.
 */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) {
    const [code, message, details] = error as [
      unknown,
      unknown,
      { err?: { details?: string } } | undefined,
    ];
    const inner = details?.err?.details ?? (details ? JSON.stringify(details) : undefined);
    return `${message} (${code})${inner ? `: ${inner}` : ''}`;
  }
  return String(error);
};

/** Wraps a lightning-library error with what we were doing, keeping the original as cause. */
export const lightningError = (doing: string, error: unknown): Error =>
  new Error(`${doing}: ${describeError(error)}`, { cause: error });
