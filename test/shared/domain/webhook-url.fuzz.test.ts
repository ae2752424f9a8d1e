import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebhookUrlError } from '../../../shared/domain/errors.js';
import { isPublicAddress } from '../../../shared/domain/public-address.js';
import { nextAttemptAt, RETRY_DELAYS_MS } from '../../../shared/domain/webhook-delivery.js';
import { parseWebhookUrl } from '../../../shared/domain/webhook-url.js';

const production = { allowedHosts: [] };

describe('webhook endpoint URLs', () => {
  it.each([
    ['http://example.com/hook', /https/],
    ['https://127.0.0.1/hook', /private, loopback/],
    ['https://[::1]/hook', /private, loopback/],
    ['https://169.254.169.254/latest/meta-data', /private, loopback/],
    ['https://10.1.2.3/', /private/],
    ['https://[::ffff:192.168.1.1]/', /private/],
    ['https://user:pw@example.com/', /user name/],
    ['not a url', /absolute URL/],
  ])('refuses %s', (url, message) => {
    expect(() => parseWebhookUrl(url, production)).toThrow(message);
  });

  it('takes https to a public host, and plain http to an allowed local host', () => {
    expect(parseWebhookUrl('https://platform.example/hooks', production).host).toBe(
      'platform.example',
    );
    expect(parseWebhookUrl('https://8.8.8.8/x', production).hostname).toBe('8.8.8.8');
    expect(
      parseWebhookUrl('http://127.0.0.1:8080/hooks', { allowedHosts: ['127.0.0.1'] }).port,
    ).toBe('8080');
  });

  it('classifies addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.1.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '::',
      '0.0.0.0',
      '100.64.0.1',
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(ip), ip).toBe(true);
    }
  });

  it('answers any string with a URL or a WebhookUrlError on the url field, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.ipV4().map((ip) => `https://${ip}/`),
        ),
        (raw) => {
          try {
            const url = parseWebhookUrl(raw, production);
            expect(url.protocol).toBe('https:');
          } catch (error) {
            expect(error).toBeInstanceOf(WebhookUrlError);
            expect((error as WebhookUrlError).field).toBe('url');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('classifies any string without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6()), (raw) => {
        expect(typeof isPublicAddress(raw)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the retry schedule', () => {
  it("is Standard Webhooks' schedule with ±20 % jitter, about 27.6 hours, then the dead letter", () => {
    const at = new Date('2026-01-01T00:00:00Z');
    let total = 0;
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
      const low = nextAttemptAt(attempt, at, { jitter: () => 0 })?.getTime() ?? 0;
      const high = nextAttemptAt(attempt, at, { jitter: () => 0.999999 })?.getTime() ?? 0;
      const delay = RETRY_DELAYS_MS[attempt - 1] ?? 0;
      expect(low - at.getTime()).toBe(Math.round(delay * 0.8));
      expect(high - at.getTime()).toBeCloseTo(delay * 1.2, -2);
      total += delay;
    }
    expect(total / 3_600_000).toBeCloseTo(27.6, 1);
    expect(nextAttemptAt(RETRY_DELAYS_MS.length + 1, at)).toBeUndefined();
  });
});
