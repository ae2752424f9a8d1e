import { describe, expect, it } from 'vitest';
import * as zod from 'zod';
import * as trimmed from '../../infra/constructs/zod-without-locales/index.js';

/**
 * The Lambda bundles resolve `zod` to infra/constructs/zod-without-locales (tipstream-function.ts):
 * it must be zod, export for export, less `locales` (the languages' messages nobody here asks
 * for). A zod upgrade that adds or moves an export fails here, not in a deployed function.
 */
describe('zod without locales', () => {
  const names = (namespace: object) => Object.keys(namespace).sort();

  it('exports what zod exports, the same values, less locales', () => {
    expect(names(trimmed)).toEqual(names(zod).filter((name) => name !== 'locales'));
    const [mine, theirs] = [new Map(Object.entries(trimmed)), new Map(Object.entries(zod))];
    for (const [name, value] of mine) {
      if (name === 'z' || name === 'default' || name === 'core') continue;
      expect(value, name).toBe(theirs.get(name));
    }
  });

  it('z and z.core are zod`s, less locales', () => {
    expect(names(trimmed.z)).toEqual(names(zod.z).filter((name) => name !== 'locales'));
    expect(names(trimmed.z.core)).toEqual(names(zod.z.core).filter((name) => name !== 'locales'));
    expect(trimmed.default).toBe(trimmed.z);
    expect('locales' in trimmed.z || 'locales' in trimmed.z.core).toBe(false);
  });

  it('still says what is wrong in English (zod registers its English messages itself)', () => {
    const wrong = trimmed.z
      .object({ amountMsat: trimmed.z.string().min(1) })
      .safeParse({ amountMsat: 5 });
    expect(wrong.error?.issues[0]?.message).toBe('Invalid input: expected string, received number');
  });
});
