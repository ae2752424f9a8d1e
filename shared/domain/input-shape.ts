import type { z } from 'zod';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';

/** Names a received value for an error message ("null", "the string \"abc\"", "number 12.5"). */
export const describeValue = (value: unknown): string => {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return withArticle(typeof value);
};

const withArticle = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

/**
 * Checks `input` against a zod schema and throws a ValidationError for the first problem, worded
 * for the sender: `prefix` says where ("row 3: ", "recipient 2 (\"Host\") "), `field` is the
 * dotted path of the object in the whole input.
 */
export const parseShape = <T>(
  schema: z.ZodType<T>,
  input: unknown,
  { prefix, field }: { prefix: string; field: string },
): T => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // A misspelt field shows up as both "unknown" and "missing": the unknown name is the better clue.
  const { issues } = parsed.error;
  const issue = issues.find(({ code }) => code === 'unrecognized_keys') ?? issues[0];
  if (!issue) throw new ValidationError(field, `${prefix}${parsed.error.message}`);
  const path = issue.path.map(String).join('.');
  const at = [field, path].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    // A key can be as long as the input: name it by its start.
    const key = preview(issue.keys[0] ?? '', 70);
    const accepted = 'shape' in schema ? Object.keys(schema.shape as object).join(', ') : '';
    return fail(
      `${at}.${key}`,
      `${prefix}unknown field "${key}": remove it${accepted ? ` (accepted: ${accepted})` : ''}`,
    );
  }
  const value = valueAtPath(input, issue.path);
  if (value === undefined && issue.path.length > 0) {
    return fail(at, `${prefix}${path} is required`);
  }
  // The object itself is wrong: "row 3 must be an object", not "row 3: value must be …".
  const subject = path ? `${prefix}${path}` : prefix.replace(/:?\s*$/, '');
  // zod's own wording ("Invalid input: …") is replaced where the schema gives none.
  const expected = issue.message.startsWith('Invalid input')
    ? `must be ${'expected' in issue ? withArticle(String(issue.expected)) : 'another type'}`
    : issue.message;
  return fail(at, `${subject} ${expected}, got ${describeValue(value)}`);
};

const fail = (field: string, message: string): never => {
  throw new ValidationError(field, message);
};

/** The value a zod issue points at inside the raw input (undefined when it is missing). */
export const valueAtPath = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (node, key) =>
      typeof node === 'object' && node !== null
        ? (node as Record<PropertyKey, unknown>)[key]
        : undefined,
    input,
  );
