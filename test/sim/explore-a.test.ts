import { describe, expect, it, vi } from 'vitest';
import { signingOnce } from './crypto-cache.js';
import { explore, FIRST_SEED, report, SIM_RUNS } from './explore.js';
import { loadModules } from './mutants.js';
import { simulate } from './world.js';

vi.mock('../../shared/domain/receipt.js', async (original) => signingOnce(await original()));

const half = Math.ceil(SIM_RUNS / 2);

describe('the simulator', () => {
  it('gives the same run for the same seed', async () => {
    const modules = await loadModules();
    for (const seed of [1, 42, 4242]) {
      const [a, b] = [await simulate(seed, modules), await simulate(seed, modules)];
      expect(b.trace).toEqual(a.trace);
      expect(a.steps).toBeGreaterThan(20);
    }
  });

  it(`keeps every invariant (seeds ${FIRST_SEED}…${FIRST_SEED + half - 1})`, async () => {
    const { failures, runs, grouped } = await explore(await loadModules(), FIRST_SEED, half);
    expect(failures.map((failure) => report(failure)).join('\n\n')).toBe('');
    // The tip ledger's group commits are among the explored interleavings (35 of seeds 1-4000).
    if (runs >= 500) expect(grouped).toBeGreaterThan(0);
  }, 600_000);
});
