import { randomBytes } from 'node:crypto';
import { parseWebhookUrl, type WebhookUrlPolicy } from '../domain/webhook-url.js';
import type { WebhookEndpoint, WebhookEndpointStore } from '../ports/webhooks.js';
import { WebhookEndpointNotFoundError } from './errors.js';

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** At most this many endpoints per platform: each event costs one delivery per endpoint. */
const MAX_ENDPOINTS_PER_PLATFORM = 10;

type Store = WebhookEndpointStore;

/** Registers an endpoint (its URL checked against the policy); returns it with its secret. */
export const registerWebhookEndpoint = async (
  input: { platformId: string; url: string },
  deps: { endpoints: Store; policy: WebhookUrlPolicy; now: Date },
): Promise<WebhookEndpoint> => {
  const url = parseWebhookUrl(input.url, deps.policy).toString();
  const existing = await deps.endpoints.listEndpoints(input.platformId);
  if (existing.length >= MAX_ENDPOINTS_PER_PLATFORM) {
    throw new WebhookEndpointLimitError(
      `platform ${input.platformId} already has ${existing.length} webhook endpoints (at most ${MAX_ENDPOINTS_PER_PLATFORM}); delete one first`,
    );
  }
  const at = deps.now.toISOString();
  const endpoint: WebhookEndpoint = {
    endpointId: `we_${randomBytes(12).toString('hex')}`,
    platformId: input.platformId,
    url,
    secret: newWebhookSecret(),
    enabled: true,
    createdAt: at,
    updatedAt: at,
  };
  await deps.endpoints.putEndpoint(endpoint);
  return endpoint;
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
