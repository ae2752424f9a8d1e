/**
 * Shared set-up for property (fuzz) tests with fast-check: one seed for every run, hostile
 * arbitraries for parsers, and the "only its own error" check.
 *
 * Reproducible by default: every property runs with the same fixed seed, so a CI failure fails the
 * same way on a laptop. fast-check prints the seed and counterexample path of a failure; replay it
 * with `FC_SEED=<seed> npm run test:unit -- <file>`. Explore new inputs with another seed
 * (`FC_SEED=$RANDOM`) or more of them (`FC_NUM_RUNS=100000`: every property then runs that many).
 */
import fc from 'fast-check';
import { vi } from 'vitest';

/** The seed of this run: `FC_SEED` when set (an integer), else a fixed one. */
const FC_SEED = (() => {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === '') return 20_261_130;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got "${raw}"`);
  return seed;
})();

/** `FC_NUM_RUNS` when set: overrides every property's own number of runs. */
const NUM_RUNS_OVERRIDE = (() => {
  const raw = process.env.FC_NUM_RUNS;
  if (raw === undefined || raw === '') return undefined;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new Error(`FC_NUM_RUNS must be a positive integer, got "${raw}"`);
  }
  return runs;
})();

// Many runs take longer than the unit project's 20 s per test: lift the limit for such a run.
if (NUM_RUNS_OVERRIDE !== undefined) vi.setConfig({ testTimeout: 3_600_000 });

/** Default runs per property: enough to find edge cases, few enough for a fast unit run. */
const DEFAULT_NUM_RUNS = 2_000;

/** fast-check parameters for one property: the run's seed and `numRuns` (or FC_NUM_RUNS). */
export const fcParams = <T>(numRuns = DEFAULT_NUM_RUNS): fc.Parameters<T> => ({
  seed: FC_SEED,
  numRuns: NUM_RUNS_OVERRIDE ?? numRuns,
  // The counterexample, not the 100 shrink steps that led to it.
  verbose: fc.VerbosityLevel.None,
});

/** Checks a property with the run's seed; throws (fails the test) with the counterexample. */
export const checkProperty = <T>(property: fc.IProperty<T>, numRuns?: number): void =>
  fc.assert(property, fcParams<T>(numRuns));

/** Async form of `checkProperty`. */
export const checkAsyncProperty = <T>(
  property: fc.IAsyncProperty<T>,
  numRuns?: number,
): Promise<void> => fc.assert(property, fcParams<T>(numRuns));

/**
 * Runs `parse` and returns its value, or the error it threw when that is one of `allowed`
 * (a parser's own error type). Any other throw (TypeError, RangeError, …) fails the property.
 */
export const outcome = <T>(
  parse: () => T,
  allowed: ReadonlyArray<abstract new (...args: never[]) => Error>,
): { ok: true; value: T } | { ok: false; error: Error } => {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (allowed.some((type) => error instanceof type)) return { ok: false, error: error as Error };
    throw error;
  }
};

/** Longest error message a parser may produce, whatever it was given (untrusted input is previewed). */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

// ---------------------------------------------------------------------------------------------
// Hostile arbitraries
// ---------------------------------------------------------------------------------------------

/** Keys that change or shadow an object's prototype when handled carelessly. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
] as const;

/** One UTF-16 code unit that is half of a surrogate pair: not encodable as UTF-8. */
export const loneSurrogate = (): fc.Arbitrary<string> =>
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** Unicode digits other than ASCII 0-9 (Arabic-Indic, Devanagari, fullwidth, bold, …). */
const UNICODE_DIGITS = ['٣', '۴', '७', '০', '๙', '２', '𝟙', '⁵', '₅', '①', 'Ⅻ'] as const;

/** White space that `trim()` and JSON treat differently (NBSP, line separators, BOM, …). */
const WHITESPACE = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff'];

/** One character from everywhere: ASCII, any code point, lone surrogates, digits, white space. */
const hostileChar = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: loneSurrogate() },
    { weight: 1, arbitrary: fc.constantFrom(...UNICODE_DIGITS, ...WHITESPACE) },
  );

/** Any string, biased towards what breaks parsers; `maxLength` counts hostile chars. */
export const hostileString = ({
  maxLength = 80,
}: {
  maxLength?: number;
} = {}): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: hostileChar(), maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, '', 'null', 'undefined') },
    { weight: 1, arbitrary: numericLooking() },
  );

/** Strings that look like numbers to a lenient parser and are not canonical decimals. */
export const numericLooking = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      'NaN',
      '-NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '+0',
      '0',
      '00',
      '007',
      '1e3',
      '1E3',
      '1e303',
      '-1e303',
      '1e-7',
      '0.1',
      '1.',
      '.5',
      '1.0',
      '0x10',
      '0b1',
      '0o7',
      '1_000',
      '1,000',
      '21000n',
      '9007199254740993',
      '18446744073709551616',
      '-9223372036854775809',
      '1'.repeat(400),
    ),
    fc
      .tuple(
        fc.constantFrom('', ' ', '+', '-', '0', '00', '\u00a0', '\n'),
        fc.bigInt({ min: 0n, max: 10n ** 25n }),
        fc.constantFrom('', ' ', 'e3', '.0', 'n', '\n', '\u2028'),
      )
      .map(([head, digits, tail]) => `${head}${digits}${tail}`),
    fc
      .array(fc.constantFrom(...UNICODE_DIGITS, '1', '2'), { minLength: 1, maxLength: 6 })
      .map((digits) => digits.join('')),
  );

/** Numbers a JSON parser can produce or a JS caller can pass, with the awkward ones favoured. */
export const hostileNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(
      0,
      -0,
      1,
      -1,
      0.5,
      1e303,
      -1e303,
      1e21,
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53),
      Number.MAX_SAFE_INTEGER,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
  );

/** JSON nested `depth` levels deep (arrays or objects), as text. */
export const deeplyNestedJson = (depth: number, kind: 'array' | 'object' = 'array'): string =>
  kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`;

/** A value parsed from JSON nested `depth` levels deep (too deep to stringify recursively). */
const deeplyNested = (depth: number, kind: 'array' | 'object' = 'array'): unknown => {
  const value: object = JSON.parse(deeplyNestedJson(depth, kind));
  // fast-check prints a counterexample recursively: name this one instead.
  Object.defineProperty(value, fc.toStringMethod, {
    value: () => `deeplyNested(${depth}, '${kind}')`,
  });
  return value;
};

/** Any JSON value, with hostile strings (as values and keys) and the odd prototype key. */
export const hostileJsonValue = ({
  maxDepth = 3,
}: {
  maxDepth?: number;
} = {}): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      hostileNumber().filter(Number.isFinite),
      hostileString({ maxLength: 20 }),
      fc.array(tie('value'), { maxLength: 4 }),
      fc
        .array(
          fc.tuple(
            fc.oneof(hostileString({ maxLength: 10 }), fc.constantFrom(...PROTOTYPE_KEYS)),
            tie('value'),
          ),
          { maxLength: 4 },
        )
        // Object.fromEntries defines own properties, as JSON.parse does: "__proto__" stays a key.
        .map((entries) => Object.fromEntries(entries)),
    ),
  })).value;

/**
 * Anything a caller could hand a parser typed `unknown`: JSON values, hostile strings, deep
 * nesting, and JS-only values (bigint, undefined, functions, null-prototype objects, Maps, Dates).
 */
export const hostileUnknown = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: hostileJsonValue() },
    { weight: 2, arbitrary: hostileString() },
    { weight: 1, arbitrary: hostileNumber() },
    {
      weight: 1,
      arbitrary: fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withTypedArray: true,
        withSparseArray: true,
        maxDepth: 3,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        undefined,
        () => 1,
        Symbol('s'),
        deeplyNested(20_000),
        deeplyNested(20_000, 'object'),
      ),
    },
  );

/**
 * A JSON object built from `valid` with some of its fields replaced by hostile values, hostile
 * extra fields added, or fields dropped: close enough to valid to get past the first checks.
 */
export const mutatedObject = (
  valid: fc.Arbitrary<Record<string, unknown>>,
  hostile: fc.Arbitrary<unknown> = hostileJsonValue(),
): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      valid,
      fc.array(
        fc.tuple(
          fc.constantFrom('replace', 'drop', 'add', 'proto') as fc.Arbitrary<
            'replace' | 'drop' | 'add' | 'proto'
          >,
          fc.nat(),
          hostile,
          fc.oneof(
            { weight: 9, arbitrary: hostileString({ maxLength: 12 }) },
            // A key as long as a request body may be: it must not end up whole in a message.
            { weight: 1, arbitrary: fc.nat(20_000).map((length) => 'k'.repeat(length + 1)) },
          ),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([object, mutations]) => {
      const result: Record<string, unknown> = { ...object };
      for (const [kind, index, value, key] of mutations) {
        const keys = Object.keys(result);
        const target = keys.length > 0 ? keys[index % keys.length] : undefined;
        if (kind === 'replace' && target !== undefined) result[target] = value;
        if (kind === 'drop' && target !== undefined) delete result[target];
        if (kind === 'add') Object.defineProperty(result, key, defined(value));
        if (kind === 'proto') {
          Object.defineProperty(
            result,
            PROTOTYPE_KEYS[index % PROTOTYPE_KEYS.length] ?? '',
            defined(value),
          );
        }
      }
      return result;
    });

const defined = (value: unknown): PropertyDescriptor => ({
  value,
  enumerable: true,
  writable: true,
  configurable: true,
});
