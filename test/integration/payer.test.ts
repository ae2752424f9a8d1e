import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getPayment } from 'lightning';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalService } from '../../infra/local/emulators/service.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import {
  createTestQueue,
  enqueue,
  receivedBy,
  type StackClients,
  stackClients,
  TEST_TABLES,
  tipRequest,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');
const utf8Hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

describe.runIf(stack.lightning.network === 'regtest')('payer on the real stack', () => {
  let clients: StackClients;
  let services: Array<Awaited<ReturnType<typeof startLocalService>>> = [];
  let receiptPubkey: string;
  let queueUrl: string;

  beforeAll(async () => {
    clients = await stackClients(stack);
    ({ queueUrl } = await createTestQueue(clients, 'payer-test'));
    // Three pollers, like three concurrent Lambda instances on one queue.
    services = await Promise.all(
      [1, 2, 3].map(() =>
        startLocalService(stack, {
          reconcileEveryMs: 0,
          batchSize: 10,
          // A copy that finds another invocation's attempt in progress comes back within seconds.
          visibilityTimeoutSeconds: 5,
          queueUrl,
          env: { TIPSTREAM_MAX_TIP_SATS: '10000000', TIPSTREAM_PAYER_CONCURRENCY: '10' },
        }),
      ),
    );
    const { secp } = await import('../../shared/domain/secp.js');
    receiptPubkey = Buffer.from(
      secp.schnorr.getPublicKey(
        Buffer.from(services[0]?.env.TIPSTREAM_RECEIPT_PRIVATE_KEY ?? '', 'hex'),
      ),
    ).toString('hex');
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    clients?.destroy();
  });

  it('pays a tip to carol once, with its records; ledger and receipt match carol’s view', async () => {
    const request = tipRequest(stack, 'carol', {
      amountMsat: 21_000_000,
      message: 'great stream! ⚡',
      boostagram: { action: 'boost', app_name: 'Tipstream tests', value_msat_total: 21_000_000 },
      customRecord: { type: '696969', value: 'carol-wallet-7' },
      senderName: 'satoshi',
      batchId: `it-batch-${Date.now()}`,
    });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip.state).toBe('SUCCEEDED');

    const invoices = await receivedBy(clients, 'carol', tip.paymentHash);
    expect(invoices).toHaveLength(1);
    const invoice = invoices[0];
    expect(invoice?.is_confirmed).toBe(true);
    expect(invoice?.received_mtokens).toBe('21000000');
    const records = invoice?.payments.flatMap((payment) => payment.messages) ?? [];
    expect(records).toContainEqual({ type: '34349334', value: utf8Hex('great stream! ⚡') });
    expect(records).toContainEqual({ type: '696969', value: utf8Hex('carol-wallet-7') });
    const boost = records.find((record) => record.type === '7629169');
    expect(JSON.parse(Buffer.from(boost?.value ?? '', 'hex').toString('utf8'))).toMatchObject({
      action: 'boost',
      app_name: 'Tipstream tests',
      value_msat_total: 21_000_000,
      sender_name: 'satoshi',
    });

    const signed = JSON.parse(tip.receipt ?? '{}');
    expect(verifyReceipt(signed, receiptPubkey)).toEqual({ ok: true });
    expect(signed.receipt).toMatchObject({
      tipId: request.tipId,
      recipient: stackNode(stack, 'carol').pubkey,
      amountMsat: '21000000',
      paymentHash: tip.paymentHash,
      preimage: invoice?.secret,
      hops: [stackNode(stack, 'bob').pubkey, stackNode(stack, 'carol').pubkey],
      attempts: 1,
    });
    const sent = await getPayment({ lnd: clients.lnd.alice as never, id: tip.paymentHash });
    expect(signed.receipt.feeMsat).toBe(sent.payment?.fee_mtokens);
    const totals = await clients.ledger.getRecipientTotals(stackNode(stack, 'carol').pubkey);
    expect(totals?.paidMsat).toBeGreaterThanOrEqual(21_000_000n);
    const { Item: batch } = await DynamoDBDocumentClient.from(clients.dynamodb).send(
      new GetCommand({ TableName: TEST_TABLES.batches, Key: { batchId: request.batchId } }),
    );
    expect(batch).toMatchObject({ succeededCount: 1, succeededMsat: 21_000_000 });
  });

  it('pays frank, who is not in the graph (private channel from alice only), once, with his records', async () => {
    const request = tipRequest(stack, 'frank', { amountMsat: 2_000_000, message: 'private hello' });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
    const received = await receivedBy(clients, 'frank', tip.paymentHash);
    expect(received).toHaveLength(1);
    expect(received[0]?.received_mtokens).toBe('2000000');
    const message = received[0]?.payments[0]?.messages.find((record) => record.type === '34349334');
    expect(Buffer.from(message?.value ?? '', 'hex').toString('utf8')).toBe('private hello');
  });

  it('fails a tip to erin (no keysend) with a readable reason, and does not retry it', async () => {
    const request = tipRequest(stack, 'erin');
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip).toMatchObject({
      state: 'FAILED',
      failureCode: 'REJECTED_BY_DESTINATION',
      attempt: 1,
    });
    expect(tip.failureReason).toMatch(/does not accept keysend/);
    expect(await receivedBy(clients, 'erin', tip.paymentHash)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await clients.ledger.getTip(request.tipId))?.attempt).toBe(1);
  });

  it('fails a tip larger than the route can carry, the same way', async () => {
    // bob → dave is a 5,000,000 sat channel: 6,000,000 sats cannot pass.
    const request = tipRequest(stack, 'dave', { amountMsat: 6_000_000_000 });
    await enqueue(queueUrl, clients, [request]);
    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip).toMatchObject({ state: 'FAILED', failureCode: 'NO_ROUTE', attempt: 1 });
    expect(tip.failureReason).toMatch(/no route/);
  });

  it.each(['plain', 'shared-secret'] as const)(
    'pays a %s tip enqueued 50 times, processed concurrently, exactly once',
    async (mode) => {
      const request = tipRequest(stack, 'carol', {
        amountMsat: 5_000_000,
        ...(mode === 'shared-secret' ? { authentication: 'shared-secret' } : {}),
      });
      await enqueue(
        queueUrl,
        clients,
        Array.from({ length: 50 }, () => request),
      );
      const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state).toBe('SUCCEEDED');
      await waitFor(
        'the queue to drain',
        async () => {
          const { Attributes } = await clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: queueUrl,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
              ],
            }),
          );
          return (
            Attributes?.ApproximateNumberOfMessages === '0' &&
            Attributes?.ApproximateNumberOfMessagesNotVisible === '0'
          );
        },
        { timeoutMs: 60_000 },
      );
      const invoices = await receivedBy(clients, 'carol', tip.paymentHash);
      expect(invoices).toHaveLength(1);
      expect(invoices[0]?.received_mtokens).toBe('5000000');
      expect(invoices[0]?.payments.filter((payment) => payment.is_confirmed)).toHaveLength(1);
      expect(tip.preimageDerivation).toBe(mode === 'shared-secret' ? 'ecdh-v1' : undefined);
    },
  );

  it('rejects the same tipId with a different amount, and pays nothing more', async () => {
    const request = tipRequest(stack, 'dave', { amountMsat: 2_000_000 });
    await enqueue(queueUrl, clients, [request]);
    const paid = await waitForTip(clients, request.tipId, ['SUCCEEDED']);
    await enqueue(queueUrl, clients, [{ ...request, amountMsat: 9_000_000 }]);
    const doc = DynamoDBDocumentClient.from(clients.dynamodb);
    const rejection = await waitFor('the conflict to be recorded', async () => {
      // Rejections are keyed by message id: scan every page for the one naming this tip.
      let cursor: Record<string, unknown> | undefined;
      do {
        const { Items = [], LastEvaluatedKey } = await doc.send(
          new ScanCommand({
            TableName: TEST_TABLES.tips,
            FilterExpression: 'claimedTipId = :id',
            ExpressionAttributeValues: { ':id': request.tipId },
            ExclusiveStartKey: cursor,
          }),
        );
        if (Items[0]) return Items[0];
        cursor = LastEvaluatedKey;
      } while (cursor);
      return undefined;
    });
    expect(rejection.reason).toMatch(/already used for a different tip/);
    const invoices = await receivedBy(clients, 'dave', paid.paymentHash);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.received_mtokens).toBe('2000000');
    expect((await clients.ledger.getTip(request.tipId))?.amountMsat).toBe(2_000_000n);
  });

  it('never lets a poison message block the rest of its batch', async () => {
    const good = tipRequest(stack, 'dave', { amountMsat: 3_000_000 });
    const wrongSchema = { ...tipRequest(stack, 'dave'), version: 7 };
    const offCurve = tipRequest(stack, 'dave', { recipientPubkey: `02${'f'.repeat(64)}` });
    await enqueue(queueUrl, clients, ['{not json', wrongSchema, good, offCurve]);
    const tip = await waitForTip(clients, good.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip.state).toBe('SUCCEEDED');
    for (const bad of [wrongSchema, offCurve])
      expect(await clients.ledger.getTip(bad.tipId)).toBeUndefined();
  });
});
