import * as z from 'zod';
import type { TableNames } from '../adapters/dynamodb/tables.js';
import type { PayerPolicy } from '../domain/payer-policy.js';
import { readTableNames } from './tables.js';

const intFrom = (fallback: number, min = 0) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .optional()
    .transform((value) => value ?? fallback);

const EnvSchema = z.object({
  TIPSTREAM_MAX_TIP_SATS: intFrom(1_000_000, 1),
  TIPSTREAM_ALLOW_MSAT: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
  TIPSTREAM_FEE_PPM: intFrom(5_000),
  TIPSTREAM_MIN_FEE_SATS: intFrom(10),
  // lightning's keysend uses a final CLTV delta of 144 (+3 of slack): less cannot route.
  TIPSTREAM_MAX_TIMEOUT_BLOCKS: intFrom(1_008, 200),
  TIPSTREAM_PATHFINDING_TIMEOUT_MS: intFrom(30_000, 1_000),
  TIPSTREAM_CUSTOM_RECORDS_BUDGET_BYTES: intFrom(600, 0),
  TIPSTREAM_PAYER_CONCURRENCY: intFrom(4, 1),
  // At least LND's RPC timeout (10 s) plus the ledger write.
  TIPSTREAM_DEADLINE_MARGIN_MS: intFrom(15_000, 0),
  TIPSTREAM_STUCK_AFTER_SECONDS: intFrom(120, 1),
  TIPSTREAM_LEASE_GRACE_MS: intFrom(30_000, 0),
  TIPSTREAM_NODE_RECOVERY_SECONDS: intFrom(600, 0),
});

class PayerConfigError extends Error {
  override name = 'PayerConfigError';
}

/** Reads the payer's policy and table names from `TIPSTREAM_*` variables. */
export const readPayerConfig = (
  env: Record<string, string | undefined> = process.env,
): { policy: PayerPolicy; tables: TableNames } => {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PayerConfigError(
      `${issue?.path.join('.')} is invalid: ${issue?.message} (see README, "Payer configuration")`,
    );
  }
  const e = parsed.data;
  return {
    policy: {
      maxTipMsat: BigInt(e.TIPSTREAM_MAX_TIP_SATS) * 1000n,
      allowMsat: e.TIPSTREAM_ALLOW_MSAT,
      feePpm: e.TIPSTREAM_FEE_PPM,
      minFeeSats: e.TIPSTREAM_MIN_FEE_SATS,
      maxTimeoutBlocks: e.TIPSTREAM_MAX_TIMEOUT_BLOCKS,
      pathfindingTimeoutMs: e.TIPSTREAM_PATHFINDING_TIMEOUT_MS,
      customRecordsBudgetBytes: e.TIPSTREAM_CUSTOM_RECORDS_BUDGET_BYTES,
      concurrency: e.TIPSTREAM_PAYER_CONCURRENCY,
      deadlineMarginMs: e.TIPSTREAM_DEADLINE_MARGIN_MS,
      stuckAfterMs: e.TIPSTREAM_STUCK_AFTER_SECONDS * 1000,
      leaseGraceMs: e.TIPSTREAM_LEASE_GRACE_MS,
      nodeRecoveryMs: e.TIPSTREAM_NODE_RECOVERY_SECONDS * 1000,
    },
    tables: readTableNames(env),
  };
};

/**
 * How long a tip may stay in flight in LND before the reconciler asks LND for its full view and
 * flags it (`TIPSTREAM_FLAG_IN_FLIGHT_AFTER_SECONDS`, default 10 minutes: a keysend tip settles
 * in seconds, so anything this old is worth an operator's look).
 */
export const readFlagInFlightAfterMs = (
  env: Record<string, string | undefined> = process.env,
): number => {
  const parsed = intFrom(600, 1).safeParse(env.TIPSTREAM_FLAG_IN_FLIGHT_AFTER_SECONDS);
  if (!parsed.success) {
    throw new PayerConfigError(
      'TIPSTREAM_FLAG_IN_FLIGHT_AFTER_SECONDS is invalid: a whole number of seconds, at least 1',
    );
  }
  return parsed.data * 1000;
};
