import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import type { Command } from 'commander';
import { type ReceiptVerification, verifyReceipt } from '../../shared/domain/receipt.js';
import type { PayoutHistoryEntry } from '../../shared/ports/activity.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { describeNode, formatCount, renderTable, satsLabel, shortKey } from '../format.js';
import { extractSignedReceipt, parseOperatorKey, parseReceiptText } from '../receipt-input.js';
import { type ActionRunner, parsePositiveInt } from './common.js';

interface PayoutHistoryPage {
  recipient: string;
  totals: { paidMsat: string; feeMsat: string; tipCount: number; lastPaidAt?: string };
  payouts: PayoutHistoryEntry[];
  next?: string;
}

/** `tipstream receipts <recipient>`: the recipient's settled payouts, newest first, page by page. */
const receiptsCommand = async (
  ctx: CliContext,
  recipient: string,
  options: { limit: string; all?: boolean },
) => {
  const limit = options.all ? Number.POSITIVE_INFINITY : parsePositiveInt(options.limit, '--limit');
  const api = await ctx.api();
  const pubkey = await ctx.resolveNode(recipient);
  const payouts: PayoutHistoryPage['payouts'] = [];
  let path: string | undefined = `/v1/recipients/${pubkey}/payouts?limit=${Math.min(100, limit)}`;
  let first: PayoutHistoryPage | undefined;
  let next: string | undefined;
  // A page may hold fewer payouts than asked (it is filtered to this platform after reading):
  // keep following `next` until enough are found or there are no more.
  while (path && payouts.length < limit) {
    const page: PayoutHistoryPage = (await api.get<PayoutHistoryPage>(path)).body;
    first ??= page;
    payouts.push(...page.payouts.slice(0, limit - payouts.length));
    next = page.next;
    path = page.next;
  }
  const totals = first?.totals ?? { paidMsat: '0', feeMsat: '0', tipCount: 0 };
  if (ctx.json) {
    ctx.printJson({ recipient: pubkey, totals, payouts, ...(next ? { next } : {}) });
    return;
  }
  const names = await ctx.nodeNames();
  ctx.print(`recipient  ${describeNode(pubkey, names)}`);
  ctx.print(
    `all-time   ${satsLabel(totals.paidMsat)} in ${formatCount(totals.tipCount)} payouts from this platform, fees ${satsLabel(totals.feeMsat)}${totals.lastPaidAt ? `, last ${totals.lastPaidAt}` : ''}`,
  );
  if (payouts.length === 0) {
    ctx.print(`\nno settled payouts from platform ${(await ctx.apiTarget()).platformId} yet`);
    return;
  }
  ctx.print(`\npayouts from platform ${(await ctx.apiTarget()).platformId}, newest first:`);
  ctx.print(
    renderTable(
      ['settled', 'sats', 'fee', 'tip', 'payment hash', 'batch'],
      payouts.map((payout) => [
        payout.settledAt,
        satsLabel(payout.amountMsat),
        payout.feeMsat === undefined ? '' : satsLabel(payout.feeMsat),
        payout.tipId,
        shortKey(payout.paymentHash),
        payout.batchId ? shortKey(payout.batchId, 12) : '',
      ]),
      { alignRight: [1, 2] },
    ),
  );
  if (next)
    ctx.print(`more: tipstream receipts ${recipient} --limit ${payouts.length * 2} (or --all)`);
};

/** `tipstream verify-receipt <file|->`: the offline BIP-340 check of a signed receipt. */
const verifyReceiptCommand = async (
  ctx: CliContext,
  file: string,
  options: { pubkey?: string },
) => {
  const expected = options.pubkey === undefined ? undefined : parseOperatorKey(options.pubkey);
  const source = file === '-' ? 'standard input' : file;
  const text =
    file === '-'
      ? await readStream(ctx.io.stdin)
      : await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
        });
  const signed = extractSignedReceipt(parseReceiptText(text, source));
  const verification: ReceiptVerification = verifyReceipt(signed, expected);
  const receipt = (signed as { receipt?: Record<string, unknown> }).receipt;
  if (!verification.ok) ctx.fail(EXIT.FAILED);
  if (ctx.json) {
    ctx.printJson({
      ok: verification.ok,
      ...(verification.ok ? {} : { reason: verification.reason }),
      checkedAgainst: expected ? 'expected-key' : 'key-in-receipt',
      operatorPubkey: receipt?.operatorPubkey,
      receipt,
    });
    return;
  }
  if (!verification.ok) {
    ctx.io.stderr.write(`INVALID receipt (${source}): ${verification.reason}\n`);
    return;
  }
  const r = receipt as {
    tipId: string;
    recipient: string;
    amountMsat: string;
    feeMsat: string;
    settledAt: string;
    paymentHash: string;
    operatorPubkey: string;
  };
  ctx.print(`valid receipt: tip ${r.tipId}`);
  ctx.print(
    `  paid       ${satsLabel(r.amountMsat)} to ${r.recipient} at ${r.settledAt} (fee ${satsLabel(r.feeMsat)})`,
  );
  ctx.print(`  proof      sha256(preimage) = payment hash ${r.paymentHash}`);
  ctx.print(`  signed by  ${r.operatorPubkey} (BIP-340 Schnorr, tag tipstream/receipt/v1)`);
  if (!expected) {
    ctx.print(
      "  note       checked against the key the receipt names; pass --pubkey <operator's receipt key> to also check who signed it",
    );
  }
};

export const registerReceipts = (program: Command, run: ActionRunner) => {
  program
    .command('receipts')
    .description(
      "a recipient's settled payouts from this platform, newest first (GET /v1/recipients/{pubkey}/payouts)",
    )
    .argument('<recipient>', 'node pubkey (66 hex), or carol/dave… on the local stack')
    .option('-n, --limit <count>', 'how many payouts to show', '25')
    .option('--all', 'every payout (follows every page)')
    .action(run(receiptsCommand));
  program
    .command('verify-receipt')
    .description(
      'check a signed receipt offline: BIP-340 signature, preimage, shape (no API needed)',
    )
    .argument('<file>', 'a signed receipt or a tip status as JSON ("-" reads standard input)')
    .option(
      '--pubkey <key>',
      "the operator's receipt key you expect (x-only hex); default: the key the receipt names",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tipstream status <tipId> --json > tip.json && tipstream verify-receipt tip.json\n  curl … | tipstream verify-receipt - --pubkey <operator key>',
    )
    .action(run(verifyReceiptCommand));
};
