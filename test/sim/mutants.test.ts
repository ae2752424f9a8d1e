/**
 * The simulator must catch deliberately broken guards (MUTANTS) within the seeds of a CI run:
 * each mutant runs seed after seed until an invariant fails, and the test asserts it does.
 */
import { describe, expect, it, vi } from 'vitest';
import { signingOnce } from './crypto-cache.js';
import { explore, SIM_RUNS } from './explore.js';
import { loadModules, MUTANTS } from './mutants.js';

vi.mock('../../shared/domain/receipt.js', async (original) => signingOnce(await original()));

describe('the simulator catches broken guards', () => {
  it.each(MUTANTS.filter((mutant) => !mutant.equivalent))(
    '$name: $why',
    async (mutant) => {
      const { failures, runs } = await explore(await loadModules({ mutant }), 1, SIM_RUNS, {
        stopAtFirst: true,
      });
      if (process.env.SIM_STATS) console.log(`${mutant.name}: caught after ${runs} seeds`);
      expect(failures, `${mutant.name} survived ${runs} seeds`).toHaveLength(1);
    },
    600_000,
  );
});
