import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  checkPayParams,
  LnurlResponseError,
  parseLightningAddress,
  readKeysendDetails,
} from '../../../shared/domain/lightning-address.js';
import {
  checkProperty,
  hostileString,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  outcome,
} from '../../support/fast-check.js';

const name = fc.stringMatching(/^[a-z0-9._+-]{1,64}$/);
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
// A last label that is a number makes a URL parser read the host as IPv4 (refused unless it is
// one): not a DNS name.
const domain = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .filter((labels) => !/^(?:[0-9]+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? ''))
  .map((labels) => labels.join('.'));

describe('parseLightningAddress, fuzzed', () => {
  it('accepts every LUD-16 address, lowercased, and parses its own output to itself', () => {
    checkProperty(
      fc.property(name, domain, fc.option(fc.integer({ min: 1, max: 65_535 })), (n, d, port) => {
        const raw = `${n}@${d}${port === null ? '' : `:${port}`}`;
        const parsed = parseLightningAddress(
          fc.stringify(raw).length > 0 ? raw.toUpperCase() : raw,
        );
        expect(parsed).toBe(raw);
        expect(parseLightningAddress(parsed)).toBe(parsed);
      }),
    );
  });

  it('throws only ValidationError with a bounded message, and never lets a "/", "?", "#" or space through', () => {
    checkProperty(
      fc.property(
        fc.oneof(
          hostileString({ maxLength: 120 }),
          hostileUnknown(),
          fc.tuple(hostileString(), hostileString()).map(([a, b]) => `${a}@${b}`),
        ),
        (raw) => {
          const result = outcome(
            () => parseLightningAddress(raw, 'recipientAddress'),
            [ValidationError],
          );
          if (result.ok) {
            expect(result.value).toMatch(/^[a-z0-9._+-]{1,64}@[a-z0-9.:[\]-]+$/);
          } else {
            expect((result.error as ValidationError).field).toBe('recipientAddress');
            expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          }
        },
      ),
    );
  });
});

describe('Lightning Address server answers, fuzzed', () => {
  it('readKeysendDetails throws only LnurlResponseError on any JSON', () => {
    checkProperty(
      fc.property(
        fc.oneof(
          hostileUnknown(),
          fc.record({
            tag: fc.oneof(fc.constant('keysend'), hostileUnknown()),
            pubkey: fc.oneof(hostileString(), hostileUnknown()),
            customData: fc.oneof(
              fc.array(fc.record({ customKey: hostileUnknown(), customValue: hostileUnknown() })),
              hostileUnknown(),
            ),
          }),
        ),
        (doc) => {
          outcome(() => readKeysendDetails(doc), [LnurlResponseError]);
        },
      ),
    );
  });

  it('checkPayParams throws only LnurlResponseError on any metadata and amount', () => {
    checkProperty(
      fc.property(
        fc.oneof(hostileString({ maxLength: 200 }), fc.json()),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        (metadata, amountMsat) => {
          outcome(
            () =>
              checkPayParams(
                {
                  callback: 'https://x.example',
                  minSendableMsat: 1n,
                  maxSendableMsat: 10n ** 12n,
                  metadata,
                },
                amountMsat,
              ),
            [LnurlResponseError],
          );
        },
      ),
    );
  });
});
