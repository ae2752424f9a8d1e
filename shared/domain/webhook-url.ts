import { WebhookUrlError } from './errors.js';
import { isPublicAddress } from './public-address.js';

/**
 * Where webhooks may go. A platform's endpoint URL is untrusted input: Tipstream's own network
 * must not become reachable through it. `allowedHosts` (the local stack and tests only) lifts the
 * HTTPS rule and the address rule for those host names or addresses.
 */
export interface WebhookUrlPolicy {
  allowedHosts: readonly string[];
}

const MAX_URL_LENGTH = 2048;

/** Checks an endpoint URL's shape: absolute https (or an allowed host), no credentials. */
export const parseWebhookUrl = (raw: string, policy: WebhookUrlPolicy): URL => {
  if (raw.length > MAX_URL_LENGTH) {
    throw new WebhookUrlError(`must be at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('must be an absolute URL, e.g. https://example.com/webhooks');
  }
  const allowed = isAllowedHost(url.hostname, policy);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) {
    throw new WebhookUrlError('must be an https:// URL');
  }
  if (url.username || url.password) {
    throw new WebhookUrlError('must not carry a user name or password');
  }
  if (url.hash) throw new WebhookUrlError('must not have a #fragment');
  if (!allowed && isIpLiteral(url.hostname) && !isPublicAddress(unbracket(url.hostname))) {
    throw new WebhookUrlError(
      `must not point at a private, loopback or link-local address (${url.hostname})`,
    );
  }
  return url;
};

export const isAllowedHost = (hostname: string, policy: WebhookUrlPolicy) =>
  policy.allowedHosts.includes(unbracket(hostname).toLowerCase());

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '');
const isIpLiteral = (host: string) => /^[0-9.]+$/.test(host) || host.startsWith('[');
