import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import type {
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookEndpoint,
  WebhookEndpointStore,
} from '../../ports/webhooks.js';
import { documentClient, isConditionFailure } from './common.js';
import {
  DUE_DELIVERIES_INDEX,
  PENDING_ORDER_INDEX,
  PLATFORM_DELIVERIES_INDEX,
  PLATFORM_ENDPOINTS_INDEX,
  type TableNames,
} from './tables.js';

/** The one partition of the due index (the sweep reads its head, oldest due first). */
const DUE = 'due';
const pendingOrder = (d: Pick<WebhookDelivery, 'endpointId' | 'subject'>) =>
  `${d.endpointId}#${d.subject}`;

const toDelivery = (item: Record<string, unknown>): WebhookDelivery => {
  const { due: _due, pendingOrder: _order, ...rest } = item;
  return rest as unknown as WebhookDelivery;
};

export const createDynamoWebhookEndpointStore = (
  client: DynamoDBClient,
  tables: Pick<TableNames, 'webhookEndpoints'>,
): WebhookEndpointStore => {
  const doc = documentClient(client);
  const TableName = tables.webhookEndpoints;
  return {
    async putEndpoint(endpoint) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: endpoint,
            ConditionExpression: 'attribute_not_exists(endpointId)',
          }),
        );
        return 'created';
      } catch (error) {
        if (isConditionFailure(error)) return 'exists';
        throw error;
      }
    },
    async getEndpoint(endpointId) {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { endpointId }, ConsistentRead: true }),
      );
      return Item as WebhookEndpoint | undefined;
    },
    async listEndpoints(platformId) {
      const items: WebhookEndpoint[] = [];
      for await (const page of paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: PLATFORM_ENDPOINTS_INDEX,
          KeyConditionExpression: 'platformId = :p',
          ExpressionAttributeValues: { ':p': platformId },
        },
      )) {
        items.push(...((page.Items ?? []) as WebhookEndpoint[]));
      }
      return items;
    },
    async updateEndpoint(endpointId, change, now) {
      const entries = Object.entries(change).filter(([, value]) => value !== undefined);
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: { endpointId },
            UpdateExpression: `SET updatedAt = :at${entries.map(([name]) => `, #${name} = :${name}`).join('')}`,
            ConditionExpression: 'attribute_exists(endpointId)',
            ExpressionAttributeNames: Object.fromEntries(
              entries.map(([name]) => [`#${name}`, name]),
            ),
            ExpressionAttributeValues: {
              ':at': now.toISOString(),
              ...Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes as WebhookEndpoint | undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
    async deleteEndpoint(endpointId) {
      await doc.send(new DeleteCommand({ TableName, Key: { endpointId } }));
    },
    async setEndpointFailing(endpointId, since) {
      // Health, not configuration: `updatedAt` stays the platform's last change.
      await doc
        .send(
          new UpdateCommand({
            TableName,
            Key: { endpointId },
            UpdateExpression: since ? 'SET failingSince = :since' : 'REMOVE failingSince',
            ConditionExpression: 'attribute_exists(endpointId)',
            ...(since ? { ExpressionAttributeValues: { ':since': since.toISOString() } } : {}),
          }),
        )
        .catch((error) => {
          // Deleted meanwhile: nothing to mark.
          if (!isConditionFailure(error)) throw error;
        });
    },
  };
};

export const createDynamoWebhookDeliveryStore = (
  client: DynamoDBClient,
  tables: Pick<TableNames, 'webhookDeliveries'>,
): WebhookDeliveryStore => {
  const doc = documentClient(client);
  const TableName = tables.webhookDeliveries;
  const limit = pLimit(16);
  return {
    async recordDeliveries(deliveries) {
      const created = await Promise.all(
        deliveries.map((delivery) =>
          limit(async () => {
            try {
              await doc.send(
                new PutCommand({
                  TableName,
                  Item: { ...delivery, due: DUE, pendingOrder: pendingOrder(delivery) },
                  ConditionExpression: 'attribute_not_exists(deliveryId)',
                }),
              );
              return delivery;
            } catch (error) {
              if (isConditionFailure(error)) return undefined;
              throw error;
            }
          }),
        ),
      );
      return created.filter((d): d is WebhookDelivery => d !== undefined);
    },
    async getDelivery(deliveryId) {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { deliveryId }, ConsistentRead: true }),
      );
      return Item ? toDelivery(Item) : undefined;
    },
    async claim(deliveryId, now, leaseUntil) {
      const at = now.toISOString();
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: { deliveryId },
            UpdateExpression: 'SET leaseUntil = :lease, updatedAt = :at ADD attempts :one',
            ConditionExpression:
              '#status = :pending AND nextAttemptAt <= :at AND (attribute_not_exists(leaseUntil) OR leaseUntil < :at)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':lease': leaseUntil.toISOString(),
              ':at': at,
              ':one': 1,
              ':pending': 'PENDING',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? toDelivery(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
    async finishAttempt(delivery, outcome, next, now) {
      const at = now.toISOString();
      const status = outcome.ok ? 'DELIVERED' : next ? 'PENDING' : 'DEAD';
      const code = outcome.status === undefined ? {} : { ':code': outcome.status };
      await doc
        .send(
          new UpdateCommand({
            TableName,
            Key: { deliveryId: delivery.deliveryId },
            UpdateExpression: [
              'SET #status = :status, updatedAt = :at',
              outcome.status === undefined ? '' : ', lastStatusCode = :code',
              outcome.ok ? ', deliveredAt = :at' : ', lastError = :error',
              next ? ', nextAttemptAt = :next' : '',
              ' REMOVE leaseUntil',
              outcome.status === undefined ? ', lastStatusCode' : '',
              next ? '' : ', due, pendingOrder',
            ].join(''),
            // Only the attempt that holds the lease records its result.
            ConditionExpression: 'attempts = :attempts AND leaseUntil = :lease',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':status': status,
              ':at': at,
              ':attempts': delivery.attempts,
              ':lease': delivery.leaseUntil,
              ...code,
              ...(outcome.ok ? {} : { ':error': outcome.error.slice(0, 500) }),
              ...(next ? { ':next': next.toISOString() } : {}),
            },
          }),
        )
        .catch((error) => {
          // Its lease ran out and another attempt took over: that one records the outcome.
          if (!isConditionFailure(error)) throw error;
        });
    },
    async listDue(now, max) {
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: DUE_DELIVERIES_INDEX,
          KeyConditionExpression: 'due = :due AND nextAttemptAt <= :now',
          ExpressionAttributeValues: { ':due': DUE, ':now': now.toISOString() },
          Limit: max,
        }),
      );
      return Items.map(toDelivery);
    },
    async hasEarlierPending(delivery) {
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: PENDING_ORDER_INDEX,
          KeyConditionExpression: 'pendingOrder = :order AND occurredAt < :at',
          ExpressionAttributeValues: {
            ':order': pendingOrder(delivery),
            ':at': delivery.occurredAt,
          },
          Limit: 1,
        }),
      );
      return Items.length > 0;
    },
    async listDeliveries(platformId, filter) {
      const items: WebhookDelivery[] = [];
      for await (const page of paginateQuery(
        { client: doc, pageSize: 200 },
        {
          TableName,
          IndexName: PLATFORM_DELIVERIES_INDEX,
          KeyConditionExpression: 'platformId = :p',
          ExpressionAttributeValues: { ':p': platformId },
          ScanIndexForward: false,
        },
      )) {
        for (const item of page.Items ?? []) {
          const delivery = toDelivery(item);
          if (filter.endpointId && delivery.endpointId !== filter.endpointId) continue;
          if (filter.status && delivery.status !== filter.status) continue;
          items.push(delivery);
        }
        if (items.length >= filter.limit) break;
      }
      return items.slice(0, filter.limit);
    },
    async requeue(deliveryId, now) {
      const at = now.toISOString();
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { deliveryId }, ConsistentRead: true }),
      );
      if (Item?.status !== 'DEAD') return undefined;
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: { deliveryId },
            UpdateExpression:
              'SET #status = :pending, attempts = :zero, nextAttemptAt = :at, updatedAt = :at, due = :due, pendingOrder = :order REMOVE leaseUntil',
            ConditionExpression: '#status = :dead',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'PENDING',
              ':dead': 'DEAD',
              ':zero': 0,
              ':at': at,
              ':due': DUE,
              ':order': pendingOrder(toDelivery(Item)),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? toDelivery(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
};
