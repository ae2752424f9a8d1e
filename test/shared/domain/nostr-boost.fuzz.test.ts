import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { signBoost, verifyBoostSignature } from '../../../shared/domain/nostr-boost.js';
import { parseTipRequest } from '../../../shared/domain/tip-request.js';
import {
  checkProperty,
  hostileString,
  MAX_ERROR_MESSAGE_CHARS,
  outcome,
} from '../../support/fast-check.js';
import { G } from './helpers.js';

const secretKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((key) => key.some((byte) => byte !== 0) && key[0] !== 0xff);
const boost = fc.record(
  { action: fc.constantFrom('boost', 'stream'), message: fc.string(), ts: fc.nat() },
  { requiredKeys: ['action'] },
);
const hexString = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const nostrField = fc.oneof(
  hostileString(),
  hexString(64),
  hexString(128),
  fc.nat(),
  fc.constant(null),
);
const POLICY = { maxMsat: 10n ** 12n, allowMsat: true, customRecordsBudgetBytes: 1300 };

describe('verifyBoostSignature (property)', () => {
  it('verifies what signBoost signed, and nothing after any one field is changed', () => {
    checkProperty(
      fc.property(secretKey, boost, fc.string({ minLength: 1 }), (key, fields, changed) => {
        const signed = signBoost(fields, key);
        expect(verifyBoostSignature(signed)).toBe(signed.sender_id);
        if (changed !== fields.message) {
          expect(() => verifyBoostSignature({ ...signed, message: changed })).toThrow(
            ValidationError,
          );
        }
      }),
      50,
    );
  });

  it('on hostile sender_id/signature throws only its ValidationError, naming one of the two fields', () => {
    checkProperty(
      fc.property(
        boost,
        fc.option(nostrField),
        fc.option(nostrField),
        (fields, senderId, signature) => {
          const input = {
            ...fields,
            ...(senderId === null ? {} : { sender_id: senderId }),
            ...(signature === null ? {} : { signature }),
          };
          const result = outcome(() => verifyBoostSignature(input as never), [ValidationError]);
          if (!result.ok) {
            expect(['boostagram.sender_id', 'boostagram.signature']).toContain(
              (result.error as ValidationError).field,
            );
            expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          }
        },
      ),
    );
  });

  it('parseTipRequest never accepts a boostagram whose Nostr fields do not verify', () => {
    checkProperty(
      fc.property(boost, nostrField, nostrField, (fields, senderId, signature) => {
        const parsed = parseTipRequest(
          {
            version: 1,
            tipId: 't-1',
            platformId: 'p',
            recipientPubkey: G,
            amountMsat: 1000,
            boostagram: { ...fields, sender_id: senderId, signature },
          },
          POLICY,
        );
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(parsed.error.field).toMatch(/^boostagram\.(sender_id|signature)$/);
      }),
    );
  });
});
