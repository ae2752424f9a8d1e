import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { PayoutRow } from '../shared/domain/payout-file.js';
import type { ApiClient } from './api-client.js';
import {
  aggregateBatches,
  type BatchStatus,
  collectRows,
  type PayoutProgress,
  progressLine,
  RateTracker,
  renderResultCsv,
} from './batch-progress.js';
import type { CliContext } from './context.js';
import { ApiProblemError, CliError, UnreachableError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { describeNode, formatCount, formatDuration, renderTable, satsLabel } from './format.js';

/**
 * A batch's status. An INCOMPLETE batch never finishes by waiting (its submission died before
 * every row was recorded): refused with what to do instead of being watched for ever.
 */
export const getBatch = async (api: ApiClient, batchId: string): Promise<BatchStatus> => {
  const { body } = await api.get<BatchStatus>(`/v1/payouts/${encodeURIComponent(batchId)}`);
  if (body.status === 'INCOMPLETE') {
    throw new CliError(
      `batch ${batchId} is ${body.incomplete?.detail ?? 'incomplete: some rows were not recorded'}`,
      EXIT.USAGE,
      {
        hint: 'run the same `tipstream payout <file>` (or `split`) command again: it sends the same Idempotency-Key, and the API records and pays only the missing rows',
      },
    );
  }
  return body;
};

export interface WatchOptions {
  intervalMs: number;
  /** Give up (exit 6, still pending) after this long; undefined waits for ever. */
  timeoutMs?: number;
  /** Plain progress lines (not a TTY) at most this often. */
  plainEveryMs?: number;
  /** How to resume, printed when the operator detaches with Ctrl-C. */
  resumeCommand: string;
}

export type WatchOutcome = 'done' | 'detached' | 'timeout';

/**
 * Follows batches until every one is DONE: a live bar on a terminal, a plain line every few
 * seconds otherwise. Ctrl-C detaches (the payout keeps going on the server: nothing is
 * cancelled) and prints how to resume.
 */
export const watchBatches = async (
  ctx: CliContext,
  api: ApiClient,
  batchIds: readonly string[],
  options: WatchOptions,
): Promise<{ batches: BatchStatus[]; outcome: WatchOutcome }> => {
  // Listen for Ctrl-C before the first request: the operator may press it at any moment.
  const abort = new AbortController();
  let detached = false;
  const onSigint = () => {
    detached = true;
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const statuses = new Map<string, BatchStatus>();
  const refresh = async () => {
    const open = batchIds.filter((id) => statuses.get(id)?.status !== 'DONE');
    const answers = await Promise.all(open.map((id) => getBatch(api, id)));
    for (const answer of answers) statuses.set(answer.batchId, answer);
  };
  const current = () => batchIds.map((id) => statuses.get(id)).filter((b): b is BatchStatus => !!b);
  try {
    await refresh();
  } catch (error) {
    process.off('SIGINT', onSigint);
    throw error;
  }
  if (current().every((batch) => batch.status === 'DONE')) {
    process.off('SIGINT', onSigint);
    return { batches: current(), outcome: 'done' };
  }

  const started = Date.now();
  const rates = new RateTracker();
  const display = createDisplay(ctx, options.plainEveryMs ?? 5_000);
  let failures = 0;
  let outcome: WatchOutcome = 'done';
  try {
    for (;;) {
      const progress = aggregateBatches(current());
      rates.add(Date.now(), progress.counts.succeeded + progress.counts.failed);
      display.update(progress, rates.rate(), rates.etaMs(progress.counts.pending));
      if (progress.done) break;
      if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
        outcome = 'timeout';
        break;
      }
      if (!detached) {
        await sleep(options.intervalMs, undefined, { signal: abort.signal }).catch(() => {});
      }
      if (detached) {
        outcome = 'detached';
        break;
      }
      try {
        await refresh();
        failures = 0;
      } catch (error) {
        // A blip of the API must not end a long payout's watch; a refusal (4xx) must.
        const transient =
          error instanceof UnreachableError ||
          (error instanceof ApiProblemError && error.status >= 500);
        failures += 1;
        if (!transient || failures * options.intervalMs > 60_000) {
          display.stop();
          throw new CliError(
            `${(error as Error).message} while watching ${batchIds.join(', ')}`,
            error instanceof CliError ? error.exitCode : EXIT.UNREACHABLE,
            {
              cause: error,
              hint: `the payout is not cancelled; resume with: ${options.resumeCommand}`,
            },
          );
        }
      }
    }
  } finally {
    display.stop();
    process.off('SIGINT', onSigint);
  }
  if (outcome === 'detached') {
    ctx.io.stderr.write(
      `\ndetached: the payout keeps running on the server (nothing was cancelled).\nresume watching with:\n  ${options.resumeCommand}\n`,
    );
  }
  return { batches: current(), outcome };
};

interface Display {
  update(progress: PayoutProgress, rate?: number, etaMs?: number): void;
  stop(): void;
}

const createDisplay = (ctx: CliContext, plainEveryMs: number): Display => {
  if (ctx.options.quiet) return { update() {}, stop() {} };
  if (ctx.io.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: ctx.io.stderr,
        format:
          '{bar} {percentage}% | {finished}/{total} rows | paid {paid} · failed {failed} · pending {pending} | {sats} | {rate} | ETA {eta_text}',
        hideCursor: true,
        barsize: 24,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(progress, rate, etaMs) {
        const finished = progress.counts.succeeded + progress.counts.failed;
        const payload = {
          finished: formatCount(finished),
          paid: formatCount(progress.counts.succeeded),
          failed: formatCount(progress.counts.failed),
          pending: formatCount(progress.counts.pending),
          sats: `${satsLabel(progress.msat.succeeded)} of ${satsLabel(progress.msat.total)}`,
          rate: rate === undefined ? 'rate …' : `${rate.toFixed(1)} rows/s`,
          eta_text: etaMs === undefined ? '…' : formatDuration(etaMs),
        };
        if (!started) {
          bar.start(progress.counts.total, finished, payload);
          started = true;
        } else {
          bar.update(finished, payload);
        }
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastAt = 0;
  let lastLine = '';
  return {
    update(progress, rate, etaMs) {
      const now = Date.now();
      const line = progressLine(progress, rate, etaMs);
      if (now - lastAt >= plainEveryMs || progress.done) {
        if (line !== lastLine || now - lastAt >= plainEveryMs) ctx.io.stderr.write(`${line}\n`);
        lastAt = now;
        lastLine = line;
      }
    },
    stop() {},
  };
};

/**
 * The end of a payout (or split) watch: summary table, failed rows with reasons, the result
 * CSV; exit 1 when a row failed.
 */
export const reportBatches = async (
  ctx: CliContext,
  batches: readonly BatchStatus[],
  {
    out,
    fileRows,
    outcome,
    extra = {},
  }: {
    out?: string;
    fileRows?: readonly PayoutRow[];
    outcome: WatchOutcome;
    extra?: Record<string, unknown>;
  },
): Promise<void> => {
  const progress = aggregateBatches(batches);
  const byLine = new Map(fileRows?.map((row) => [row.line, row]) ?? []);
  const rows = collectRows(batches).map((row) => ({
    ...row,
    recipient: row.recipient ?? byLine.get(row.line)?.recipient,
  }));
  let written: string | undefined;
  if (out && progress.done) {
    await writeFile(out, renderResultCsv(rows));
    written = out;
  }
  // Detaching or running out of time says the most: the failed rows so far are not the end.
  if (outcome === 'detached') ctx.fail(EXIT.DETACHED);
  if (outcome === 'timeout') ctx.fail(EXIT.PENDING);
  if (progress.counts.failed > 0) ctx.fail(EXIT.FAILED);

  if (ctx.json) {
    ctx.printJson({
      ...extra,
      batchIds: progress.batchIds,
      status: progress.done ? 'DONE' : 'IN_PROGRESS',
      ...(outcome === 'done' ? {} : { watch: outcome }),
      counts: progress.counts,
      msat: Object.fromEntries(
        Object.entries(progress.msat).map(([key, value]) => [key, value.toString()]),
      ),
      ...(written ? { resultCsv: written } : {}),
      ...(progress.done ? { rows } : {}),
    });
    return;
  }
  if (outcome === 'detached') return;
  const { counts, msat } = progress;
  const what = batches.every((batch) => batch.kind === 'split') ? 'split' : 'payout';
  ctx.print(
    `\n${what} ${progress.done ? 'finished' : 'still in progress'} (${progress.batchIds.join(', ')})`,
  );
  ctx.print(
    renderTable(
      ['', 'rows', 'sats'],
      [
        ['paid', formatCount(counts.succeeded), satsLabel(msat.succeeded)],
        ['failed', formatCount(counts.failed), satsLabel(msat.failed)],
        ['pending', formatCount(counts.pending), satsLabel(msat.pending)],
        ['total', formatCount(counts.total), satsLabel(msat.total)],
        ['routing fees', '', satsLabel(msat.fees)],
      ],
      { alignRight: [1, 2] },
    ),
  );
  const failed = rows.filter((row) => row.status === 'FAILED');
  if (failed.length > 0) {
    const names = await ctx.nodeNames();
    const shown = failed.slice(0, 20);
    ctx.print(`\nfailed rows (${formatCount(failed.length)}):`);
    ctx.print(
      renderTable(
        ['row', 'recipient', 'sats', 'reason'],
        shown.map((row) => [
          row.line,
          describeNode(row.recipient, names),
          satsLabel(row.amountMsat),
          row.reason ?? '',
        ]),
        { alignRight: [0, 2], wrap: { 3: 60 } },
      ),
    );
    if (failed.length > shown.length) {
      ctx.print(`… and ${formatCount(failed.length - shown.length)} more (see the result CSV)`);
    }
  }
  if (written) ctx.print(`\nresult CSV: ${written} (${formatCount(rows.length)} rows)`);
  if (outcome === 'timeout') {
    ctx.print('\nstopped waiting (--timeout); the payout continues on the server.');
  }
};
