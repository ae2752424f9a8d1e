import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ValidationError } from '../../../shared/domain/errors.js';
import { describeValue, parseShape } from '../../../shared/domain/input-shape.js';
import { thrown } from './helpers.js';

describe('describeValue', () => {
  it.each([
    { args: null, text: 'null' },
    { args: undefined, text: 'undefined' },
    { args: [1], text: 'an array' },
    { args: 'abc', text: 'the string "abc"' },
    { args: 'x'.repeat(50), text: `the string "${'x'.repeat(40)}"` },
    { args: 12.5, text: 'number 12.5' },
    { args: false, text: 'boolean false' },
    { args: {}, text: 'an object' },
    { args: 1n, text: 'a bigint' },
  ])('$text', ({ args, text }) => {
    expect(describeValue(args)).toBe(text);
  });
});

describe('parseShape', () => {
  const schema = z.strictObject({
    name: z.string('must be a string'),
    count: z.number().optional(),
  });
  const where = { prefix: 'row 3: ', field: 'rows.3' };

  it('returns the parsed value', () => {
    expect(parseShape(schema, { name: 'a' }, where)).toEqual({ name: 'a' });
  });

  it.each([
    {
      description: 'a value that is not an object',
      args: 'a',
      field: 'rows.3',
      error: 'row 3 must be an object, got the string "a"',
    },
    {
      description: 'a missing field',
      args: {},
      field: 'rows.3.name',
      error: 'row 3: name is required',
    },
    {
      description: 'a field of the wrong type, with the schema wording',
      args: { name: 1 },
      field: 'rows.3.name',
      error: 'row 3: name must be a string, got number 1',
    },
    {
      description: 'a field of the wrong type, without schema wording',
      args: { name: 'a', count: 'two' },
      field: 'rows.3.count',
      error: 'row 3: count must be a number, got the string "two"',
    },
    {
      description: 'an unknown field, reported before the missing one it replaces',
      args: { nmae: 'a' },
      field: 'rows.3.nmae',
      error: 'row 3: unknown field "nmae": remove it (accepted: name, count)',
    },
  ])('rejects $description', ({ args, field, error }) => {
    const err = thrown(() => parseShape(schema, args, where));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(error);
    expect((err as ValidationError).field).toBe(field);
  });
});
