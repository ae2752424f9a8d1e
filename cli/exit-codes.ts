/**
 * Exit codes of the tipstream CLI. Scripts rely on them, so they only ever gain new values; the
 * README and `tipstream --help` list the same table.
 */
export const EXIT = {
  /** Everything asked for happened (a tip paid, every payout row paid, a receipt valid). */
  OK: 0,
  /** It ran, but the outcome is a failure: a tip or payout rows FAILED, a receipt does not verify. */
  FAILED: 1,
  /** Bad arguments or input (a bad payout row, an unknown node name), or the API refused it (4xx). */
  USAGE: 2,
  /** Nothing to talk to: no API configured, the API or the stack does not answer, or it failed (5xx). */
  UNREACHABLE: 3,
  /** The API refused the platform or its signature (401): wrong platform id or secret. */
  AUTH: 4,
  /** Over budget (429): the platform's daily or the operator's hourly limit; retry later. */
  BUDGET: 5,
  /** Still not final when the wait ran out (--wait, --timeout); nothing failed. */
  PENDING: 6,
  /** Ctrl-C while watching or waiting: detached, the payout or tip keeps going on the server. */
  DETACHED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table printed by `--help` and kept in the README. */
export const EXIT_CODE_HELP = `Exit codes:
  0    ok: the tip was paid, every payout row succeeded, the receipt verifies
  1    failed: a tip or some payout rows FAILED (reasons printed), a receipt does not verify,
       a dead letter could not be moved
  2    usage or validation error: bad arguments or input file, the API refused the request (4xx)
  3    cannot reach the API, the local stack or DynamoDB/SQS, or nothing is configured (5xx too)
  4    authentication refused (401): wrong platform id or secret
  5    over budget (429): the platform's daily or the operator's hourly limit; retry later
  6    still pending when --wait/--timeout ran out
  130  Ctrl-C while watching a payout or waiting for a tip: detached, it keeps running
       (resume with "payout status <batchId>" or "status <tipId> --wait"); also Ctrl-C while a
       request is sent (the error prints how to retry it) or during "dlq redrive"`;
