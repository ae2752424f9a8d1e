import { z } from 'zod';
import type { DynamoDBClient } from '../adapters/aws-clients.js';
import {
  createDynamoWebhookDeliveryStore,
  createDynamoWebhookEndpointStore,
} from '../adapters/dynamodb/webhook-store.js';
import { createWebhookSender } from '../adapters/http/webhook-sender.js';
import type { WebhookUrlPolicy } from '../domain/webhook-url.js';
import { readTableNames } from './tables.js';

const EnvSchema = z.object({
  /** One attempt's bound, connect to last byte read. */
  TIPSTREAM_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  /** Shrinks the retry schedule (tests: 0.001); 1 in production. */
  TIPSTREAM_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().max(1).default(1),
  /**
   * Hosts that may be plain http and private (the local stack and tests: 127.0.0.1, localhost);
   * empty in AWS, where every endpoint is https to a public address.
   */
  TIPSTREAM_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((raw) =>
      raw
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
});

type Env = Record<string, string | undefined>;

/** Where endpoints may point, from `TIPSTREAM_WEBHOOK_ALLOWED_HOSTS`. */
export const readWebhookUrlPolicy = (env: Env = process.env): WebhookUrlPolicy => ({
  allowedHosts: EnvSchema.parse(env).TIPSTREAM_WEBHOOK_ALLOWED_HOSTS,
});

/** The webhook stores of this environment's tables. */
export const createWebhookStores = (dynamodb: DynamoDBClient, env: Env = process.env) => {
  const tables = readTableNames(env);
  return {
    endpoints: createDynamoWebhookEndpointStore(dynamodb, tables),
    deliveries: createDynamoWebhookDeliveryStore(dynamodb, tables),
  };
};

/** What the dispatcher delivers with: stores, the signed sender, the schedule and its lanes. */
export const createWebhookDelivery = (dynamodb: DynamoDBClient, env: Env = process.env) => {
  const config = EnvSchema.parse(env);
  return {
    ...createWebhookStores(dynamodb, env),
    sender: createWebhookSender({
      timeoutMs: config.TIPSTREAM_WEBHOOK_TIMEOUT_MS,
      policy: { allowedHosts: config.TIPSTREAM_WEBHOOK_ALLOWED_HOSTS },
    }),
    clock: () => new Date(),
    leaseMs: config.TIPSTREAM_WEBHOOK_TIMEOUT_MS * 2 + 1_000,
    endpointConcurrency: 32,
    perEndpointLimit: 25,
    // A sweep: 500 deliveries from at most 200 endpoints' queues, and 100 of the old layout moved.
    sweepLimit: 500,
    sweepQueues: 200,
    legacyStep: 100,
    retryScale: config.TIPSTREAM_WEBHOOK_RETRY_SCALE,
  };
};
