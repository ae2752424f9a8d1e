import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteLengthError, ValidationError } from '../../../shared/domain/errors.js';
import {
  PLATFORM_ID_PATTERN,
  parsePlatformId,
  parseTipId,
  TIP_ID_PATTERN,
} from '../../../shared/domain/ids.js';
import { parseSummaryWindow, SUMMARY_WINDOWS } from '../../../shared/domain/platform-summary.js';
import { parsePreimage } from '../../../shared/domain/preimage.js';
import {
  checkProperty,
  hostileString,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  outcome,
  PROTOTYPE_KEYS,
} from '../../support/fast-check.js';

// The domain's small parsers: ids, the summary window query parameter, 32-byte values.

const idLike = fc.oneof(
  hostileUnknown(),
  hostileString({ maxLength: 300 }),
  fc.stringMatching(TIP_ID_PATTERN),
  fc.stringMatching(PLATFORM_ID_PATTERN),
  fc.nat(600).map((length) => 'a'.repeat(length)),
);

describe('parseTipId and parsePlatformId, fuzzed', () => {
  it('accept exactly their pattern, return the input unchanged, and throw only ValidationError', () => {
    checkProperty(
      fc.property(idLike, (raw) => {
        for (const [parse, pattern, field] of [
          [parseTipId, TIP_ID_PATTERN, 'tipId'],
          [parsePlatformId, PLATFORM_ID_PATTERN, 'platformId'],
        ] as const) {
          const result = outcome(() => parse(raw), [ValidationError]);
          expect(result.ok).toBe(typeof raw === 'string' && pattern.test(raw));
          if (result.ok) {
            expect(result.value).toBe(raw);
            expect(parse(result.value)).toBe(result.value);
          } else {
            expect((result.error as ValidationError).field).toBe(field);
            expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          }
        }
      }),
      3_000,
    );
  });
});

describe('parseSummaryWindow, fuzzed', () => {
  it('accepts the window names (absent or empty: 24h) and nothing else, prototype keys included', () => {
    checkProperty(
      fc.property(
        fc.oneof(
          hostileString({ maxLength: 40 }),
          fc.constantFrom(...PROTOTYPE_KEYS, '24h', '7d', '30d', '24H', ' 7d', null, undefined),
        ),
        (raw) => {
          const result = outcome(() => parseSummaryWindow(raw), [ValidationError]);
          const named = typeof raw === 'string' && Object.hasOwn(SUMMARY_WINDOWS, raw);
          expect(result.ok).toBe(named || raw === '' || raw === null || raw === undefined);
          if (result.ok) expect(result.value).toBe(named ? raw : '24h');
          else expect(result.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
        },
      ),
      3_000,
    );
  });
});

describe('parsePreimage, fuzzed', () => {
  it('accepts exactly 32-byte Uint8Arrays, as they are, and throw only ByteLengthError', () => {
    checkProperty(
      fc.property(
        fc.oneof(hostileUnknown(), fc.uint8Array({ minLength: 30, maxLength: 34 })),
        (raw) => {
          const result = outcome(() => parsePreimage(raw as Uint8Array), [ByteLengthError]);
          expect(result.ok).toBe(raw instanceof Uint8Array && raw.length === 32);
          if (result.ok) expect(result.value).toBe(raw);
        },
      ),
      3_000,
    );
  });
});
