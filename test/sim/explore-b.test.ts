import { describe, expect, it, vi } from 'vitest';
import { signingOnce } from './crypto-cache.js';
import { explore, FIRST_SEED, report, SIM_RUNS } from './explore.js';
import { loadModules } from './mutants.js';

vi.mock('../../shared/domain/receipt.js', async (original) => signingOnce(await original()));

// The second half of the CI run's seeds, in a file of its own so both cores explore.
const half = Math.ceil(SIM_RUNS / 2);
const from = FIRST_SEED + half;

describe('the simulator', () => {
  it(`keeps every invariant (seeds ${from}…${FIRST_SEED + SIM_RUNS - 1})`, async () => {
    const { failures } = await explore(await loadModules(), from, SIM_RUNS - half);
    expect(failures.map((failure) => report(failure)).join('\n\n')).toBe('');
  }, 600_000);
});
