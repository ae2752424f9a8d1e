import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/domain/canonical-json.js';
import {
  checkProperty,
  hostileJsonValue,
  hostileUnknown,
  outcome,
} from '../../support/fast-check.js';

/** The same JSON value with every object's keys in another order. */
const reordered = (value: unknown, flip: boolean): unknown => {
  if (Array.isArray(value)) return value.map((item) => reordered(item, flip));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(
    ([key, item]) => [key, reordered(item, !flip)] as const,
  );
  return Object.fromEntries(flip ? entries.reverse() : entries);
};

/** JSON's own reading of a value: -0 is written as 0. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('canonicalJson, fuzzed', () => {
  it('is JSON for the same value, idempotent, and independent of key order', () => {
    checkProperty(
      fc.property(hostileJsonValue({ maxDepth: 4 }), fc.boolean(), (value, flip) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(viaJson(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalJson(reordered(value, flip))).toBe(text);
      }),
      2_000,
    );
  });

  it('throws only TypeError (or RangeError when nested too deep) for what JSON cannot hold', () => {
    checkProperty(
      fc.property(hostileUnknown(), (value) => {
        outcome(() => canonicalJson(value), [TypeError, RangeError]);
      }),
    );
  });
});
