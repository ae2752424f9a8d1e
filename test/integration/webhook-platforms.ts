import { afterAll } from 'vitest';
import { startWebhookReceiver } from '../../infra/local/emulators/webhook-receiver.js';
import { registerWebhookEndpoint } from '../../shared/app/webhook-endpoints.js';
import { createWebhookStores, readWebhookUrlPolicy } from '../../shared/config/webhook-config.js';
import { apiClient, type LocalService, newTestPlatform, type StackClients } from './helpers.js';

/**
 * `platformWithReceiver(prefix, answer?)`: a new platform with one webhook endpoint at a new
 * verifying receiver on loopback (answering as `answer` says); every receiver is closed after the
 * file's tests.
 */
export const webhookPlatforms = (f: { clients: StackClients; service: LocalService }) => {
  const receivers: Awaited<ReturnType<typeof startWebhookReceiver>>[] = [];
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
  });
  return async (prefix: string, answer?: Parameters<typeof startWebhookReceiver>[0]) => {
    const platform = await newTestPlatform(f.clients, prefix, 10_000_000);
    const receiver = await startWebhookReceiver(answer);
    receivers.push(receiver);
    const stores = createWebhookStores(f.clients.dynamodb, f.service.env);
    const registered = await registerWebhookEndpoint(
      { platformId: platform.platformId, url: receiver.url, idempotencyKey: receiver.url },
      { endpoints: stores.endpoints, policy: readWebhookUrlPolicy(f.service.env), now: new Date() },
    );
    if (registered.kind !== 'registered') throw new Error(registered.message);
    const { endpoint } = registered;
    receiver.setSecret(endpoint.secret);
    return {
      call: apiClient(f.service.api?.url ?? '', platform),
      platform,
      receiver,
      endpoint,
      stores,
    };
  };
};
