import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { formatSoakReport, runChaosSoak } from '../../infra/local/bench/chaos-soak.js';

const stack = inject('stack');

/**
 * The chaos soak, bounded for CI (`npm run soak` runs it longer): keysend tips to carol, dave,
 * frank and erin (who refuses keysend), AMP tips to grace (one larger than any single path),
 * Lightning Address tips to erin (LNURL invoice) and dave's sub-wallet (keysend details), the
 * first of each kind and a few more as duplicate storms, paid by payer workers SIGKILLed every
 * few seconds, alice's lnd and DynamoDB Local restarted once each; then every tip checked against
 * the recipients' own nodes.
 */
describe.runIf(stack.lightning.network === 'regtest')('chaos soak (bounded)', () => {
  it("every tip ends paid once or failed (or flagged stuck, with a reason), and our totals equal the recipients'", async () => {
    const seed = Number(process.env.SOAK_SEED ?? 20_261_130);
    const report = await runChaosSoak({
      stackFile: join(stack.runDir, 'stack.json'),
      tips: Number(process.env.SOAK_TIPS ?? 120),
      faultWindowMs: 60_000,
      seed,
      workers: 3,
      settleTimeoutMs: 120_000,
      log: (line) => process.stderr.write(`[soak] ${line}\n`),
    });
    process.stderr.write(`${formatSoakReport(report)}\n`);
    expect(report.problems, formatSoakReport(report)).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.kills).toBeGreaterThanOrEqual(8);
    expect(report.restarts).toEqual({ alice: 1, dynamodb: 1 });
    expect(report.succeeded + report.failed + report.flagged.length).toBe(report.tips);
    // erin accepts no keysend: every tip to her failed, none paid.
    expect(report.failed).toBeGreaterThanOrEqual(report.byRecipient.erin ?? 0);
    // Every kind met the faults, and had a duplicate storm.
    for (const group of ['carol', 'dave', 'frank', 'grace amp', 'erin lnurl', 'dave hub']) {
      expect(report.byRecipient[group], group).toBeGreaterThan(0);
    }
    expect(report.storms.tips).toBeGreaterThanOrEqual(4);
    // The tip no single path carries was paid, by AMP.
    expect(report.largeAmp).toEqual({ tips: 1, succeeded: 1 });
    for (const flag of report.flagged) expect(flag.reason).not.toBe('');
  }, 420_000);
});
