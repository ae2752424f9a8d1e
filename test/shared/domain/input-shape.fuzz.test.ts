import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { canonicalJson } from '../../../shared/domain/canonical-json.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { describeValue, parseShape } from '../../../shared/domain/input-shape.js';
import {
  checkProperty,
  hostileJsonValue,
  hostileUnknown,
  MAX_ERROR_MESSAGE_CHARS,
  mutatedObject,
  outcome,
} from '../../support/fast-check.js';

// parseShape is the first step of the payout-file and value-split row parsers: a zod schema, and
// the first issue worded for the sender. Fuzzed here with a schema of the same kind.
const RowSchema = z.strictObject({
  name: z.string('must be a string'),
  amountSats: z.union([z.number(), z.string()], 'must be a number or a decimal string'),
  note: z.string().optional(),
  recipient: z
    .strictObject({ pubkey: z.string(), customKey: z.string().optional() }, 'must be an object')
    .optional(),
  tags: z.array(z.string()).optional(),
});

const validRow = fc.record(
  {
    name: fc.string(),
    amountSats: fc.oneof(fc.integer(), fc.string()),
    note: fc.string(),
    recipient: fc.record(
      { pubkey: fc.string(), customKey: fc.string() },
      { requiredKeys: ['pubkey'] },
    ),
    tags: fc.array(fc.string(), { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'amountSats'] },
) as fc.Arbitrary<Record<string, unknown>>;

const where = { prefix: 'row 7: ', field: 'rows.7' };

describe('parseShape, fuzzed', () => {
  it('returns what the schema accepts, else throws only a bounded ValidationError under `field`', () => {
    checkProperty(
      fc.property(
        fc.oneof(mutatedObject(validRow), validRow, hostileUnknown(), hostileJsonValue()),
        (input) => {
          const result = outcome(() => parseShape(RowSchema, input, where), [ValidationError]);
          const expected = RowSchema.safeParse(input);
          expect(result.ok).toBe(expected.success);
          if (result.ok) {
            expect(canonicalJson(result.value)).toBe(canonicalJson(expected.data));
            return;
          }
          const error = result.error as ValidationError;
          expect(error.field === 'rows.7' || error.field.startsWith('rows.7.')).toBe(true);
          expect(error.field.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
          expect(error.message.startsWith('row 7')).toBe(true);
          expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
        },
      ),
      3_000,
    );
  });

  it('describeValue names any value briefly, without throwing', () => {
    checkProperty(
      fc.property(hostileUnknown(), (value) => {
        // At most 40 chars of a string, each escaped to at most 6 ("\u0000").
        expect(describeValue(value).length).toBeLessThanOrEqual(20 + 6 * 40);
      }),
    );
  });
});

describe('regressions found by fuzzing', () => {
  it('names a huge unknown field by its start', () => {
    const key = 'k'.repeat(20_000);
    const result = outcome(
      () => parseShape(RowSchema, { name: 'a', amountSats: 1, [key]: 1 }, where),
      [ValidationError],
    );
    if (result.ok) throw new Error('expected the row to be refused');
    const shown = `${'k'.repeat(70)}… (20000 chars)`;
    expect((result.error as ValidationError).field).toBe(`rows.7.${shown}`);
    expect(result.error.message).toBe(
      `row 7: unknown field "${shown}": remove it (accepted: name, amountSats, note, recipient, tags)`,
    );
  });
});
