/**
 * The budget leases under interleaving: the real intake adapter (`createDynamoIntakeStore`) on the
 * DynamoDB model, several platforms accepting tips at once against a small global hour, every
 * DynamoDB request of every request held until a fast-check schedule picks it, some answers lost
 * after they applied (the client retries the same tip), releases in between. After every step and
 * at the end: the global hour never leased past its limit, no lease holds more than it was
 * granted, every lease holds exactly what its live tips hold, grants are applied once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoIntakeStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { budgetReservations, type IntakePolicy } from '../../shared/app/accept-tip.js';
import type { AcceptedRequest, PlatformRecord } from '../../shared/ports/intake.js';
import { type DynamoFault, DynamoModel, TABLES } from './dynamo-model.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const big = (value: unknown) => BigInt(String(value ?? 0));

interface Pending {
  command: { constructor: { name: string }; input: Record<string, unknown> };
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const original = DynamoDBDocumentClient.prototype.send;
afterEach(() => {
  DynamoDBDocumentClient.prototype.send = original;
});

/** Lets every task run to its next DynamoDB request. */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

const scenario = fc.record({
  limitSats: fc.integer({ min: 1, max: 400 }),
  tips: fc.array(
    fc.record({
      platform: fc.nat(2),
      sats: fc.integer({ min: 1, max: 60 }),
      release: fc.boolean(),
    }),
    { minLength: 1, maxLength: 14 },
  ),
  schedule: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
  lostAnswers: fc.array(fc.nat(), { maxLength: 200 }),
});

describe('budget leases under interleaving (real intake adapter, DynamoDB model)', () => {
  it('never lease or hold past the limit, and release to the lease a tip came from', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limitSats, tips, schedule, lostAnswers }) => {
        const db = new DynamoModel();
        const pending: Pending[] = [];
        // biome-ignore lint/suspicious/noExplicitAny: replaces the SDK's overloaded send
        (DynamoDBDocumentClient.prototype as any).send = function send(command: any) {
          return new Promise((resolve, reject) => pending.push({ command, resolve, reject }));
        };
        const client = new DynamoDBClient({
          region: 'us-east-1',
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        });
        const intake = createDynamoIntakeStore(client, TABLES);
        const policy = { globalHourlyLimitMsat: BigInt(limitSats) * 1000n } as IntakePolicy;
        const platforms = [0, 1, 2].map(
          (i): PlatformRecord => ({
            platformId: `p${i}`,
            name: `P${i}`,
            secrets: [],
            dailyLimitSats: 1_000_000,
            createdAt: NOW.toISOString(),
          }),
        );

        const released = new Set<string>();
        /** The payer's release of a failed tip: its whole reservation back on each budget key. */
        const release = (tipId: string) => {
          const item = db.get(TABLES.requests, { tipId });
          if (!item || released.has(tipId)) return;
          released.add(tipId);
          item.released = true;
          for (const key of item.budgetKeys as string[]) {
            db.update(
              TABLES.budgets,
              { budgetKey: key },
              'ADD reservedMsat :release',
              {},
              {
                ':release': -Number(item.amountMsat),
              },
            );
          }
        };

        const accept = async (i: number) => {
          const tip = tips[i] as (typeof tips)[number];
          const platform = platforms[tip.platform] as PlatformRecord;
          const reservations = budgetReservations(platform, policy, NOW);
          const request: AcceptedRequest = {
            tipId: `t${i}`,
            platformId: platform.platformId,
            fingerprint: `f${i}`,
            message: '{}',
            amountMsat: BigInt(tip.sats) * 1000n,
            feeLimitMsat: 0n,
            budgetKeys: reservations.map((reservation) => reservation.key),
            acceptedAt: NOW.toISOString(),
          };
          // A client that got no answer sends the same request again.
          for (let attempt = 0; attempt < 4; attempt += 1) {
            try {
              const result = await intake.accept(request, reservations);
              if (result.status !== 'over-budget' && tip.release) release(request.tipId);
              return;
            } catch {}
          }
        };

        const problems = (final: boolean): string[] => {
          const found: string[] = [];
          const budgets = new Map(
            db.items(TABLES.budgets).map((item) => [String(item.budgetKey), item]),
          );
          const live = new Map<string, bigint>();
          for (const request of db.items(TABLES.requests)) {
            if (request.released) continue;
            for (const key of request.budgetKeys as string[])
              live.set(key, (live.get(key) ?? 0n) + big(request.amountMsat));
          }
          let liveTotal = 0n;
          for (const request of db.items(TABLES.requests))
            if (!request.released) liveTotal += big(request.amountMsat);
          if (liveTotal > policy.globalHourlyLimitMsat)
            found.push(`tips hold ${liveTotal} past the limit`);
          for (const [key, item] of budgets) {
            if (key.startsWith('global#')) {
              const grants = Object.entries(item).filter(([name]) => name.startsWith('grant#'));
              const leased = grants.reduce((sum, [, grant]) => sum + big(grant), 0n);
              if (big(item.reservedMsat) > policy.globalHourlyLimitMsat)
                found.push(`${key} leased ${item.reservedMsat} past the limit`);
              if (big(item.reservedMsat) !== leased)
                found.push(`${key}: ${item.reservedMsat} leased, grants sum to ${leased}`);
              for (const [name, grant] of grants) {
                const lease = budgets.get(name.slice('grant#'.length));
                if (big(lease?.grantedMsat) > big(grant))
                  found.push(`${name}: lease applied ${lease?.grantedMsat} of ${grant}`);
              }
            } else if (key.includes('#hour#')) {
              const held = big(item.reservedMsat) + big(item.grantedMsat);
              if (big(item.reservedMsat) > 0n) found.push(`${key} holds past its grant`);
              if (held !== (live.get(key) ?? 0n))
                found.push(`${key} holds ${held}, its live tips ${live.get(key) ?? 0n}`);
            }
          }
          if (final) {
            for (const [key, want] of live) {
              if (want > 0n && !budgets.has(key)) found.push(`${key} missing`);
            }
          }
          return found;
        };

        const running = tips.map((_, i) => accept(i));
        let done = false;
        void Promise.all(running).then(() => {
          done = true;
        });
        for (let step = 0; ; step += 1) {
          await settle();
          if (done && pending.length === 0) break;
          if (pending.length === 0) continue;
          const pick = schedule[step % schedule.length] ?? 0;
          const [next] = pending.splice(pick % pending.length, 1);
          if (!next) continue;
          const fault: DynamoFault = lostAnswers.includes(step) ? 'lost-answer' : 'none';
          try {
            next.resolve(db.apply(next.command, fault));
          } catch (error) {
            next.reject(error);
          }
          expect(problems(false)).toEqual([]);
        }
        expect(problems(true)).toEqual([]);
        client.destroy();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
