import { Webhook } from 'standardwebhooks';
import { isDelivered } from '../../domain/webhook-delivery.js';
import type { WebhookUrlPolicy } from '../../domain/webhook-url.js';
import type { WebhookSender } from '../../ports/webhooks.js';
import { safePost } from './safe-fetch.js';

/**
 * Delivers webhooks as Standard Webhooks says: `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` signed by the `standardwebhooks` package with the endpoint's `whsec_`
 * secret, over the guarded POST (short timeout, bounded answer, no redirects). Every failure,
 * a refused address included, is an outcome to retry, never a throw.
 */
export const createWebhookSender = (options: {
  timeoutMs: number;
  policy: WebhookUrlPolicy;
  maxResponseBytes?: number;
}): WebhookSender => ({
  async send({ url, secret, webhookId, timestamp, body }) {
    const signature = new Webhook(secret).sign(webhookId, timestamp, body);
    try {
      const { status, bodyStart } = await safePost({
        url,
        body,
        headers: {
          'webhook-id': webhookId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        timeoutMs: options.timeoutMs,
        maxResponseBytes: options.maxResponseBytes ?? 4096,
        policy: options.policy,
      });
      return isDelivered(status)
        ? { ok: true, status }
        : { ok: false, status, error: `HTTP ${status}${bodyStart ? `: ${bodyStart}` : ''}` };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  },
});
