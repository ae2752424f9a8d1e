/**
 * Runs the simulator over a range of seeds and reports the first failures with what it takes to
 * replay them. `SIM_RUNS` (default 10,000 per CI run, split over the explore-*.test.ts files) and
 * `SIM_FIRST_SEED` (default 1) choose the seeds; `SIM_STATS=1` prints how the runs ended.
 */
import type { Mutant, SimModules } from './mutants.js';
import { type SimResult, simulate } from './world.js';

export const SIM_RUNS = Number(process.env.SIM_RUNS ?? 10_000);
export const FIRST_SEED = Number(process.env.SIM_FIRST_SEED ?? 1);

/** How to replay a seed, and the end of its trace. */
export const report = (result: SimResult, mutant?: Mutant) => {
  const replay = `npm run sim -- --seed ${result.seed}${mutant ? ` --mutant ${mutant.name}` : ''}`;
  const trace = result.trace.length > 400 ? ['…', ...result.trace.slice(-400)] : result.trace;
  return [
    `seed ${result.seed}: ${result.problems.join('; ')}`,
    `replay: ${replay}`,
    `knobs: ${JSON.stringify(result.knobs)}`,
    ...trace,
  ].join('\n');
};

/**
 * Whether a run's trace has a transaction that ends (or creates) two tips or more: a group commit
 * of the tip ledger (its items name each tip, `tips/<id>`).
 */
const hasGroupCommit = (trace: readonly string[]) =>
  trace.some((line) => {
    const items = /TransactWrite\[([^\]]*)\]/.exec(line)?.[1];
    return (
      items !== undefined && items.split(' ').filter((item) => item.startsWith('tips/')).length > 1
    );
  });

/** Runs seeds `from`…`from + count - 1`; stops at the first failure when `stopAtFirst`. */
export const explore = async (
  modules: SimModules,
  from: number,
  count: number,
  options: { stopAtFirst?: boolean } = {},
) => {
  const failures: SimResult[] = [];
  const endings = new Map<string, number>();
  let steps = 0;
  let runs = 0;
  /** Runs with a group commit (a few in a hundred: the ends of one invocation's tips overlap). */
  let grouped = 0;
  for (let seed = from; seed < from + count; seed += 1) {
    const result = await simulate(seed, modules);
    runs += 1;
    steps += result.steps;
    if (hasGroupCommit(result.trace)) grouped += 1;
    endings.set(result.summary, (endings.get(result.summary) ?? 0) + 1);
    if (result.problems.length > 0) {
      failures.push(result);
      if (options.stopAtFirst || failures.length >= 3) break;
    }
  }
  if (process.env.SIM_STATS) {
    console.log(
      `${runs} runs (${grouped} with a group commit), ${(steps / runs).toFixed(0)} steps per run; endings:\n${[
        ...endings,
      ]
        .sort((a, b) => b[1] - a[1])
        .map(([ending, n]) => `  ${ending}: ${n}`)
        .join('\n')}`,
    );
  }
  return { failures, runs, grouped };
};
