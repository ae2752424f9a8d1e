/** Operator policy for paying tips: limits and fee budget. Every field has a sane default. */
export interface PayerPolicy {
  /** Largest tip accepted, msat. */
  maxTipMsat: bigint;
  /** Accept amounts that are not whole sats. */
  allowMsat: boolean;
  /** Fee budget: `feePpm` of the amount, but never less than `minFeeSats`. Never unlimited. */
  feePpm: number;
  minFeeSats: number;
  /** Most blocks an HTLC of ours may stay locked (max_timeout_height = height + this). */
  maxTimeoutBlocks: number;
  pathfindingTimeoutMs: number;
  /** Bytes of custom records a tip may carry (the onion's 1300 bytes are shared by all hops). */
  customRecordsBudgetBytes: number;
  /** Records of one batch paid at once. */
  concurrency: number;
  /** Leave this much of the Lambda's time for the ledger write after a payment settles. */
  deadlineMarginMs: number;
  /** The reconciler looks at tips SENDING for longer than this. */
  stuckAfterMs: number;
  /**
   * How long after an attempt's lease (its invocation's deadline) others still leave it alone:
   * covers clock skew between workers and the send's way to LND.
   */
  leaseGraceMs: number;
  /**
   * How long after a tip was created a failure its node's own state explains (channels not
   * forwarding yet after a restart) holds the tip back instead of failing it.
   */
  nodeRecoveryMs: number;
}
