import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { ledgerChanges } from '../../../../shared/adapters/dynamodb/stream-changes.js';
import {
  recordWebhookEvents,
  webhookEventsOf,
} from '../../../../shared/app/record-webhook-events.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../../../shared/ports/webhooks.js';

const batchItem = (succeededCount: number, updatedAt: string) =>
  marshall({
    batchId: 'b1',
    platformId: 'p1',
    kind: 'payout',
    rowCount: 2,
    totalMsat: '2000',
    feeLimitMsat: '20',
    acceptedAt: '2026-12-07T18:20:20.097Z',
    succeededCount,
    succeededMsat: succeededCount * 1000,
    feeMsat: 0,
    rowsWritten: true,
    updatedAt,
  }) as Record<string, unknown>;

/** The batch's last row succeeding, as DynamoDB Local streams it: its time rounded down to the minute. */
const lastRow = {
  dynamodb: {
    Keys: marshall({ batchId: 'b1' }) as Record<string, unknown>,
    OldImage: batchItem(1, '2026-12-07T18:20:42.385Z'),
    NewImage: batchItem(2, '2026-12-07T18:20:45.145Z'),
    ApproximateCreationDateTime: new Date('2026-12-07T18:20:00.000Z'),
  },
};

describe('ledgerChanges', () => {
  it('times a change by the ledger’s updatedAt, not the stream’s rounded creation time', () => {
    expect(ledgerChanges([lastRow]).map((c) => c.at)).toEqual(['2026-12-07T18:20:45.145Z']);
  });

  it('falls back to ApproximateCreationDateTime when the item has no updatedAt', () => {
    const { updatedAt: _u, ...rest } = lastRow.dynamodb.NewImage;
    const changes = ledgerChanges([{ dynamodb: { ...lastRow.dynamodb, NewImage: rest } }]);
    expect(changes.map((c) => c.at)).toEqual(['2026-12-07T18:20:00.000Z']);
  });

  it('tells an endpoint registered before the batch completed (in the same minute) of batch.completed', async () => {
    const endpoint = {
      endpointId: 'we_1',
      platformId: 'p1',
      enabled: true,
      createdAt: '2026-12-07T18:20:19.621Z',
    } as WebhookEndpoint;
    const due = await recordWebhookEvents(webhookEventsOf(ledgerChanges([lastRow])), {
      endpoints: { listEndpoints: async () => [endpoint] },
      deliveries: {
        recordDeliveries: async (deliveries: WebhookDelivery[]) => deliveries,
      },
      now: new Date('2026-12-07T18:20:46.000Z'),
    });
    expect(due.map((d) => d.deliveryId)).toEqual(['evt_b1_completed@we_1']);
    expect(JSON.parse(due[0]?.body ?? '{}')).toMatchObject({
      type: 'batch.completed',
      createdAt: '2026-12-07T18:20:45.145Z',
      data: { batchId: 'b1', status: 'DONE', counts: { total: 2, succeeded: 2, pending: 0 } },
    });
  });

  it('makes no event of a change without a platform (a tip or batch sent to the queue directly)', async () => {
    const noPlatform = (item: Record<string, unknown>) => ({ ...item, platformId: { S: '' } });
    const change = {
      dynamodb: {
        ...lastRow.dynamodb,
        OldImage: noPlatform(lastRow.dynamodb.OldImage),
        NewImage: noPlatform(lastRow.dynamodb.NewImage),
      },
    };
    expect(webhookEventsOf(ledgerChanges([change]))).toEqual([]);
  });
});
