/**
 * Replays one seed of the simulator and prints its trace: `npm run sim -- --seed 36`
 * (`--mutant <name>` runs a mutant of MUTANTS instead of the real code, `--quiet` prints only
 * the verdict). Exits 1 when an invariant failed.
 */
import { parseArgs } from 'node:util';
import { report } from './explore.js';
import { loadModules, MUTANTS } from './mutants.js';
import { simulate } from './world.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    mutant: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npm run sim -- --seed <n> [--mutant <name>] [--quiet]');
  process.exit(2);
}
const mutant =
  values.mutant === undefined ? undefined : MUTANTS.find((m) => m.name === values.mutant);
if (values.mutant !== undefined && !mutant) {
  console.error(`no mutant ${values.mutant}; mutants: ${MUTANTS.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const result = await simulate(seed, await loadModules({ mutant }));
if (!values.quiet) console.log(result.trace.join('\n'));
console.log(
  `\nknobs: ${JSON.stringify(result.knobs)}\nend: ${result.summary}, ${result.steps} steps`,
);
if (result.problems.length > 0) {
  console.log(`\nFAILED\n${report({ ...result, trace: [] }, mutant)}`);
  process.exit(1);
}
console.log('every invariant holds');
