/**
 * The chaos soak on the running local stack (`npm run stack:up` first):
 *   npm run soak -- [--tips 1000] [--minutes 5] [--seed N] [--workers 3] [--crash-alice] [--keep-tables]
 * Pays the tips with payer workers that are SIGKILLed every few seconds while alice's lnd and
 * DynamoDB Local are restarted once each, then checks every tip against the recipients' own nodes
 * and prints the figures. Exit 0 when duplicates = 0, lost = 0 and every tip ended or is flagged.
 */
import { parseArgs } from 'node:util';
import { readStackConfig, runPaths } from '../stack/config.js';
import { formatSoakReport, runChaosSoak } from './chaos-soak.js';

const { values } = parseArgs({
  options: {
    tips: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    workers: { type: 'string', default: '3' },
    'keep-tables': { type: 'boolean', default: false },
    'crash-alice': { type: 'boolean', default: false },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const report = await runChaosSoak({
  stackFile: runPaths(readStackConfig().runDir).stackFile,
  tips: Number(values.tips),
  faultWindowMs: Number(values.minutes) * 60_000,
  seed,
  workers: Number(values.workers),
  keepTables: values['keep-tables'],
  crashAlice: values['crash-alice'],
  log: (line) => process.stderr.write(`[soak] ${line}\n`),
});
process.stdout.write(`${formatSoakReport(report)}\n`);
process.stdout.write(
  `replay: npm run soak -- --tips ${values.tips} --minutes ${values.minutes} --seed ${seed}\n`,
);
process.exit(report.duplicates === 0 && report.lost === 0 ? 0 : 1);
