import { z } from '@hono/zod-openapi';
import { MAX_DELIVERY_ATTEMPTS } from '../../../shared/domain/webhook-delivery.js';
import { WEBHOOK_EVENT_TYPES } from '../../../shared/domain/webhook-events.js';

export const WebhookEndpointSchema = z
  .object({
    endpointId: z.string().openapi({ example: 'we_3f9a0c1d2e4b5a6978877665' }),
    url: z.string().openapi({ description: 'Where events are POSTed (https).' }),
    enabled: z.boolean(),
    failingSince: z.string().optional().openapi({
      description:
        'Set while the endpoint fails: when an attempt to it failed with no later success (its deliveries are retried on the schedule meanwhile).',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    description:
      'The Standard Webhooks signing secret (`whsec_…`): verify `webhook-signature` with it (e.g. the `standardwebhooks` package). Shown only here (register, rotate).',
  }),
}).openapi('WebhookEndpointWithSecret');

export const RegisterEndpointRequest = z
  .object({
    url: z.string().openapi({
      description:
        'An https URL on a public address (no credentials, no #fragment; private, loopback and link-local addresses are refused, also when a host name resolves to one).',
      example: 'https://platform.example/webhooks/tipstream',
    }),
  })
  .openapi('RegisterWebhookEndpoint');

export const WebhookDeliverySchema = z
  .object({
    deliveryId: z.string().openapi({ description: '`<eventId>@<endpointId>`.' }),
    eventId: z.string().openapi({ description: 'The `webhook-id` of every attempt.' }),
    eventType: z.enum(WEBHOOK_EVENT_TYPES),
    endpointId: z.string(),
    subject: z.string().openapi({ description: 'The tip or batch the event is about.' }),
    occurredAt: z.string(),
    status: z.enum(['PENDING', 'DELIVERED', 'DEAD']).openapi({
      description: `PENDING: tried again at \`nextAttemptAt\`; DELIVERED: answered 2xx; DEAD: ${MAX_DELIVERY_ATTEMPTS} attempts failed (resend it).`,
    }),
    attempts: z.number().int(),
    nextAttemptAt: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deliveredAt: z.string().optional(),
    platformId: z.string(),
  })
  .openapi('WebhookDelivery');

/** The payloads a platform receives, for the document's `webhooks` section. */
const TipEventData = z.object({
  tipId: z.string(),
  platformId: z.string(),
  recipient: z.string(),
  amountMsat: z.string(),
  attempt: z.number().int(),
  batchId: z.string().optional(),
});

const envelope = <T extends z.ZodTypeAny>(type: string, data: T) =>
  z.object({
    id: z.string().openapi({ description: 'Equal to the `webhook-id` header; deduplicate by it.' }),
    type: z.literal(type),
    version: z.literal(1),
    createdAt: z.string().openapi({ description: 'When the ledger changed.' }),
    data,
  });

export const TipSucceededEvent = envelope(
  'tip.succeeded',
  TipEventData.extend({
    feeMsat: z.string(),
    settledAt: z.string(),
    receipt: z
      .object({ receipt: z.record(z.string(), z.unknown()), signature: z.string() })
      .openapi({ description: 'The signed receipt, as `GET /v1/tips/{tipId}` returns it.' }),
  }),
).openapi('TipSucceededEvent');

export const TipFailedEvent = envelope(
  'tip.failed',
  TipEventData.extend({ code: z.string(), reason: z.string() }),
).openapi('TipFailedEvent');

export const BatchCompletedEvent = envelope(
  'batch.completed',
  z.object({
    batchId: z.string(),
    platformId: z.string(),
    kind: z.string(),
    status: z.literal('DONE'),
    acceptedAt: z.string(),
    counts: z.object({
      total: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      pending: z.number().int(),
    }),
    msat: z.object({
      total: z.string(),
      succeeded: z.string(),
      failed: z.string(),
      pending: z.string(),
      fees: z.string(),
    }),
  }),
).openapi('BatchCompletedEvent');
