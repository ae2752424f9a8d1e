/** How the routing fee of one payment is capped: never unlimited. */
export interface FeePolicy {
  /** Parts per million of the amount. */
  feePpm: number;
  /** Never less than this, sats (small tips need a floor to route at all). */
  minFeeSats: number;
}

/** The fee budget for one payment: ppm of the amount, at least the minimum, in msat. */
export const maxFeeMsat = (amountMsat: bigint, policy: FeePolicy): bigint => {
  const proportional = (amountMsat * BigInt(policy.feePpm)) / 1_000_000n;
  const floor = BigInt(policy.minFeeSats) * 1000n;
  return proportional > floor ? proportional : floor;
};
