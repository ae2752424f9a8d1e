import { createHash, randomBytes } from 'node:crypto';
import { parseWebhookUrl, type WebhookUrlPolicy } from '../domain/webhook-url.js';
import type { WebhookEndpoint, WebhookEndpointStore } from '../ports/webhooks.js';
import { tipIdFor } from './accept-tip.js';
import { WebhookEndpointNotFoundError } from './errors.js';

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** At most this many endpoints per platform: each event costs one delivery per endpoint. */
const MAX_ENDPOINTS_PER_PLATFORM = 10;

type Store = WebhookEndpointStore;

/**
 * The endpoint id of a platform's registration request: derived from its Idempotency-Key the way
 * a tip id is (`tipIdFor`, namespaced like a batch's key), so a retry finds what the first request
 * created. Hashed again to the `we_` + 24 hex form; the platform is part of the hash, so another
 * platform's same key is another endpoint.
 */
const endpointIdFor = (platformId: string, idempotencyKey: string) =>
  `we_${createHash('sha256')
    .update(tipIdFor(platformId, `webhook-endpoint:${idempotencyKey}`), 'utf8')
    .digest('hex')
    .slice(0, 24)}`;

export type RegisterEndpointResult =
  | { kind: 'registered'; endpoint: WebhookEndpoint; replayed: boolean }
  | { kind: 'conflict'; message: string };

/**
 * Registers an endpoint (its URL checked against the policy) under the request's Idempotency-Key;
 * returns it with its secret. The same key and URL again answer the same endpoint with its
 * current secret (`replayed`): the key is scoped to the signing platform, which may rotate the
 * secret anyway, so a retry whose first answer was lost still learns it. The same key with
 * another URL is a conflict and registers nothing. A key whose endpoint was deleted registers a
 * new one.
 */
export const registerWebhookEndpoint = async (
  input: { platformId: string; url: string; idempotencyKey: string },
  deps: { endpoints: Store; policy: WebhookUrlPolicy; now: Date },
): Promise<RegisterEndpointResult> => {
  const url = parseWebhookUrl(input.url, deps.policy).toString();
  const endpointId = endpointIdFor(input.platformId, input.idempotencyKey);
  const replay = (existing: WebhookEndpoint): RegisterEndpointResult =>
    existing.platformId === input.platformId && existing.url === url
      ? { kind: 'registered', endpoint: existing, replayed: true }
      : {
          kind: 'conflict',
          message: `Idempotency-Key "${input.idempotencyKey}" was already used to register another URL; send a new key to register a new endpoint`,
        };
  const earlier = await deps.endpoints.getEndpoint(endpointId);
  if (earlier) return replay(earlier);
  const existing = await deps.endpoints.listEndpoints(input.platformId);
  if (existing.length >= MAX_ENDPOINTS_PER_PLATFORM) {
    throw new WebhookEndpointLimitError(
      `platform ${input.platformId} already has ${existing.length} webhook endpoints (at most ${MAX_ENDPOINTS_PER_PLATFORM}); delete one first`,
    );
  }
  const at = deps.now.toISOString();
  const endpoint: WebhookEndpoint = {
    endpointId,
    platformId: input.platformId,
    url,
    secret: newWebhookSecret(),
    enabled: true,
    createdAt: at,
    updatedAt: at,
  };
  if ((await deps.endpoints.putEndpoint(endpoint)) === 'exists') {
    // A concurrent request with the same key created it first: answer as its retry would be.
    const raced = await deps.endpoints.getEndpoint(endpointId);
    if (raced) return replay(raced);
    throw new WebhookEndpointNotFoundError(
      `webhook endpoint ${endpointId} was deleted while it was being registered; send the request again`,
    );
  }
  return { kind: 'registered', endpoint, replayed: false };
};

export class WebhookEndpointLimitError extends Error {
  override name = 'WebhookEndpointLimitError';
}

/** The platform's own endpoint, or not found (another platform's is answered as missing). */
const ownEndpoint = async (store: Store, platformId: string, endpointId: string) => {
  const endpoint = /^we_[0-9a-f]{24}$/.test(endpointId)
    ? await store.getEndpoint(endpointId)
    : undefined;
  if (!endpoint || endpoint.platformId !== platformId) {
    throw new WebhookEndpointNotFoundError(
      `platform ${platformId} has no webhook endpoint ${endpointId.slice(0, 100)}`,
    );
  }
  return endpoint;
};

/** A platform's endpoints; secrets are not listed (shown on register and rotate only). */
export const listWebhookEndpoints = async (platformId: string, deps: { endpoints: Store }) =>
  (await deps.endpoints.listEndpoints(platformId)).map(({ secret: _secret, ...rest }) => rest);

/**
 * Changes one of the platform's endpoints: `rotate` a new secret (the old one stops signing at
 * once), `disable` (no new deliveries, pending ones dead-lettered), `enable`.
 */
export const changeWebhookEndpoint = async (
  input: { platformId: string; endpointId: string; change: 'rotate' | 'disable' | 'enable' },
  deps: { endpoints: Store; now: Date },
): Promise<WebhookEndpoint> => {
  await ownEndpoint(deps.endpoints, input.platformId, input.endpointId);
  const updated = await deps.endpoints.updateEndpoint(
    input.endpointId,
    input.change === 'rotate'
      ? { secret: newWebhookSecret() }
      : { enabled: input.change === 'enable' },
    deps.now,
  );
  if (!updated) {
    throw new WebhookEndpointNotFoundError(`webhook endpoint ${input.endpointId} was deleted`);
  }
  return updated;
};

/** Deletes one of the platform's endpoints; its pending deliveries become dead letters. */
export const deleteWebhookEndpoint = async (
  input: { platformId: string; endpointId: string },
  deps: { endpoints: Store },
) => {
  await ownEndpoint(deps.endpoints, input.platformId, input.endpointId);
  await deps.endpoints.deleteEndpoint(input.endpointId);
};
