import { createRoute, z } from '@hono/zod-openapi';
import { InvalidRequestError } from '../../../shared/app/errors.js';
import {
  changeWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  registerWebhookEndpoint,
} from '../../../shared/app/webhook-endpoints.js';
import { IdempotencyKeyHeader } from '../schemas/headers.js';
import {
  COMMON_PROBLEMS,
  InvalidRequestProblem,
  problem,
  WebhookEndpointNotFoundProblem,
  WRITE_PROBLEMS,
} from '../schemas/problems.js';
import {
  RegisterEndpointRequest,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from '../schemas/webhooks.js';
import { conflict, parseJsonObject, requireIdempotencyKey } from './answers.js';
import { apiRoute } from './route.js';

const EndpointParams = z.object({
  endpointId: z.string().openapi({ description: 'The `endpointId` from registration.' }),
});
const notFound = problem(
  'The platform has no endpoint with this id (`webhook-endpoint-not-found`).',
  WebhookEndpointNotFoundProblem,
);

export const postWebhookEndpoint = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/webhook-endpoints',
    tags: ['Webhooks'],
    operationId: 'registerWebhookEndpoint',
    summary: 'Register a webhook endpoint',
    description:
      'Every event of the platform from now on is POSTed to `url`, signed per Standard Webhooks with the returned `secret`. At most 10 endpoints per platform. The endpoint is registered once per `Idempotency-Key`: the same key and `url` again answer 200 with the same endpoint and its current secret (header `idempotent-replayed: true`; the key belongs to the signing platform, which could rotate the secret anyway), the same key with another `url` is a 409 conflict and registers nothing.',
    request: {
      headers: IdempotencyKeyHeader,
      body: { content: { 'application/json': { schema: RegisterEndpointRequest } } },
    },
    responses: {
      201: {
        description:
          'The endpoint, with its signing secret (shown only now and to a retry with the same Idempotency-Key).',
        content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
      },
      200: {
        description:
          'A retry (same Idempotency-Key and url): the endpoint the first request registered, with its current secret.',
        content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
      },
      ...WRITE_PROBLEMS,
      422: problem(
        'The url or body is not valid (`invalid-request`, naming the field).',
        InvalidRequestProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.header('idempotency-key'));
    const body = parseJsonObject(c.get('rawBody'));
    if (typeof body.url !== 'string') {
      throw new InvalidRequestError('url must be a string', [
        { field: 'url', message: 'must be an https URL string' },
      ]);
    }
    const result = await registerWebhookEndpoint(
      { platformId: c.get('platform').platformId, url: body.url, idempotencyKey },
      { endpoints: deps.webhooks.endpoints, policy: deps.webhooks.policy, now: deps.now() },
    );
    if (result.kind === 'conflict') throw conflict(result.message);
    const { platformId: _platform, ...shown } = result.endpoint;
    return result.replayed
      ? c.json(shown, 200, { 'idempotent-replayed': 'true' })
      : c.json(shown, 201);
  },
);

export const getWebhookEndpoints = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/webhook-endpoints',
    tags: ['Webhooks'],
    operationId: 'listWebhookEndpoints',
    summary: "The platform's webhook endpoints",
    responses: {
      200: {
        description: 'Oldest first; secrets are not shown.',
        content: {
          'application/json': { schema: z.object({ endpoints: z.array(WebhookEndpointSchema) }) },
        },
      },
      ...COMMON_PROBLEMS,
    },
  }),
  (deps) => async (c) => {
    const endpoints = await listWebhookEndpoints(c.get('platform').platformId, {
      endpoints: deps.webhooks.endpoints,
    });
    return c.json({ endpoints: endpoints.map(({ platformId: _p, ...rest }) => rest) }, 200);
  },
);

export const postWebhookEndpointAction = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/webhook-endpoints/{endpointId}/{action}',
    tags: ['Webhooks'],
    operationId: 'changeWebhookEndpoint',
    summary: 'Rotate the secret of, disable or enable an endpoint',
    description:
      '`rotate-secret`: a new secret signs from now on (returned; the old one stops at once). `disable`: no deliveries until enabled (pending ones become dead letters, resendable). `enable`.',
    request: {
      headers: IdempotencyKeyHeader,
      params: EndpointParams.extend({
        action: z.enum(['rotate-secret', 'disable', 'enable']),
      }),
    },
    responses: {
      200: {
        description: 'The endpoint (with its secret after `rotate-secret`).',
        content: {
          'application/json': { schema: WebhookEndpointWithSecretSchema.partial({ secret: true }) },
        },
      },
      ...WRITE_PROBLEMS,
      404: notFound,
    },
  }),
  (deps) => async (c) => {
    requireIdempotencyKey(c.req.header('idempotency-key'));
    const { endpointId, action } = c.req.valid('param');
    const endpoint = await changeWebhookEndpoint(
      {
        platformId: c.get('platform').platformId,
        endpointId,
        change: action === 'rotate-secret' ? 'rotate' : action,
      },
      { endpoints: deps.webhooks.endpoints, now: deps.now() },
    );
    const { platformId: _p, secret, ...rest } = endpoint;
    return c.json(action === 'rotate-secret' ? { ...rest, secret } : rest, 200);
  },
);

export const deleteWebhookEndpointRoute = apiRoute(
  createRoute({
    method: 'delete',
    path: '/v1/webhook-endpoints/{endpointId}',
    tags: ['Webhooks'],
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete an endpoint',
    description: 'No more deliveries; its pending deliveries become dead letters.',
    request: { params: EndpointParams },
    responses: {
      200: {
        description: 'Deleted.',
        content: { 'application/json': { schema: z.object({ deleted: z.string() }) } },
      },
      ...COMMON_PROBLEMS,
      404: notFound,
    },
  }),
  (deps) => async (c) => {
    const { endpointId } = c.req.valid('param');
    await deleteWebhookEndpoint(
      { platformId: c.get('platform').platformId, endpointId },
      { endpoints: deps.webhooks.endpoints },
    );
    return c.json({ deleted: endpointId }, 200);
  },
);
