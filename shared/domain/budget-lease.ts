/**
 * Leases of a shared budget (the global hour) taken in chunks by its holders (platforms), so a
 * tip reserves on its own platform's items and the shared item is written once per chunk, not
 * once per tip: concurrent platforms never contend on one counter.
 *
 * A lease keeps one counter, `netMsat` = what its tips hold − what the shared budget granted it
 * (never above 0), and `grantedMsat`. A tip fits when `netMsat + amount ≤ 0`; a release lowers
 * `netMsat` by what it releases, so it goes back to the lease it came from; a grant lowers it by
 * the chunk. The shared budget records every grant per holder (`leased` in all, never above its
 * limit), and a lease catches up to its holder's recorded total: a grant whose lease update was
 * lost (a crash in between) is applied by the holder's next growth, never twice, never lost.
 */

/** One holder's lease of a shared budget. */
export interface Lease {
  /** What the shared budget has granted this lease in all, msat. */
  grantedMsat: bigint;
  /** What the lease's tips hold minus `grantedMsat`: ≤ 0; its room is `-netMsat`. */
  netMsat: bigint;
}

/** A lease grows to at most this fraction of the limit per grant. */
const CHUNKS_PER_LIMIT = 100n;
/** When the shared budget runs low, a grant takes at most this fraction of what is left. */
const SHARE_OF_REMAINING = 4n;
/** A lease's first grant has room for this many tips like the one that asked. */
const FIRST_GRANT_TIPS = 4n;

/** How much more the lease must be granted for `amountMsat` to fit in it (0 if it fits). */
export const leaseShortfallMsat = (lease: Lease, amountMsat: bigint): bigint => {
  const short = lease.netMsat + amountMsat;
  return short > 0n ? short : 0n;
};

/**
 * The chunk the shared budget grants a lease that is `shortfallMsat` short. A lease grows with its
 * holder's use: room for a few tips like this one at first, then as much as it was granted so far
 * (doubling), at most a hundredth of the limit, and a quarter of what is left once the shared
 * budget runs low; never less than the shortfall, never more than is left. So a platform that
 * sends one tip leases little, a busy one writes the shared item once per hundredth of the limit,
 * and what an idle lease strands is at most about what its holder used. `undefined` when what is
 * left cannot cover the shortfall (over budget).
 */
export const leaseGrantMsat = ({
  limitMsat,
  leasedMsat,
  lease,
  shortfallMsat,
}: {
  limitMsat: bigint;
  /** Granted to all leases so far. */
  leasedMsat: bigint;
  /** The lease that is short. */
  lease: Lease;
  shortfallMsat: bigint;
}): bigint | undefined => {
  const remaining = limitMsat - leasedMsat;
  if (shortfallMsat <= 0n || shortfallMsat > remaining) return undefined;
  const growth = max(lease.grantedMsat, shortfallMsat * FIRST_GRANT_TIPS);
  const chunk = min(growth, min(limitMsat / CHUNKS_PER_LIMIT, remaining / SHARE_OF_REMAINING));
  return min(remaining, max(chunk, shortfallMsat));
};

/**
 * The lease once it has caught up with `grantedTotalMsat`, the total the shared budget records
 * for its holder; `undefined` if it already has (grants only grow, so an older total is no news).
 */
export const leaseCaughtUp = (lease: Lease, grantedTotalMsat: bigint): Lease | undefined =>
  grantedTotalMsat > lease.grantedMsat
    ? {
        grantedMsat: grantedTotalMsat,
        netMsat: lease.netMsat - (grantedTotalMsat - lease.grantedMsat),
      }
    : undefined;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
