import type { Command } from 'commander';
import { listStuckTips, type StuckTipReport } from '../../shared/app/stuck-payments.js';
import type { CliContext } from '../context.js';
import { UnreachableError } from '../errors.js';
import { projectDir } from '../target.js';
import type { ActionRunner } from './common.js';

const MEANING = `What it means: LND keeps these payments IN_FLIGHT. With an HTLC in a channel, LND settles or
fails it by itself, at the latest at the HTLC's timeout height. With no HTLC in any channel the
attempt never left the node (lnd stopped between recording it and committing it to the channel);
lnd waits for it forever and refuses the hash again, so the tip can be neither paid nor retried.
No money can move for it, and once the chain passes every attempt's timeout height that is proven:
the reconciler then records the tip FAILED (STUCK_EXPIRED) and releases its budget. Until then the
tip stays SENDING with its budget reserved; nothing is decided by guessing.`;

/** One stuck tip, for people. */
const describe = ({ tip, verdict, view, live }: StuckTipReport) => {
  const lines = [
    `tip ${tip.tipId}: SENDING since ${tip.sendingSince} (attempt ${tip.attempt}), ${tip.amountMsat / 1000n} sats to ${tip.recipient.slice(0, 16)}…, hash ${tip.paymentHash}`,
    `  ${verdict.code}: ${'reason' in verdict ? verdict.reason : 'LND has a final answer now: the reconciler records it on its next run'}`,
    `  LND ${live ? 'now' : `at ${view.checkedAt} (flagged since ${tip.stuck?.since}; --live asks LND now)`}: payment ${view.status}, chain height ${view.height}`,
    ...view.attempts.map(
      (attempt) =>
        `    attempt ${attempt.attemptId} ${attempt.status}, first hop ${attempt.firstHopChannel ?? '-'}, timeout height ${attempt.timeoutHeight}${attempt.startedAt ? `, sent ${attempt.startedAt}` : ''}`,
    ),
    view.htlcs.length === 0
      ? '    channels carrying the hash: none'
      : `    channels carrying the hash: ${view.htlcs
          .map(
            (htlc) =>
              `${htlc.channel} (${htlc.isOutgoing ? 'out to' : 'in from'} ${htlc.peer.slice(0, 16)}…, ${htlc.amountMsat} msat, times out at ${htlc.timeoutHeight})`,
          )
          .join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
};

export const registerStuck = (program: Command, run: ActionRunner) =>
  program
    .command('stuck')
    .description(
      "tips LND keeps in flight for long (flagged by the reconciler; the StuckInLnd alarm): LND's view of each (attempts, channels carrying the hash, timeout height) and what it means",
    )
    .option('--live', "ask the operator's LND now (TIPSTREAM_LND_*, or the local stack's alice)")
    .option('--limit <n>', 'at most this many tips', '100')
    .action(
      run(async (ctx: CliContext, options: { live?: boolean; limit: string }) => {
        const { NoTipsTableError, openStuckTipReader } = await import(
          '../../shared/config/stuck-tips.js'
        );
        let reader: Awaited<ReturnType<typeof openStuckTipReader>>;
        try {
          reader = await openStuckTipReader(ctx.env, projectDir);
        } catch (error) {
          if (error instanceof NoTipsTableError) throw new UnreachableError(error.message);
          throw error;
        }
        try {
          const reports = await listStuckTips(
            {
              ledger: reader.ledger,
              now: () => new Date(),
              inspector: options.live ? reader.inspector() : undefined,
            },
            { limit: Number(options.limit) || 100 },
          );
          ctx.printJson({
            stuck: reports.map(({ tip, verdict, view, live }) => ({
              tipId: tip.tipId,
              attempt: tip.attempt,
              sendingSince: tip.sendingSince,
              amountMsat: tip.amountMsat.toString(),
              recipient: tip.recipient,
              paymentHash: tip.paymentHash,
              flaggedSince: tip.stuck?.since,
              verdict,
              lnd: view,
              live,
            })),
          });
          if (ctx.json) return;
          if (reports.length === 0) {
            ctx.io.stdout.write('no tip is stuck in flight in LND\n');
            return;
          }
          for (const report of reports) ctx.io.stdout.write(describe(report));
          ctx.io.stdout.write(`\n${MEANING}\n`);
        } finally {
          reader.close();
        }
      }),
    );
