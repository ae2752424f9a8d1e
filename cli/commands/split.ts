import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { reportBatches, watchBatches } from '../batch-watch.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatMsat, renderTable, satsLabel, shortKey } from '../format.js';
import { parseSplitSource, previewSplit, type SplitPreviewPart } from '../split-preview.js';
import { type ActionRunner, parsePositiveInt, parseSats, postPayment } from './common.js';

interface SplitOptions {
  message?: string;
  sender?: string;
  minPart: string;
  yes?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  out?: string;
  idempotencyKey?: string;
  interval: string;
}

interface SplitAccepted {
  batchId: string;
  rows: number;
  totalMsat: string;
  parts: Array<{
    tipId: string;
    recipient: string;
    name?: string;
    fee: boolean;
    amountMsat: string;
  }>;
  belowMinimum: Array<{ recipient: string; name?: string; amountMsat: string; reason: string }>;
}

const previewTable = (parts: readonly SplitPreviewPart[]) =>
  renderTable(
    ['#', 'name', 'recipient', 'split', 'msat', 'sats'],
    parts.map((part) => [
      part.index + 1,
      part.name ?? '',
      shortKey(part.recipient),
      part.fee ? `${part.split}% fee` : String(part.split),
      formatMsat(part.amountMsat),
      satsLabel(part.amountMsat),
    ]),
    { alignRight: [0, 3, 4, 5] },
  );

const confirm = async (ctx: CliContext, question: string): Promise<boolean> => {
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
};

/** `tipstream split <value-block> <sats>`: preview the exact split, confirm, send it. */
const splitCommand = async (ctx: CliContext, file: string, sats: string, options: SplitOptions) => {
  const totalMsat = parseSats(sats, 'sats') * 1000n;
  const minPartMsat = parseSats(options.minPart, '--min-part') * 1000n;
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  const source = parseSplitSource(file, text);
  const preview = previewSplit(source.recipients, totalMsat, { minPartMsat });
  const previewJson = {
    totalMsat: totalMsat.toString(),
    parts: preview.parts.map((part) => ({ ...part, amountMsat: part.amountMsat.toString() })),
    belowMinimum: preview.belowMinimum.map((part) => ({
      ...part,
      amountMsat: part.amountMsat.toString(),
    })),
  };
  if (!ctx.json) {
    ctx.print(`split of ${satsLabel(totalMsat)} across ${source.recipients.length} recipients:`);
    ctx.print(previewTable(preview.parts));
    if (preview.belowMinimum.length > 0) {
      ctx.print(`not paid (below the ${satsLabel(minPartMsat)} minimum part):`);
      ctx.print(previewTable(preview.belowMinimum));
    }
  }
  if (options.dryRun) {
    ctx.printJson({ dryRun: true, ...previewJson });
    ctx.print('dry run: nothing was sent');
    return;
  }
  if (!options.yes) {
    if (!ctx.io.stdin.isTTY || ctx.json) {
      throw new UsageError(
        'sending needs a confirmation: pass --yes (or --dry-run to only preview)',
      );
    }
    if (
      !(await confirm(
        ctx,
        `send ${satsLabel(totalMsat)} as ${preview.parts.length} payments? [y/N] `,
      ))
    ) {
      ctx.print('nothing was sent');
      return;
    }
  }

  const api = await ctx.api();
  const body = JSON.stringify({
    amountMsat: totalMsat.toString(),
    ...source.field,
    ...(options.message ? { message: options.message } : {}),
    ...(options.sender ? { senderName: options.sender } : {}),
    minPartMsat: Number(minPartMsat),
  });
  const response = await postPayment<SplitAccepted>(ctx, api, '/v1/splits', {
    body,
    idempotencyKey: options.idempotencyKey ?? `tipstream-split-${randomUUID()}`,
  });
  const accepted = response.body;
  const matches =
    accepted.parts.length === preview.parts.length &&
    accepted.parts.every((part, i) => part.amountMsat === preview.parts[i]?.amountMsat.toString());
  if (!matches) {
    ctx.note(
      'note: the API split the amount differently from the preview (the operator allows msat payments?); its split is the one being paid:',
    );
  }
  ctx.note(
    `${response.headers.get('idempotent-replayed') === 'true' ? 'already accepted earlier' : 'accepted'}: batch ${accepted.batchId}, ${accepted.rows} payments, ${satsLabel(accepted.totalMsat)}`,
  );
  if (!ctx.json) {
    ctx.print(
      renderTable(
        ['#', 'name', 'recipient', 'msat', 'tip'],
        accepted.parts.map((part, i) => [
          i + 1,
          part.name ?? '',
          shortKey(part.recipient),
          formatMsat(part.amountMsat),
          part.tipId,
        ]),
        { alignRight: [0, 3] },
      ),
    );
  }
  const extra = { split: { ...accepted, previewMatches: matches } };
  if (!options.wait) {
    ctx.printJson(extra);
    ctx.print(`watch it with: tipstream payout status ${accepted.batchId}`);
    return;
  }
  const { batches, outcome } = await watchBatches(ctx, api, [accepted.batchId], {
    intervalMs: parsePositiveInt(options.interval, '--interval'),
    resumeCommand: `tipstream payout status ${accepted.batchId}`,
  });
  await reportBatches(ctx, batches, { out: options.out, outcome, extra });
};

export const registerSplit = (program: Command, run: ActionRunner) =>
  program
    .command('split')
    .description('preview the exact split of a podcast:value block, then send it (POST /v1/splits)')
    .argument(
      '<value-block>',
      '<podcast:value> XML, its JSON (feed or Podcast Index shape), or a [{pubkey, split, fee?}] list',
    )
    .argument('<sats>', 'the whole amount, sats')
    .option('-m, --message <text>', 'boostagram message of every part')
    .option('--sender <name>', 'sender name of the boostagram')
    .option('--min-part <sats>', 'parts below this are not paid', '1')
    .option('-y, --yes', 'send without asking')
    .option('--dry-run', 'only show the split')
    .option('-w, --wait', 'watch the parts until every one is paid or failed')
    .option('-o, --out <file>', 'with --wait: write the result CSV')
    .option('--interval <ms>', 'how often --wait polls', '1000')
    .option('--idempotency-key <key>', 'reuse a key to retry a split safely (default: new per run)')
    .action(run(splitCommand));
