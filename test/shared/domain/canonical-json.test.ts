import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/domain/canonical-json.js';

describe('canonicalJson', () => {
  it.each([
    { description: 'null', args: null, expected: 'null' },
    { description: 'a string with quotes and Unicode', args: 'a"⚡', expected: '"a\\"⚡"' },
    { description: 'numbers', args: [0, -1, 1.5], expected: '[0,-1,1.5]' },
    {
      description: 'nested keys sorted',
      args: { b: { d: 1, c: 2 }, a: [{ z: 1, y: 2 }] },
      expected: '{"a":[{"y":2,"z":1}],"b":{"c":2,"d":1}}',
    },
    // JSON.stringify would emit "2" before "10": integer-like keys go first in JS objects.
    {
      description: 'integer-like keys sorted as strings',
      args: { 2: 'b', 10: 'a', x: 'c' },
      expected: '{"10":"a","2":"b","x":"c"}',
    },
    {
      description: 'undefined properties left out',
      args: { a: undefined, b: 1 },
      expected: '{"b":1}',
    },
  ])('encodes $description', ({ args, expected }) => {
    expect(canonicalJson(args)).toBe(expected);
  });

  it.each([
    { description: 'a bigint', args: 1n, error: /cannot encode a bigint/ },
    { description: 'NaN', args: Number.NaN, error: /has no NaN/ },
    { description: 'Infinity', args: Number.POSITIVE_INFINITY, error: /has no Infinity/ },
    { description: 'undefined in an array', args: [undefined], error: /cannot encode undefined$/ },
  ])('rejects $description', ({ args, error }) => {
    expect(() => canonicalJson(args)).toThrow(error);
  });
});
