import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { getInvoices, getNetworkGraph, getWalletInfo, payViaPaymentDetails } from 'lightning';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPaths } from '../../infra/local/stack/config.js';
import { createQueuePair, localSqsClient } from '../../infra/local/stack/elasticmq.js';
import { connectLnd } from '../../infra/local/stack/lnd.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { TEST_STORAGE_PREFIX } from './test-storage.js';

const stack = inject('stack');
const KEYSEND_RECORD = '5482373484';
const TEXT_MESSAGE_RECORD = '34349334';
const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.runIf(stack.lightning.network === 'regtest')('regtest Lightning network', () => {
  const connect = (name: string) => connectLnd(stackNode(stack, name));

  it('is the topology the tests rely on: alice → bob → carol/dave/erin/grace (two channels), alice ⇢ frank (private), graph synced', async () => {
    const alice = await connect('alice');
    const info = await getWalletInfo({ lnd: alice });
    expect(info.public_key).toBe(stackNode(stack, 'alice').pubkey);
    expect(info.is_synced_to_chain).toBe(true);
    expect(info.active_channels_count).toBe(2);
    expect(stack.lightning.channels.map(({ from, to }) => `${from}>${to}`).sort()).toEqual([
      'alice>bob',
      'alice>frank',
      'bob>carol',
      'bob>dave',
      'bob>erin',
      'bob>grace',
      'bob>grace',
    ]);
    // frank is reached only over alice's private channel: no node in the graph knows him.
    const { nodes } = await getNetworkGraph({ lnd: alice });
    expect(nodes.map((node) => node.public_key)).not.toContain(stackNode(stack, 'frank').pubkey);
    expect(nodes.map((node) => node.public_key)).toContain(stackNode(stack, 'carol').pubkey);
  });

  it('routes a keysend from alice through bob to carol, who sees it with its custom records', async () => {
    const alice = await connect('alice');
    const carol = await connect('carol');
    const bob = stackNode(stack, 'bob');
    const preimage = randomBytes(32);
    const hash = sha256Hex(preimage);
    const note = `tipstream stack test ${randomUUID()}`;

    const paid = await payViaPaymentDetails({
      lnd: alice,
      destination: stackNode(stack, 'carol').pubkey,
      id: hash,
      tokens: 1_234,
      max_fee: 50,
      messages: [
        { type: KEYSEND_RECORD, value: preimage.toString('hex') },
        { type: TEXT_MESSAGE_RECORD, value: Buffer.from(note, 'utf8').toString('hex') },
      ],
    });
    expect(paid.secret).toBe(preimage.toString('hex'));
    expect(paid.hops.map((hop) => hop.public_key)).toEqual([
      bob.pubkey,
      stackNode(stack, 'carol').pubkey,
    ]);

    const { invoices } = await getInvoices({ lnd: carol, limit: 100 });
    const received = invoices.find((invoice) => invoice.id === hash);
    expect(received, 'carol has an invoice for the keysend hash').toBeDefined();
    expect(received?.is_confirmed).toBe(true);
    expect(received?.received).toBe(1_234);
    const records = received?.payments.flatMap((payment) => payment.messages) ?? [];
    expect(records).toContainEqual({
      type: TEXT_MESSAGE_RECORD,
      value: Buffer.from(note, 'utf8').toString('hex'),
    });
    expect(records).toContainEqual({ type: KEYSEND_RECORD, value: preimage.toString('hex') });
  });

  it('has erin reject a keysend (she runs without --accept-keysend)', async () => {
    const alice = await connect('alice');
    const erin = await connect('erin');
    const preimage = randomBytes(32);
    const hash = sha256Hex(preimage);

    await expect(
      payViaPaymentDetails({
        lnd: alice,
        destination: stackNode(stack, 'erin').pubkey,
        id: hash,
        tokens: 1_000,
        max_fee: 50,
        messages: [{ type: KEYSEND_RECORD, value: preimage.toString('hex') }],
      }),
    ).rejects.toEqual([503, 'PaymentRejectedByDestination']);
    const { invoices } = await getInvoices({ lnd: erin, limit: 100 });
    expect(invoices.find((invoice) => invoice.id === hash)).toBeUndefined();
  });
});

describe('DynamoDB Local', () => {
  const client = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  const table = `${TEST_STORAGE_PREFIX}stack-${randomUUID()}`;

  beforeAll(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: table });
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
  });

  const get = async (pk: string) =>
    (
      await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
      )
    ).Item;

  it('round-trips a transactional write, and a failed condition changes nothing', async () => {
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { pk: { S: 'tip#1' }, state: { S: 'SENDING' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: table, Item: { pk: { S: 'total#carol' }, sats: { N: '10' } } } },
        ],
      }),
    );
    expect(await get('tip#1')).toEqual({ pk: { S: 'tip#1' }, state: { S: 'SENDING' } });
    expect(await get('total#carol')).toEqual({ pk: { S: 'total#carol' }, sats: { N: '10' } });

    const conflicting = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { pk: { S: 'tip#1' }, state: { S: 'SUCCEEDED' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: table,
              Key: { pk: { S: 'total#carol' } },
              UpdateExpression: 'ADD sats :n',
              ExpressionAttributeValues: { ':n': { N: '10' } },
            },
          },
        ],
      }),
    );
    await expect(conflicting).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await get('tip#1')).toEqual({ pk: { S: 'tip#1' }, state: { S: 'SENDING' } });
    expect(await get('total#carol')).toEqual({ pk: { S: 'total#carol' }, sats: { N: '10' } });
  });
});

describe('ElasticMQ', () => {
  const client = localSqsClient(stack.sqs.endpoint, stack.region);
  afterAll(() => client.destroy());

  /** Receives until the message with `body` shows up (other messages are made visible again). */
  const receiveBody = async (queueUrl: string, body: string): Promise<Message | undefined> => {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      let found: Message | undefined;
      for (const message of Messages) {
        if (message.Body === body) found = message;
        else
          await client.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          );
      }
      if (found) return found;
    }
    return undefined;
  };

  it('the tips queue redrives to its dead-letter queue (read from its attributes: a running payer may consume it)', async () => {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.sqs.tipsQueueUrl,
        AttributeNames: ['RedrivePolicy'],
      }),
    );
    const dlq = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.sqs.tipsDlqUrl,
        AttributeNames: ['QueueArn'],
      }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: dlq.Attributes?.QueueArn,
      maxReceiveCount: stack.sqs.maxReceiveCount,
    });
  });

  it(`moves a message to the dead-letter queue after ${stack.sqs.maxReceiveCount} receives`, async () => {
    // A queue pair of its own with the tips queue's redrive rule: the service's tips queue may
    // have a running payer (npm start) that would take the probe.
    const { queueUrl, dlqUrl } = await createQueuePair(client, `${TEST_STORAGE_PREFIX}dlq-probe`, {
      maxReceiveCount: stack.sqs.maxReceiveCount,
    });
    const body = JSON.stringify({ probe: randomUUID() });
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

    for (let receive = 1; receive <= stack.sqs.maxReceiveCount; receive += 1) {
      const message = await receiveBody(queueUrl, body);
      expect(message, `receive #${receive} gets the message`).toBeDefined();
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(receive));
      // As a failed consumer would: give it back at once.
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }

    expect(await receiveBody(queueUrl, body), 'gone from its queue').toBeUndefined();
    const deadLetter = await receiveBody(dlqUrl, body);
    expect(deadLetter?.Body).toBe(body);
    await client.send(
      new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: deadLetter?.ReceiptHandle }),
    );
  });
});

describe.runIf(stack.dynamodb.local)("DynamoDB Local's stream records", () => {
  it('are indexed by stream id, so a write to a streamed table does not scan every record of every stream', () => {
    // Every write to a table with a stream (tips, batches) counts that stream's records: without
    // the index a scan of all records of all streams (kept 24 h, deleted tables' too), 66-83 ms a
    // write after one morning of benchmarks; `indexStreamRecords` adds it at every stack start.
    const db = new DatabaseSync(join(runPaths(stack.runDir).dynamodb, 'shared-local-instance.db'), {
      readOnly: true,
    });
    try {
      const plan = db
        .prepare('EXPLAIN QUERY PLAN SELECT COUNT(1) FROM us WHERE StreamID = ?')
        .all('arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x')
        .map((step) => String(step.detail));
      expect(plan.join('; ')).toMatch(/USING (COVERING )?INDEX tipstream_us_stream_id/);
    } finally {
      db.close();
    }
  });
});
