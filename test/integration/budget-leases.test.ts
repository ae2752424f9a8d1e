import { randomInt, randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiDeps } from '../../functions/api/runtime.js';
import { localServiceEnv } from '../../infra/local/emulators/service.js';
import { documentClient } from '../../shared/adapters/dynamodb/common.js';
import { acceptTip, type IntakeDeps } from '../../shared/app/accept-tip.js';
import { stackNode } from '../../shared/config/stack-file.js';
import type { PlatformRecord } from '../../shared/ports/intake.js';
import { TEST_TABLES, useApiOnly } from './helpers.js';

const stack = inject('stack');

/**
 * The global hourly limit across many platforms at once: `acceptTip` with the real intake adapter
 * on DynamoDB Local, each platform reserving on its own lease of the hour, grown from the global
 * item by conditional updates. The use case's clock is set to an hour of its own (a far future
 * one), so no other test has leased from it; over HTTP the signature check would refuse that
 * clock, and the HTTP path of budgets is api.test.ts's.
 */
describe('the global hourly budget leased to platforms (never overspent)', () => {
  const f = useApiOnly(stack, 'budget-leases');
  const hour = new Date(Date.UTC(2090, 0, 1) + randomInt(1_000_000) * 3_600_000);
  const hourKey = hour.toISOString().slice(0, 13);
  let deps: IntakeDeps & { close(): void };
  beforeAll(async () => {
    const api = createApiDeps(
      await localServiceEnv(stack, { TIPSTREAM_TIPS_QUEUE_URL: f.queueUrl }),
    );
    deps = {
      ...api,
      now: () => hour,
      // 1,000 sats an hour: room for exactly 50 tips of 10 sats with their 10-sat fee limits.
      policy: { ...api.policy, globalHourlyLimitMsat: 1_000_000n },
    };
  });
  afterAll(() => deps.close());

  it('accepts exactly what fits across 12 platforms sending 96 tips at once, and no more', async () => {
    const carol = stackNode(stack, 'carol').pubkey;
    const platforms = Array.from(
      { length: 12 },
      (_, k): PlatformRecord => ({
        platformId: `it-lease-${randomUUID().slice(0, 8)}-${k}`,
        name: `Lease ${k}`,
        secrets: [],
        dailyLimitSats: 1_000_000,
        createdAt: new Date().toISOString(),
      }),
    );
    const results = await Promise.all(
      platforms.flatMap((platform) =>
        Array.from({ length: 8 }, (_, i) =>
          acceptTip(
            {
              platform,
              idempotencyKey: randomUUID(),
              body: { recipientPubkey: carol, amountMsat: 10_000, message: `viewer ${i}` },
            },
            deps,
          ).then((result) => ({ platform, result })),
        ),
      ),
    );
    const kinds = results.map(({ result }) => result.kind);
    expect(kinds.filter((kind) => kind !== 'accepted' && kind !== 'over-budget')).toEqual([]);
    // Grants are never larger than a tip needs here (a hundredth of the limit is 10 sats), so
    // nothing is stranded in a lease: exactly the 50 that fit are accepted.
    expect(kinds.filter((kind) => kind === 'accepted')).toHaveLength(50);
    const refused = results.find(({ result }) => result.kind === 'over-budget')?.result;
    expect(refused).toMatchObject({ limit: 'global-hourly' });
    expect(refused && 'message' in refused && refused.message).toMatch(
      /global hourly limit of 1,000 sats would be exceeded/,
    );

    const doc = documentClient(f.clients.dynamodb);
    const counter = async (budgetKey: string) =>
      (
        await doc.send(
          new GetCommand({
            TableName: TEST_TABLES.budgets,
            Key: { budgetKey },
            ConsistentRead: true,
          }),
        )
      ).Item;
    const global = await counter(`global#hour#${hourKey}`);
    expect(global?.reservedMsat).toBe(1_000_000);
    let granted = 0;
    for (const platform of platforms) {
      const accepted = results.filter(
        (entry) => entry.platform === platform && entry.result.kind === 'accepted',
      ).length;
      const lease = await counter(`platform#${platform.platformId}#hour#${hourKey}`);
      // The lease holds exactly its accepted tips (net counter + grant) within its grant.
      expect(Number(lease?.reservedMsat ?? 0) + Number(lease?.grantedMsat ?? 0)).toBe(
        accepted * 20_000,
      );
      expect(Number(lease?.reservedMsat ?? 0)).toBeLessThanOrEqual(0);
      expect(global?.[`grant#platform#${platform.platformId}#hour#${hourKey}`] ?? 0).toBe(
        lease?.grantedMsat ?? 0,
      );
      granted += Number(lease?.grantedMsat ?? 0);
    }
    expect(granted).toBe(1_000_000);
  });
});
