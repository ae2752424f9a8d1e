import type { ApiClient, ApiRequestOptions, ApiResponse } from '../api-client.js';
import type { CliContext } from '../context.js';
import { ApiProblemError, CliError, UnreachableError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

/** Wraps a command's action: builds its context, runs it, records its exit code. */
// biome-ignore lint/suspicious/noExplicitAny: commander passes positional arguments untyped
export type ActionRunner = <A extends any[]>(
  action: (ctx: CliContext, ...args: A) => Promise<void>,
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

/**
 * Ctrl-C at a moment the command cannot detach cleanly (a request in flight): says what to do
 * on stderr, gives a --json run its one document, and exits 130.
 */
export const exitInterrupted = (
  ctx: CliContext,
  message: string,
  details: Record<string, unknown> = {},
): never => {
  ctx.io.stderr.write(`\n${message}\n`);
  if (ctx.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ ok: false, exitCode: EXIT.DETACHED, error: message, ...details }, null, 2)}\n`,
    );
  }
  process.exit(EXIT.DETACHED);
};

/**
 * POSTs a request that pays (a tip, a split). When its outcome is unknown (no answer, a 5xx,
 * Ctrl-C while it is in flight) it may have been accepted, and a new run would use a new
 * Idempotency-Key and pay again: the error names the key that retries it safely.
 */
export const postPayment = async <T>(
  ctx: CliContext,
  api: ApiClient,
  path: string,
  options: ApiRequestOptions & { idempotencyKey: string },
): Promise<ApiResponse<T>> => {
  const key = options.idempotencyKey;
  const retry = `to retry it without paying twice, run the same command again with --idempotency-key ${key} (without it, it is sent as a new payment)`;
  const onSigint = () =>
    exitInterrupted(ctx, `interrupted while sending: it may have been accepted. ${retry}`, {
      idempotencyKey: key,
    });
  process.on('SIGINT', onSigint);
  try {
    return await api.post<T>(path, options);
  } catch (error) {
    const unknownOutcome =
      error instanceof UnreachableError ||
      (error instanceof ApiProblemError && error.status >= 500);
    if (!unknownOutcome) throw error;
    throw new CliError(error.message, error.exitCode, {
      cause: error,
      hint: `it may have been accepted; ${retry}`,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
};
