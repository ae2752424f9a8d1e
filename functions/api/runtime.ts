import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import type { DynamoDBClient } from '../../shared/adapters/aws-clients.js';
import {
  createDynamoIntakeStore,
  createDynamoPlatformStore,
} from '../../shared/adapters/dynamodb/intake-store.js';
import { createDynamoPayoutHistory } from '../../shared/adapters/dynamodb/payout-history.js';
import { createDynamoPlatformActivity } from '../../shared/adapters/dynamodb/platform-activity.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { createSqsTipQueue } from '../../shared/adapters/sqs/tip-queue.js';
import type { IntakeDeps } from '../../shared/app/accept-tip.js';
import { dynamoDbFromEnv, sqsFromEnv } from '../../shared/config/aws.js';
import { readPayerConfig } from '../../shared/config/payer-config.js';
import { readTableNames } from '../../shared/config/tables.js';
import { createWebhookStores, readWebhookUrlPolicy } from '../../shared/config/webhook-config.js';
import type { WebhookUrlPolicy } from '../../shared/domain/webhook-url.js';
import type { PayoutHistory, PlatformActivity } from '../../shared/ports/activity.js';
import type { PlatformStore } from '../../shared/ports/intake.js';
import { createObservability, type Observability, traced } from '../observability.js';

export interface ApiDeps extends IntakeDeps {
  platforms: PlatformStore;
  history: PayoutHistory;
  /** A platform's recent tips and batches (dashboard lists and summaries). */
  activity: PlatformActivity;
  /** Where the API logs (Powertools; a default `tipstream-api` logger when absent). */
  logger?: Logger;
  /** Webhook endpoints and deliveries, and where endpoints may point. */
  webhooks: ReturnType<typeof createWebhookStores> & { policy: WebhookUrlPolicy };
  /** Largest request body, bytes, per route (payout files are larger than tips). */
  maxBodyBytes: Partial<Record<string, number>> & { default: number };
}

export const DEFAULT_MAX_BODY_BYTES = { default: 16 * 1024, 'POST /v1/payouts': 2 * 1024 * 1024 };

type Env = Record<string, string | undefined>;

/**
 * The API's clients and policy from `TIPSTREAM_*` variables; built once per container. DynamoDB
 * and SQS calls become subsegments of the invocation's trace (a no-op when tracing is off).
 */
export const createApiDeps = (
  env: Env = process.env,
  observability: Pick<Observability, 'logger' | 'tracer'> = createObservability('api', env),
): ApiDeps & { dynamodb: DynamoDBClient; close(): void } => {
  const queueUrl = z
    .string({ error: 'TIPSTREAM_TIPS_QUEUE_URL must be set to the tips queue URL' })
    .min(1)
    .parse(env.TIPSTREAM_TIPS_QUEUE_URL);
  const hourly = z.coerce
    .number()
    .int()
    .positive()
    .default(100_000_000)
    .parse(env.TIPSTREAM_GLOBAL_HOURLY_LIMIT_SATS || undefined);
  const { policy } = readPayerConfig(env);
  const tables = readTableNames(env);
  const { logger } = observability;
  const dynamodb = traced(observability, dynamoDbFromEnv(env));
  const sqs = traced(observability, sqsFromEnv(env));
  return {
    platforms: createDynamoPlatformStore(dynamodb, tables),
    history: createDynamoPayoutHistory(dynamodb, tables),
    activity: createDynamoPlatformActivity(dynamodb, tables),
    intake: createDynamoIntakeStore(dynamodb, tables),
    ledger: createDynamoTipLedger(dynamodb, tables),
    queue: createSqsTipQueue(sqs, queueUrl),
    policy: {
      maxTipMsat: policy.maxTipMsat,
      allowMsat: policy.allowMsat,
      customRecordsBudgetBytes: policy.customRecordsBudgetBytes,
      feePpm: policy.feePpm,
      minFeeSats: policy.minFeeSats,
      globalHourlyLimitMsat: BigInt(hourly) * 1000n,
    },
    webhooks: { ...createWebhookStores(dynamodb, env), policy: readWebhookUrlPolicy(env) },
    now: () => new Date(),
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    logger,
    dynamodb,
    close() {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
};
