import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { describeNode, satsLabel } from '../format.js';
import { followTip, getTip, reportTip } from '../tip-status.js';
import { type ActionRunner, parseSats, parseSeconds, postPayment } from './common.js';

interface TipOptions {
  message?: string;
  sender?: string;
  wait?: boolean;
  timeout: string;
  idempotencyKey?: string;
}

/** `tipstream tip <recipient> <sats>`: one tip through POST /v1/tips, optionally followed. */
const tipCommand = async (
  ctx: CliContext,
  recipient: string,
  sats: string,
  options: TipOptions,
) => {
  const amountMsat = parseSats(sats, 'sats') * 1000n;
  const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
  const api = await ctx.api();
  // A Lightning Address goes as it is: the payer resolves it.
  const toAddress = recipient.includes('@');
  const pubkey = toAddress ? recipient : await ctx.resolveNode(recipient);
  const body = JSON.stringify({
    ...(toAddress ? { recipientAddress: recipient } : { recipientPubkey: pubkey }),
    amountMsat: amountMsat.toString(),
    ...(options.message ? { message: options.message } : {}),
    ...(options.sender ? { senderName: options.sender } : {}),
  });
  const key = options.idempotencyKey ?? `tipstream-tip-${randomUUID()}`;
  const accepted = await postPayment<{ tipId: string; status: string }>(ctx, api, '/v1/tips', {
    body,
    idempotencyKey: key,
  });
  const replayed = accepted.headers.get('idempotent-replayed') === 'true';
  const names = await ctx.nodeNames();
  ctx.note(
    `${replayed ? 'already accepted earlier (same Idempotency-Key)' : 'accepted'}: tip ${accepted.body.tipId}, ${satsLabel(amountMsat)} to ${describeNode(pubkey, names)}`,
  );
  if (!options.wait) {
    const tip = await getTip(api, accepted.body.tipId);
    await reportTip(ctx, tip);
    ctx.print(`\nfollow it with: tipstream status ${tip.tipId} --wait`);
    return;
  }
  ctx.note('waiting for the payer…');
  const { tip, detached } = await followTip(ctx, api, accepted.body.tipId, { timeoutMs });
  await reportTip(ctx, tip, { waited: true, detached });
};

export const registerTip = (program: Command, run: ActionRunner) =>
  program
    .command('tip')
    .description('send one tip through the API (POST /v1/tips), signed, with an Idempotency-Key')
    .argument(
      '<recipient>',
      "the creator node's pubkey (66 hex), a Lightning Address (name@domain), or carol/dave/erin… on the local stack",
    )
    .argument('<sats>', 'whole sats')
    .option('-m, --message <text>', 'text message sent with the payment (keysend record 34349334)')
    .option('--sender <name>', "sender name shown in the boostagram's sender_name")
    .option('-w, --wait', 'follow the tip until SUCCEEDED or FAILED and print its signed receipt')
    .option('--timeout <seconds>', 'how long --wait waits', '120')
    .option(
      '--idempotency-key <key>',
      'reuse a key to retry a tip safely (default: a new key per run)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tipstream tip carol 1000 --message "great stream" --wait\n  tipstream tip 02ab…(66 hex) 21 --json',
    )
    .action(run(tipCommand));

export const registerStatus = (program: Command, run: ActionRunner) =>
  program
    .command('status')
    .description("a tip's status (GET /v1/tips/{tipId}); its receipt is verified when it has one")
    .argument('<tipId>', 'the tip id printed by "tipstream tip" (or a batch row\'s tip_id)')
    .option('-w, --wait', 'follow the tip until SUCCEEDED or FAILED')
    .option('--timeout <seconds>', 'how long --wait waits', '120')
    .action(
      run(async (ctx: CliContext, tipId: string, options: { wait?: boolean; timeout: string }) => {
        if (tipId.trim() === '') throw new UsageError('give the tip id');
        const api = await ctx.api();
        const { tip, detached } = options.wait
          ? await followTip(ctx, api, tipId, {
              timeoutMs: parseSeconds(options.timeout, '--timeout') * 1000,
            })
          : { tip: await getTip(api, tipId), detached: false };
        await reportTip(ctx, tip, { waited: options.wait === true, detached });
      }),
    );
