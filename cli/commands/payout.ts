import { readFile } from 'node:fs/promises';
import { join, parse } from 'node:path';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { BatchStatus } from '../batch-progress.js';
import { getBatch, reportBatches, watchBatches } from '../batch-watch.js';
import type { CliContext } from '../context.js';
import { ApiProblemError, CliError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { formatCount, satsLabel } from '../format.js';
import {
  API_PAYOUT_LIMITS,
  defaultPayoutKey,
  type PayoutBatchPlan,
  PayoutPlanError,
  planPayoutBatches,
  validatePayoutFile,
} from '../payout-plan.js';
import { type ActionRunner, exitInterrupted, parsePositiveInt, parseSeconds } from './common.js';

interface WatchFlags {
  watch: boolean;
  interval: string;
  timeout?: string;
}

interface PayoutOptions extends WatchFlags {
  dryRun?: boolean;
  out?: string;
  idempotencyKey?: string;
}

interface PayoutAccepted {
  batchId: string;
  status: 'ACCEPTED';
  rows: number;
  totalMsat: string;
}

/** The operator's per-tip maximum, as the API applies it (TIPSTREAM_MAX_TIP_SATS, default 1,000,000). */
const payoutPolicy = (env: Record<string, string | undefined>) => {
  const raw = env.TIPSTREAM_MAX_TIP_SATS;
  const maxSats = raw ? parsePositiveInt(raw, 'TIPSTREAM_MAX_TIP_SATS') : 1_000_000;
  return { maxMsat: BigInt(maxSats) * 1000n, allowMsat: false };
};

const defaultResultPath = (file: string) => {
  const { dir, name } = parse(file);
  return join(dir, `${name}.result.csv`);
};

/** How to resume watching, with the same target flags (the secret's file, never the secret). */
const resumeCommand = (ctx: CliContext, batchIds: readonly string[], out?: string) =>
  [
    'tipstream payout status',
    ...batchIds,
    ...(out ? ['--out', out] : []),
    ...(ctx.options.api ? ['--api', ctx.options.api] : []),
    ...(ctx.options.platform ? ['--platform', ctx.options.platform] : []),
    ...(ctx.options.secretFile ? ['--secret-file', ctx.options.secretFile] : []),
  ].join(' ');

const watchOptions = (ctx: CliContext, flags: WatchFlags, batchIds: string[], out?: string) => ({
  intervalMs: parsePositiveInt(flags.interval, '--interval'),
  timeoutMs:
    flags.timeout === undefined ? undefined : parseSeconds(flags.timeout, '--timeout') * 1000,
  resumeCommand: resumeCommand(ctx, batchIds, out),
});

/**
 * `tipstream payout <file>`: validate locally (every bad row, nothing sent), submit (several
 * batches when the file is over the API's per-request limits), watch, summarise, write the
 * result CSV.
 */
const payoutCommand = async (ctx: CliContext, file: string, options: PayoutOptions) => {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read payout file ${file}: ${error.code ?? error.message}`);
  });
  const validateStarted = performance.now();
  const validated = validatePayoutFile(file, text, payoutPolicy(ctx.env));
  const validateMs = Math.round(performance.now() - validateStarted);

  if (validated.errors.length > 0) {
    const errors = [...validated.errors].sort((a, b) => a.line - b.line);
    if (ctx.json) ctx.printJson({ ok: false, file, errors });
    ctx.io.stderr.write(
      `${file}: ${formatCount(errors.length)} problem${errors.length === 1 ? '' : 's'}; nothing was submitted:\n${errors
        .map((error) => `  ${error.message}`)
        .join('\n')}\n`,
    );
    ctx.fail(EXIT.USAGE);
    return;
  }

  const baseKey = options.idempotencyKey ?? defaultPayoutKey(validated.rows);
  let plans: PayoutBatchPlan[];
  try {
    plans = planPayoutBatches(validated, text, { baseKey });
  } catch (error) {
    if (error instanceof PayoutPlanError) throw new UsageError(error.message);
    throw error;
  }
  const summary = `${formatCount(validated.rows.length)} rows, ${satsLabel(validated.totalMsat)} to ${formatCount(validated.recipients)} recipient${validated.recipients === 1 ? '' : 's'}`;
  ctx.note(`${file}: valid, ${summary} (checked in ${validateMs} ms)`);
  if (plans.length > 1) {
    ctx.note(
      `the API takes at most ${formatCount(API_PAYOUT_LIMITS.maxRows)} rows and ${API_PAYOUT_LIMITS.maxBytes / 1024 / 1024} MiB per payout: sending it as ${plans.length} batches`,
    );
  }
  const planSummary = plans.map((plan) => ({
    rows: plan.rows.length,
    totalMsat: plan.totalMsat.toString(),
    firstLine: plan.rows[0]?.line,
    lastLine: plan.rows[plan.rows.length - 1]?.line,
    idempotencyKey: plan.idempotencyKey,
  }));
  if (options.dryRun) {
    if (ctx.json) {
      ctx.printJson({
        ok: true,
        dryRun: true,
        file,
        format: validated.format,
        rows: validated.rows.length,
        recipients: validated.recipients,
        totalMsat: validated.totalMsat.toString(),
        batches: planSummary,
        timings: { validateMs },
      });
    } else {
      ctx.print(
        `dry run: ${summary} would be sent as ${plans.length} batch${plans.length === 1 ? '' : 'es'}; nothing was submitted`,
      );
    }
    return;
  }

  const api = await ctx.api();
  const out = options.out ?? defaultResultPath(file);
  const submitStarted = performance.now();
  const accepted = await submitPlans(ctx, api, plans, {
    file,
    baseKey,
    keyGiven: options.idempotencyKey !== undefined,
  });
  const submitMs = Math.round(performance.now() - submitStarted);
  const batchIds = accepted.map((batch) => batch.batchId);
  ctx.note(`submitted in ${submitMs} ms`);
  const extra = {
    file,
    submitted: accepted,
    timings: { validateMs, submitMs },
  };
  if (!options.watch) {
    const resume = resumeCommand(ctx, batchIds, out);
    if (ctx.json) ctx.printJson({ ...extra, batchIds, resume });
    else ctx.print(`watch it with:\n  ${resume}`);
    return;
  }
  const { batches, outcome } = await watchBatches(
    ctx,
    api,
    batchIds,
    watchOptions(ctx, options, batchIds, out),
  );
  await reportBatches(ctx, batches, { out, fileRows: validated.rows, outcome, extra });
};

const submitPlans = async (
  ctx: CliContext,
  api: ApiClient,
  plans: readonly PayoutBatchPlan[],
  { file, baseKey, keyGiven }: { file: string; baseKey: string; keyGiven: boolean },
) => {
  const accepted: Array<{ batchId: string; rows: number; totalMsat: string; replayed: boolean }> =
    [];
  // Ctrl-C while submitting: a request may or may not have been accepted, so say how to go on.
  const onSigint = () =>
    exitInterrupted(
      ctx,
      `interrupted while submitting${accepted.length > 0 ? ` (accepted so far: ${accepted.map((b) => b.batchId).join(', ')})` : ''}.\nrun the same command again to continue: every part keeps its Idempotency-Key, so what was accepted is recognised and nothing is paid twice.`,
      { submitted: accepted },
    );
  process.on('SIGINT', onSigint);
  try {
    for (const plan of plans) {
      const part = plans.length === 1 ? '' : ` part ${plan.index + 1}/${plans.length}`;
      let response: { headers: Headers; body: PayoutAccepted };
      // The API checks every row and enqueues each as a tip before it answers: seconds per
      // thousand rows, so say what is happening.
      ctx.note(`submitting${part}: ${formatCount(plan.rows.length)} rows…`);
      try {
        response = await api.post<PayoutAccepted>('/v1/payouts', {
          body: plan.body,
          contentType: plan.contentType,
          idempotencyKey: plan.idempotencyKey,
          timeoutMs: 300_000,
        });
      } catch (error) {
        if (error instanceof ApiProblemError && error.slug === 'invalid-rows') {
          ctx.io.stderr.write(
            `${file}: the API found problems the local check did not (its limits may differ):\n`,
          );
        }
        const conflict = error instanceof ApiProblemError && error.slug === 'idempotency-conflict';
        if (conflict && accepted.length === 0 && !keyGiven) {
          throw new CliError(error.message, error.exitCode, {
            cause: error,
            hint: `these rows were already submitted, laid out on other lines (the same payout, edited?): nothing more was sent. To pay them again on purpose, pass a new --idempotency-key`,
          });
        }
        if (accepted.length === 0 || !(error instanceof CliError)) throw error;
        // The default key comes from the file's rows: an edited file is a new payout, whose
        // accepted parts would be paid again. The base key ties the edited file to this one.
        throw new CliError(`${error.message} (submitting${part})`, error.exitCode, {
          cause: error,
          hint: `${accepted.length} of ${plans.length} parts were accepted and are being paid (${accepted.map((b) => b.batchId).join(', ')}). Run the same command on the unchanged file to send the rest: the accepted parts are recognised by their Idempotency-Key and not paid twice. If the file must change first, leave the accepted parts' rows as they are, on their lines, and add --idempotency-key ${baseKey}: without it the edited file is a new payout and the accepted parts would be paid again`,
        });
      }
      const replayed = response.headers.get('idempotent-replayed') === 'true';
      accepted.push({
        batchId: response.body.batchId,
        rows: response.body.rows,
        totalMsat: response.body.totalMsat,
        replayed,
      });
      ctx.note(
        replayed
          ? `already submitted earlier${part}: batch ${response.body.batchId} (same file, same Idempotency-Key: resuming it, nothing is paid twice; pass --idempotency-key to pay the file again)`
          : `submitted${part}: batch ${response.body.batchId}, ${formatCount(response.body.rows)} rows, ${satsLabel(response.body.totalMsat)}`,
      );
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return accepted;
};

/** `tipstream payout status <batchId…>`: resume watching (and write the result CSV). */
const payoutStatusCommand = async (
  ctx: CliContext,
  batchIds: string[],
  options: WatchFlags & { out?: string },
) => {
  const api = await ctx.api();
  if (!options.watch) {
    const batches: BatchStatus[] = [];
    for (const id of batchIds) batches.push(await getBatch(api, id));
    await reportBatches(ctx, batches, { out: options.out, outcome: 'done' });
    return;
  }
  const { batches, outcome } = await watchBatches(
    ctx,
    api,
    batchIds,
    watchOptions(ctx, options, batchIds, options.out),
  );
  await reportBatches(ctx, batches, { out: options.out, outcome });
};

export const registerPayout = (program: Command, run: ActionRunner) => {
  const payout = program
    .command('payout')
    .description('pay a payout file (CSV or JSON): validate, submit, watch, summarise, result CSV')
    .argument(
      '<file>',
      'pubkey,amount_sats,memo[,custom_key,custom_value] CSV, or {"payouts":[…]} JSON',
    )
    .option('--dry-run', 'only validate the file and show how it would be sent')
    .option('-o, --out <file>', 'result CSV (default: <file>.result.csv beside the input)')
    .option(
      '--idempotency-key <key>',
      'default: derived from the file, so running it again resumes it instead of paying twice',
    )
    .option('--no-watch', 'submit and exit (print how to watch)')
    .option('--interval <ms>', 'how often to poll progress', '1000')
    .option('--timeout <seconds>', 'stop watching after this long (exit 6; the payout continues)')
    .addHelpText(
      'after',
      `
Every row is checked locally first with the API's own parser; a file with a bad row is not
submitted (each problem is printed with its line, exit 2). Files over ${formatCount(API_PAYOUT_LIMITS.maxRows)} rows or
2 MiB are sent as several batches. Ctrl-C while watching detaches: the payout continues and
"tipstream payout status <batchId…>" resumes.

Examples:
  tipstream payout week-47.csv --dry-run
  tipstream payout week-47.csv --out week-47.result.csv
  tipstream payout status <batchId> --out week-47.result.csv`,
    )
    .action(run(payoutCommand));
  payout
    .command('status')
    .description('resume watching a payout (or split) batch; --out writes the result CSV once done')
    .argument('<batchId...>', 'batch id(s) printed when the file was submitted')
    .option('-o, --out <file>', 'write the result CSV here once every row is final')
    .option('--no-watch', 'print the current progress once and exit')
    .option('--interval <ms>', 'how often to poll progress', '1000')
    .option('--timeout <seconds>', 'stop watching after this long (exit 6)')
    .action(run(payoutStatusCommand));
  return payout;
};
