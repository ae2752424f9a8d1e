import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureLocalKeys, startLocalService } from '../../infra/local/emulators/service.js';
import { LOCAL_TABLE_NAMES } from '../../shared/adapters/dynamodb/tables.js';
import { tableNameEnv } from '../../shared/config/tables.js';
import type { TipId } from '../../shared/domain/brands.js';
import { derivePreimage, paymentHashOf } from '../../shared/domain/preimage.js';
import {
  createTestQueue,
  type StackClients,
  stackClients,
  TEST_TABLES,
  tipRequest,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');

/**
 * `npm test` beside a running `npm start`: the service's reconciler reads the service's tables,
 * the tests write their own (vitest.config.ts), so it never drives a test's tip.
 */
describe.runIf(stack.lightning.network === 'regtest')(
  'tests are isolated from a running service',
  () => {
    let clients: StackClients;
    beforeAll(async () => {
      clients = await stackClients(stack);
    });
    afterAll(() => clients?.destroy());

    /** A tip in the tests' table, SENDING with its lease long over: any reconciler would take it. */
    const abandonedTip = async () => {
      const request = tipRequest(stack, 'carol', { amountMsat: 1_000 });
      const keys = await ensureLocalKeys(stack.runDir);
      const key = Buffer.from(keys.preimageKeys.split(':')[1] ?? '', 'hex');
      const hash = Buffer.from(paymentHashOf(derivePreimage(key, request.tipId as TipId)));
      const { record } = await clients.ledger.createTip(
        {
          tipId: request.tipId,
          fingerprint: 'isolation-test',
          platformId: request.platformId,
          recipient: request.recipientPubkey,
          amountMsat: 1_000n,
          records: [],
          paymentHash: hash.toString('hex'),
          keyVersion: keys.preimageKeyVersion,
        },
        new Date(),
      );
      const past = new Date(Date.now() - 3_600_000);
      return clients.ledger.markSending(
        record.tipId,
        'RECEIVED',
        0,
        record.paymentHash,
        past,
        past,
      );
    };

    const reconcilerOn = async (env: Record<string, string>) =>
      startLocalService(stack, {
        queueUrl: (await createTestQueue(clients, 'isolation')).queueUrl,
        apiPort: false,
        reconcileEveryMs: 300,
        env: {
          TIPSTREAM_STUCK_AFTER_SECONDS: '1',
          TIPSTREAM_LEASE_GRACE_MS: '0',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          ...env,
        },
      });

    it('the tests use tables of their own (all but the platforms)', () => {
      for (const key of ['tips', 'payouts', 'batches', 'requests', 'budgets'] as const) {
        expect(TEST_TABLES[key]).not.toBe(LOCAL_TABLE_NAMES[key]);
      }
    });

    it("the service's reconciler leaves a test's abandoned tip alone; the tests' own reconciler finishes it", async () => {
      const tip = await abandonedTip();
      await sleep(1_100);
      // As `npm start` runs it: on the service's tables.
      const service = await reconcilerOn(tableNameEnv(LOCAL_TABLE_NAMES));
      try {
        await sleep(3_000);
      } finally {
        await service.stop();
      }
      expect(await clients.ledger.getTip(tip.tipId)).toMatchObject({
        state: 'SENDING',
        attempt: 1,
        updatedAt: tip.updatedAt,
      });

      // The control: a reconciler on the tests' tables takes it over (LND never saw the hash: paid).
      const own = await reconcilerOn({});
      try {
        const done = await waitForTip(clients, tip.tipId, ['SUCCEEDED', 'FAILED'], 30_000);
        expect(done.state).toBe('SUCCEEDED');
        expect(done.attempt).toBe(2);
      } finally {
        await own.stop();
      }
    }, 60_000);
  },
);
