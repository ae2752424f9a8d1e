import { createHash } from 'node:crypto';
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
  QueueCursor,
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookEndpoint,
  WebhookEndpointStore,
} from '../../ports/webhooks.js';
import { documentClient, isConditionFailure } from './common.js';
import {
  DUE_DELIVERIES_INDEX,
  ENDPOINT_QUEUES_INDEX,
  PENDING_ORDER_INDEX,
  PLATFORM_DELIVERIES_INDEX,
  PLATFORM_ENDPOINTS_INDEX,
  type TableNames,
} from './tables.js';

/** The retry queue's first layout: one partition, `due` = 'due', for every endpoint (moved out). */
const LEGACY_DUE = 'due';
/**
 * Partitions of the endpoint queues' index. Each endpoint's queue lies in one, sorted by
 * `dueKey`; a few spread the writes of many endpoints, and a walk of all queues visits each.
 */
const DUE_SHARDS = 4;
const dueShard = (endpointId: string) =>
  String((createHash('sha256').update(endpointId).digest()[0] ?? 0) % DUE_SHARDS);
/** Sorts an endpoint's deliveries together, soonest due first (ISO instants sort as text). */
const dueKey = (endpointId: string, nextAttemptAt: string) => `${endpointId}#${nextAttemptAt}`;
/** After every `dueKey` of the endpoint: ids are `we_` + hex, `\uffff` is above any of it. */
const pastQueue = (endpointId: string) => `${endpointId}#\uffff`;
/** The item holding where the last sweep stopped: no index key, so no listing ever shows it. */
const SWEEP_CURSOR_ID = 'sweep#cursor';
const queueKeys = (endpointId: string, nextAttemptAt: string) => ({
  ':shard': dueShard(endpointId),
  ':dueKey': dueKey(endpointId, nextAttemptAt),
});
const pendingOrder = (d: Pick<WebhookDelivery, 'endpointId' | 'subject'>) =>
  `${d.endpointId}#${d.subject}`;
/** A cursor is `<shard>/<endpointId>`: the queue walked last. */
const parseCursor = (cursor: QueueCursor | undefined): [number, string | undefined] => {
  const match = cursor ? /^(\d+)\/(.+)$/.exec(cursor) : null;
  const shard = Number(match?.[1]);
  return match && shard < DUE_SHARDS ? [shard, match[2]] : [0, undefined];
};

const toDelivery = (item: Record<string, unknown>): WebhookDelivery => {
  const { due: _due, pendingOrder: _order, dueShard: _shard, dueKey: _key, ...rest } = item;
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
  /**
   * Changes a PENDING delivery that no attempt holds (no lease, or one run out by `now`), under
   * `condition` too; `false` when it is not so (someone else has it, or it changed meanwhile).
   */
  const updateIfFree = async (
    deliveryId: string,
    now: Date,
    change: {
      update: string;
      condition?: string;
      names?: Record<string, string>;
      values: Record<string, unknown>;
    },
  ) => {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: { deliveryId },
          UpdateExpression: change.update,
          ConditionExpression: `#status = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)${change.condition ? ` AND ${change.condition}` : ''}`,
          ExpressionAttributeNames: { '#status': 'status', ...change.names },
          ExpressionAttributeValues: {
            ':pending': 'PENDING',
            ':now': now.toISOString(),
            ...change.values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };
  return {
    async recordDeliveries(deliveries) {
      const created = await Promise.all(
        deliveries.map((delivery) =>
          limit(async () => {
            try {
              await doc.send(
                new PutCommand({
                  TableName,
                  Item: {
                    ...delivery,
                    dueShard: dueShard(delivery.endpointId),
                    dueKey: dueKey(
                      delivery.endpointId,
                      delivery.nextAttemptAt ?? delivery.createdAt,
                    ),
                    pendingOrder: pendingOrder(delivery),
                  },
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
              // A retry goes to (or, recorded by an earlier version, moves into) its endpoint's queue.
              next ? ', nextAttemptAt = :next, dueShard = :shard, dueKey = :dueKey' : '',
              ' REMOVE leaseUntil, due',
              outcome.status === undefined ? ', lastStatusCode' : '',
              next ? '' : ', dueShard, dueKey, pendingOrder',
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
              ...(next
                ? {
                    ':next': next.toISOString(),
                    ...queueKeys(delivery.endpointId, next.toISOString()),
                  }
                : {}),
            },
          }),
        )
        .catch((error) => {
          // Its lease ran out and another attempt took over: that one records the outcome.
          if (!isConditionFailure(error)) throw error;
        });
    },
    async nextQueue(after) {
      let [shard, from] = parseCursor(after);
      for (; shard < DUE_SHARDS; shard += 1, from = undefined) {
        const { Items = [] } = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: ENDPOINT_QUEUES_INDEX,
            KeyConditionExpression: from
              ? 'dueShard = :shard AND dueKey > :past'
              : 'dueShard = :shard',
            ExpressionAttributeValues: {
              ':shard': String(shard),
              ...(from ? { ':past': pastQueue(from) } : {}),
            },
            Limit: 1,
          }),
        );
        const head = Items[0];
        if (head) {
          const endpointId = String(head.endpointId);
          return {
            endpointId,
            // Where it sorts, not its `nextAttemptAt`: a key left stale (see `listQueue`) must
            // still bring the sweep to this queue, to put it right.
            dueAt: String(head.dueKey).slice(endpointId.length + 1),
            cursor: `${shard}/${endpointId}`,
          };
        }
      }
      return undefined;
    },
    async listQueue(endpointId, until, max) {
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: ENDPOINT_QUEUES_INDEX,
          KeyConditionExpression: 'dueShard = :shard AND dueKey BETWEEN :first AND :last',
          ExpressionAttributeValues: {
            ':shard': dueShard(endpointId),
            ':first': `${endpointId}#`,
            ':last': until ? dueKey(endpointId, until.toISOString()) : pastQueue(endpointId),
          },
          Limit: max,
        }),
      );
      const found: WebhookDelivery[] = [];
      for (const item of Items) {
        const delivery = toDelivery(item);
        const key = delivery.nextAttemptAt && dueKey(endpointId, delivery.nextAttemptAt);
        if (delivery.status === 'PENDING' && item.dueKey === key) {
          found.push(delivery);
          continue;
        }
        // An attempt of an earlier version (during a deploy) finished a delivery this version
        // had moved into its endpoint's queue, knowing nothing of `dueKey`: left as it is, the
        // entry would sit at the head of the queue for good. Put it right (or take it out).
        await doc
          .send(
            new UpdateCommand({
              TableName,
              Key: { deliveryId: delivery.deliveryId },
              UpdateExpression:
                delivery.status === 'PENDING' && key
                  ? 'SET dueKey = :right'
                  : 'REMOVE dueShard, dueKey, pendingOrder',
              ConditionExpression: 'dueKey = :seen AND #status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':seen': item.dueKey,
                ':status': delivery.status,
                ...(delivery.status === 'PENDING' && key ? { ':right': key } : {}),
              },
            }),
          )
          .catch((error) => {
            if (!isConditionFailure(error)) throw error;
          });
      }
      return found;
    },
    async moveLegacyDue(max, now) {
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: DUE_DELIVERIES_INDEX,
          KeyConditionExpression: 'due = :due',
          ExpressionAttributeValues: { ':due': LEGACY_DUE },
          Limit: max,
        }),
      );
      const moved = await Promise.all(
        Items.map((item) =>
          limit(() => {
            const delivery = toDelivery(item);
            const next = delivery.nextAttemptAt ?? delivery.createdAt;
            // Unchanged since read, and no attempt holds it (one of an earlier version would
            // record its result without knowing the new keys).
            return updateIfFree(delivery.deliveryId, now, {
              update: 'SET dueShard = :shard, dueKey = :dueKey REMOVE due',
              condition: 'due = :due AND nextAttemptAt = :next',
              values: {
                ':due': LEGACY_DUE,
                ':next': next,
                ...queueKeys(delivery.endpointId, next),
              },
            });
          }),
        ),
      );
      return moved.filter(Boolean).length;
    },
    async readSweepCursor() {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { deliveryId: SWEEP_CURSOR_ID }, ConsistentRead: true }),
      );
      return typeof Item?.cursor === 'string' ? Item.cursor : undefined;
    },
    async saveSweepCursor(cursor) {
      await doc.send(
        new PutCommand({
          TableName,
          Item: { deliveryId: SWEEP_CURSOR_ID, ...(cursor ? { cursor } : {}) },
        }),
      );
    },
    async earliestPending(delivery) {
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
      const first = Items[0];
      if (!first) return undefined;
      // The index is KEYS_ONLY (and read eventually): the item itself says when it is due. One
      // that is no longer PENDING still counts for this call: the index will catch up.
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { deliveryId: first.deliveryId }, ConsistentRead: true }),
      );
      return Item ? toDelivery(Item) : undefined;
    },
    async defer(delivery, until, now) {
      const next = until.toISOString();
      return updateIfFree(delivery.deliveryId, now, {
        update: 'SET nextAttemptAt = :next, dueShard = :shard, dueKey = :dueKey REMOVE due',
        condition: 'attempts = :attempts',
        values: {
          ':attempts': delivery.attempts,
          ':next': next,
          ...queueKeys(delivery.endpointId, next),
        },
      });
    },
    async abandon(delivery, reason, now) {
      return updateIfFree(delivery.deliveryId, now, {
        update:
          'SET #status = :dead, lastError = :reason, updatedAt = :now REMOVE due, dueShard, dueKey, pendingOrder, leaseUntil',
        values: { ':dead': 'DEAD', ':reason': reason },
      });
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
              'SET #status = :pending, attempts = :zero, nextAttemptAt = :at, updatedAt = :at, dueShard = :shard, dueKey = :dueKey, pendingOrder = :order REMOVE leaseUntil, due',
            ConditionExpression: '#status = :dead',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'PENDING',
              ':dead': 'DEAD',
              ':zero': 0,
              ':at': at,
              ':order': pendingOrder(toDelivery(Item)),
              ...queueKeys(String(Item.endpointId), at),
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
