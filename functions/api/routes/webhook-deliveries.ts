import { createRoute, z } from '@hono/zod-openapi';
import { InvalidRequestError } from '../../../shared/app/errors.js';
import {
  listWebhookDeliveries,
  resendWebhookDeliveries,
} from '../../../shared/app/webhook-deliveries.js';
import { IdempotencyKeyHeader } from '../schemas/headers.js';
import {
  COMMON_PROBLEMS,
  InvalidRequestProblem,
  problem,
  WebhookDeliveryNotFoundProblem,
  WRITE_PROBLEMS,
} from '../schemas/problems.js';
import { WebhookDeliverySchema } from '../schemas/webhooks.js';
import { pageLimit, parseJsonObject, requireIdempotencyKey } from './answers.js';
import { apiRoute } from './route.js';

const STATUSES = ['PENDING', 'DELIVERED', 'DEAD'] as const;

export const getWebhookDeliveries = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/webhook-deliveries',
    tags: ['Webhooks'],
    operationId: 'listWebhookDeliveries',
    summary: "The platform's recent webhook deliveries",
    description: 'Newest first, with status, attempts and the last response code or error.',
    request: {
      query: z.object({
        status: z.enum(STATUSES).optional(),
        endpointId: z.string().optional(),
        limit: z.number().int().min(1).max(100).default(25),
      }),
    },
    responses: {
      200: {
        description: 'The deliveries.',
        content: {
          'application/json': {
            schema: z.object({ deliveries: z.array(WebhookDeliverySchema) }),
          },
        },
      },
      ...COMMON_PROBLEMS,
      422: problem(
        '`status` is not one of PENDING, DELIVERED, DEAD (`invalid-request`).',
        InvalidRequestProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
      throw new InvalidRequestError(`status must be one of ${STATUSES.join(', ')}`, [
        { field: 'status', message: `must be one of ${STATUSES.join(', ')}` },
      ]);
    }
    const deliveries = await listWebhookDeliveries(
      {
        platformId: c.get('platform').platformId,
        endpointId: c.req.query('endpointId')?.slice(0, 100),
        status: status as (typeof STATUSES)[number] | undefined,
        limit: pageLimit(c.req.query('limit')),
      },
      { deliveries: deps.webhooks.deliveries },
    );
    return c.json({ deliveries }, 200);
  },
);

export const postWebhookResend = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/webhook-deliveries/resend',
    tags: ['Webhooks'],
    operationId: 'resendWebhookDeliveries',
    summary: 'Resend dead-lettered deliveries',
    description:
      'With `deliveryId`: that delivery, if it is DEAD; without: every DEAD delivery of the platform. Each is sent again with the same `webhook-id` and a fresh retry schedule.',
    request: {
      headers: IdempotencyKeyHeader,
      body: {
        content: {
          'application/json': {
            schema: z.object({ deliveryId: z.string().optional() }).openapi('ResendDeliveries'),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The deliveries queued again.',
        content: {
          'application/json': { schema: z.object({ resent: z.array(z.string()) }) },
        },
      },
      ...WRITE_PROBLEMS,
      404: problem(
        'The platform has no delivery with this id (`webhook-delivery-not-found`).',
        WebhookDeliveryNotFoundProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    requireIdempotencyKey(c.req.header('idempotency-key'));
    const raw = c.get('rawBody');
    const body = raw.trim() === '' ? {} : parseJsonObject(raw);
    if (body.deliveryId !== undefined && typeof body.deliveryId !== 'string') {
      throw new InvalidRequestError('deliveryId must be a string', [
        { field: 'deliveryId', message: 'must be a string' },
      ]);
    }
    const resent = await resendWebhookDeliveries(
      { platformId: c.get('platform').platformId, deliveryId: body.deliveryId },
      { deliveries: deps.webhooks.deliveries, now: deps.now() },
    );
    return c.json({ resent }, 200);
  },
);
