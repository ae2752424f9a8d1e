import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { stackNode } from '../../shared/config/stack-file.js';
import {
  newTestPlatform,
  receivedBy,
  startApiOn,
  TEST_TABLES,
  useLocalService,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');

/**
 * The payer's limits stricter than the API's (an operator lowered the maximum after tips were
 * accepted): the API accepts with its limit (the default 1,000,000 sats), the payer on the same
 * queue allows 5 sats. A refused tip must still end: FAILED with the reason, budget released,
 * batch row counted, nothing sent.
 */
describe.runIf(stack.lightning.network === 'regtest')(
  'payer limits lowered after acceptance',
  () => {
    const f = useLocalService(stack, 'payer-policy', () => ({
      reconcileEveryMs: 0,
      apiPort: false,
      env: { TIPSTREAM_MAX_TIP_SATS: '5', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    }));
    let api: Awaited<ReturnType<typeof startApiOn>>;
    let platformId: string;
    const carol = () => stackNode(stack, 'carol').pubkey;
    const budget = async () => {
      const day = new Date().toISOString().slice(0, 10);
      const { Item } = await DynamoDBDocumentClient.from(f.clients.dynamodb).send(
        new GetCommand({
          TableName: TEST_TABLES.budgets,
          Key: { budgetKey: `platform#${platformId}#day#${day}` },
          ConsistentRead: true,
        }),
      );
      return Number(Item?.reservedMsat ?? 0);
    };

    beforeAll(async () => {
      const platform = await newTestPlatform(f.clients, 'it-policy', 1_000);
      platformId = platform.platformId;
      api = await startApiOn(f, platform, f.queueUrl, { TIPSTREAM_MAX_TIP_SATS: '1000000' });
    });
    afterAll(() => api?.close());

    it('a tip the payer refuses ends FAILED (REFUSED_BY_POLICY), its budget released, nothing sent', async () => {
      const accepted = await api.call('POST', '/v1/tips', {
        recipientPubkey: carol(),
        amountMsat: 10_000,
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      const tipId = String(accepted.body.tipId);

      const tip = await waitForTip(f.clients, tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip).toMatchObject({ state: 'FAILED', failureCode: 'REFUSED_BY_POLICY', attempt: 0 });
      expect(tip.failureReason).toMatch(/amountMsat/);
      const status = await api.call('GET', `/v1/tips/${encodeURIComponent(tipId)}`);
      expect(status.body).toMatchObject({
        status: 'FAILED',
        failure: { code: 'REFUSED_BY_POLICY' },
      });
      expect(await budget()).toBe(0);
      expect(await receivedBy(f.clients, 'carol', tip.paymentHash)).toEqual([]);
    });

    it('payout rows the payer refuses are counted failed: the batch finishes, its budget released', async () => {
      const csv = ['pubkey,amount_sats,memo', `${carol()},3,paid`, `${carol()},7,refused`].join(
        '\n',
      );
      const accepted = await api.call('POST', '/v1/payouts', csv, { contentType: 'text/csv' });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      const done = await waitFor(
        'the payout to finish',
        async () => {
          const { body } = await api.call('GET', `/v1/payouts/${accepted.body.batchId}`);
          return body.status === 'DONE' ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(done.counts).toEqual({ total: 2, succeeded: 1, failed: 1, pending: 0 });
      // The 3 sats paid and their fee stay reserved (spent); the refused 7 and their fee limit
      // are released.
      expect(await budget()).toBe(3_000 + Number(done.msat.fees));
    });
  },
);
