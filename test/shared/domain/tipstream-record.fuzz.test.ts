import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodePubkey, PlatformId, TipId } from '../../../shared/domain/brands.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { readTipstreamClaim, verifyIncomingTip } from '../../../shared/domain/incoming-tip.js';
import { TIPSTREAM_RECORD_TYPE } from '../../../shared/domain/keysend-records.js';
import {
  encodeTipstreamRecord,
  parseTipstreamRecord,
} from '../../../shared/domain/tipstream-record.js';
import { checkProperty, MAX_ERROR_MESSAGE_CHARS, outcome } from '../../support/fast-check.js';
import { G } from './helpers.js';

const ids = {
  platformId: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  tipId: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,255}$/),
};
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  // Mostly well-formed: a real record with bytes flipped, cut or appended.
  fc
    .record({ ...ids, flips: fc.array(fc.nat(), { maxLength: 4 }), cut: fc.nat(400) })
    .map(({ platformId, tipId, flips, cut }) => {
      const value = encodeTipstreamRecord({
        operator: G as NodePubkey,
        platformId: platformId as PlatformId,
        tipId: tipId as TipId,
      }).value.slice(0, cut);
      for (const at of flips) {
        const index = at % Math.max(1, value.length);
        if (value.length > 0) value[index] = (value[index] ?? 0) ^ (1 << (at % 8));
      }
      return value;
    }),
);

describe('parseTipstreamRecord (property)', () => {
  it('round-trips every record it can encode', () => {
    checkProperty(
      fc.property(ids.platformId, ids.tipId, (platformId, tipId) => {
        const fields = {
          operator: G as NodePubkey,
          platformId: platformId as PlatformId,
          tipId: tipId as TipId,
        };
        expect(parseTipstreamRecord(encodeTipstreamRecord(fields).value)).toEqual({
          version: 1,
          ...fields,
        });
      }),
    );
  });

  it('on any bytes returns a record that re-encodes to the same bytes, or throws only its ValidationError with a short message', () => {
    checkProperty(
      fc.property(anyBytes, (value) => {
        const result = outcome(() => parseTipstreamRecord(value), [ValidationError]);
        if (result.ok) {
          expect(encodeTipstreamRecord(result.value).value).toEqual(value);
        } else {
          expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          expect((result.error as ValidationError).field).toBe('tipstreamRecord');
        }
      }),
    );
  });

  it('never verifies a payment whose preimage is not the derived one, whatever its record says', () => {
    checkProperty(
      fc.property(anyBytes, fc.uint8Array({ minLength: 32, maxLength: 32 }), (value, preimage) => {
        const records = [{ type: TIPSTREAM_RECORD_TYPE, value }];
        const claim = readTipstreamClaim(records);
        expect(claim).toBeDefined();
        const verdict = verifyIncomingTip(
          { paymentHash: '00'.repeat(32), preimage, records },
          new Uint8Array(32).fill(7),
        );
        expect(verdict.kind).toBe('not-authentic');
      }),
    );
  });
});
