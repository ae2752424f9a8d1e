import { EXIT, type ExitCode } from './exit-codes.js';

/** An RFC 9457 problem as the Tipstream API answers it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ field?: string; line?: number; message: string }>;
}

/** An error the CLI reports and exits with; `hint` says what to do about it. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  readonly hint?: string;

  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions & { hint?: string }) {
    super(message, options);
    this.exitCode = exitCode;
    this.hint = options?.hint;
  }
}

/** Bad arguments or input: exit 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions & { hint?: string }) {
    super(message, EXIT.USAGE, options);
  }
}

/** Nothing configured, or the API/stack does not answer: exit 3. */
export class UnreachableError extends CliError {
  override name = 'UnreachableError';
  constructor(message: string, options?: ErrorOptions & { hint?: string }) {
    super(message, EXIT.UNREACHABLE, options);
  }
}

/** The exit code for an HTTP error status of the API. */
export const exitCodeForStatus = (status: number): ExitCode => {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 429) return EXIT.BUDGET;
  if (status >= 500) return EXIT.UNREACHABLE;
  return EXIT.USAGE;
};

const slug = (type: string | undefined) =>
  type?.replace(/^https:\/\/tipstream\.dev\/problems\//, '');

const HINTS: Record<string, string> = {
  // Tipstream answers an unknown platform as it answers a wrong secret: either may be wrong.
  'bad-signature':
    'check --platform / TIPSTREAM_PLATFORM_ID and that the secret (TIPSTREAM_PLATFORM_SECRET or --secret-file) is an active one of that platform; "tipstream platform rotate-secret <id>" issues a new one',
  'stale-timestamp': "the request is signed with this machine's clock: check it (e.g. timedatectl)",
  'idempotency-conflict':
    'this Idempotency-Key was already used for different content: pass another --idempotency-key',
  'budget-platform-daily': 'the platform daily limit resets at 00:00 UTC',
  'budget-global-hourly': "the operator's hourly limit resets at the top of the hour",
  'body-too-large': 'split the file into smaller ones',
};

/** The API answered with a problem (4xx/5xx); the exit code follows its status. */
export class ApiProblemError extends CliError {
  override name = 'ApiProblemError';
  readonly status: number;
  readonly problem: Problem;
  readonly retryAfterSeconds?: number;

  constructor(status: number, problem: Problem, retryAfterSeconds?: number) {
    const type = slug(problem.type);
    super(
      `the API refused the request: ${status} ${problem.title ?? 'error'}${type ? ` (${type})` : ''}: ${problem.detail ?? 'no detail given'}`,
      exitCodeForStatus(status),
      {
        hint:
          (type && HINTS[type]) ??
          (retryAfterSeconds ? `retry in ${retryAfterSeconds} s` : undefined),
      },
    );
    this.status = status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The problem's slug, e.g. `invalid-rows`. */
  get slug(): string | undefined {
    return slug(this.problem.type);
  }
}
