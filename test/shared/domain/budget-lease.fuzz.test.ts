import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Lease,
  leaseCaughtUp,
  leaseGrantMsat,
  leaseShortfallMsat,
} from '../../../shared/domain/budget-lease.js';

/** What a lease's tips hold: its net counter plus its grant. */
const leaseHeldMsat = (lease: Lease): bigint => lease.netMsat + lease.grantedMsat;

describe('leaseGrantMsat', () => {
  it.each([
    // Room for four tips like the one that asked, then doubling, up to a hundredth of the limit.
    { grantedMsat: 0n, leasedMsat: 0n, shortfallMsat: 1n, grant: 4n },
    { grantedMsat: 0n, leasedMsat: 0n, shortfallMsat: 1_000n, grant: 4_000n },
    { grantedMsat: 6_000n, leasedMsat: 0n, shortfallMsat: 1n, grant: 6_000n },
    { grantedMsat: 50_000n, leasedMsat: 0n, shortfallMsat: 1n, grant: 10_000n },
    // Never less than the shortfall.
    { grantedMsat: 0n, leasedMsat: 0n, shortfallMsat: 25_000n, grant: 25_000n },
    // A quarter of what is left once that is less.
    { grantedMsat: 50_000n, leasedMsat: 980_000n, shortfallMsat: 1n, grant: 5_000n },
    { grantedMsat: 0n, leasedMsat: 999_990n, shortfallMsat: 3n, grant: 3n },
    // Exactly what is left, then nothing.
    { grantedMsat: 0n, leasedMsat: 999_990n, shortfallMsat: 10n, grant: 10n },
    { grantedMsat: 0n, leasedMsat: 999_990n, shortfallMsat: 11n, grant: undefined },
    { grantedMsat: 0n, leasedMsat: 1_000_000n, shortfallMsat: 1n, grant: undefined },
    // Nothing short: nothing to grant.
    { grantedMsat: 0n, leasedMsat: 0n, shortfallMsat: 0n, grant: undefined },
  ])(
    'limit 1,000,000, lease granted $grantedMsat, $leasedMsat leased, $shortfallMsat short → $grant',
    (row) => {
      expect(
        leaseGrantMsat({
          limitMsat: 1_000_000n,
          leasedMsat: row.leasedMsat,
          lease: { grantedMsat: row.grantedMsat, netMsat: -row.grantedMsat },
          shortfallMsat: row.shortfallMsat,
        }),
      ).toBe(row.grant);
    },
  );
});

describe('leaseCaughtUp', () => {
  it('applies what the shared budget recorded since, once', () => {
    const lease: Lease = { grantedMsat: 100n, netMsat: -30n };
    expect(leaseCaughtUp(lease, 250n)).toEqual({ grantedMsat: 250n, netMsat: -180n });
    expect(leaseCaughtUp(lease, 100n)).toBeUndefined();
    expect(leaseCaughtUp(lease, 90n)).toBeUndefined();
  });
});

const ops = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('reserve' as const),
      holder: fc.nat(3),
      amountMsat: fc.bigInt(1n, 400n),
    }),
    fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant('grant' as const),
      holder: fc.nat(3),
      amountMsat: fc.bigInt(1n, 400n),
      lose: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('catch-up' as const), holder: fc.nat(3) }),
  ),
  { maxLength: 120 },
);

/**
 * A shared budget and its leases driven by any sequence of reserve / release / catch-up steps of
 * any holders, applied the way the adapter applies them (each step atomic on one item, the steps
 * of one growth apart, so another holder's steps and lost lease updates fall in between).
 */
describe('leases of a shared budget, under any sequence of steps', () => {
  it('never grant or hold past the limit, release exactly, and accept a tip only where it fits', () => {
    fc.assert(
      fc.property(fc.bigInt(1n, 2_000n), ops, (limitMsat, steps) => {
        let leasedMsat = 0n;
        const recorded = [0n, 0n, 0n, 0n];
        const leases: Lease[] = recorded.map(() => ({ grantedMsat: 0n, netMsat: 0n }));
        const held: Array<{ holder: number; amountMsat: bigint }> = [];
        for (const op of steps) {
          if (op.kind === 'reserve') {
            const lease = leases[op.holder] as Lease;
            if (leaseShortfallMsat(lease, op.amountMsat) === 0n) {
              lease.netMsat += op.amountMsat;
              held.push({ holder: op.holder, amountMsat: op.amountMsat });
            }
          } else if (op.kind === 'release' && held.length > 0) {
            const [tip] = held.splice(op.pick % held.length, 1);
            if (tip) (leases[tip.holder] as Lease).netMsat -= tip.amountMsat;
          } else if (op.kind === 'grant') {
            const lease = leases[op.holder] as Lease;
            const grant = leaseGrantMsat({
              limitMsat,
              leasedMsat,
              lease,
              shortfallMsat: leaseShortfallMsat(lease, op.amountMsat),
            });
            if (grant !== undefined) {
              expect(grant).toBeGreaterThanOrEqual(leaseShortfallMsat(lease, op.amountMsat));
              leasedMsat += grant;
              recorded[op.holder] = (recorded[op.holder] as bigint) + grant;
              // A lost lease update: the grant stays recorded, the lease catches up later.
              if (!op.lose) {
                leases[op.holder] = leaseCaughtUp(lease, recorded[op.holder] as bigint) ?? lease;
              }
            }
          } else if (op.kind === 'catch-up') {
            const lease = leases[op.holder] as Lease;
            leases[op.holder] = leaseCaughtUp(lease, recorded[op.holder] as bigint) ?? lease;
          }
          // Never overspent: what leases hold ≤ what they were granted ≤ the limit.
          expect(leasedMsat).toBeLessThanOrEqual(limitMsat);
          const liveMsat = held.reduce((sum, tip) => sum + tip.amountMsat, 0n);
          expect(liveMsat).toBeLessThanOrEqual(limitMsat);
          leases.forEach((lease, holder) => {
            expect(lease.netMsat).toBeLessThanOrEqual(0n);
            expect(lease.grantedMsat).toBeLessThanOrEqual(recorded[holder] as bigint);
            const mine = held.filter((tip) => tip.holder === holder);
            expect(leaseHeldMsat(lease)).toBe(mine.reduce((sum, tip) => sum + tip.amountMsat, 0n));
          });
          expect(recorded.reduce((sum, grant) => sum + grant, 0n)).toBe(leasedMsat);
        }
        // Every release back where it came from: with all released, each lease holds nothing and
        // has its whole grant as room once it caught up.
        for (const tip of held.splice(0)) (leases[tip.holder] as Lease).netMsat -= tip.amountMsat;
        leases.forEach((lease, holder) => {
          const caught = leaseCaughtUp(lease, recorded[holder] as bigint) ?? lease;
          expect(leaseHeldMsat(caught)).toBe(0n);
          expect(-caught.netMsat).toBe(recorded[holder]);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('grants what is short whenever what is left covers it, and nothing past the limit', () => {
    fc.assert(
      fc.property(
        fc.bigInt(1n, 10n ** 15n),
        fc.bigInt(0n, 10n ** 15n),
        fc.bigInt(0n, 10n ** 15n),
        fc.bigInt(0n, 10n ** 15n),
        (limitMsat, leasedRaw, shortfallMsat, grantedMsat) => {
          const leasedMsat = leasedRaw > limitMsat ? limitMsat : leasedRaw;
          const lease = { grantedMsat, netMsat: -grantedMsat };
          const grant = leaseGrantMsat({ limitMsat, leasedMsat, lease, shortfallMsat });
          const remaining = limitMsat - leasedMsat;
          if (shortfallMsat === 0n || shortfallMsat > remaining) {
            expect(grant).toBeUndefined();
          } else {
            expect(grant).toBeGreaterThanOrEqual(shortfallMsat);
            expect(grant).toBeLessThanOrEqual(remaining);
          }
        },
      ),
    );
  });
});
