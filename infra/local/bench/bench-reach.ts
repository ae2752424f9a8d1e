/**
 * Reach benchmark on the running local stack (`npm run stack:up` first):
 *   npm run bench:reach -- [--precision-sats 1000] [--amp-step-sats 25000] [--max-sats 1300000]
 * Finds, by bisection with real payments, the largest amount alice (the operator's node) can pay
 * grace by keysend and by AMP, through the payer's own LND adapter with the payer's fee and
 * timeout policy (`payKeysend`, `payAmp`), and prints both and their ratio. grace sits behind two
 * channels from bob: keysend is single-path, AMP splits over both. Every probe is a real payment
 * (a fresh random preimage or payment address: none is a tip); grace pays bob back what she holds
 * before each probe (once no HTLC is pending at her), so every probe sees her inbound liquidity
 * whole. An AMP probe too large for her channels can leave the shards that reached grace held
 * there (an incomplete set; on this regtest stack they stayed pending for the rest of the run), so
 * AMP is searched upwards from the keysend answer in steps of `--amp-step-sats` and stops at its
 * first failure: the answer is "at least X, less than X + step".
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { getChannels } from 'lightning';
import { createPayerRuntime, type PayerRuntime } from '../../../functions/payer/runtime.js';
import { readStackFile, stackNode } from '../../../shared/config/stack-file.js';
import { maxFeeMsat } from '../../../shared/domain/fee-limit.js';
import { parsePreimage, paymentHashOf } from '../../../shared/domain/preimage.js';
import { PermanentPaymentError } from '../../../shared/ports/errors.js';
import { localServiceEnv } from '../emulators/service.js';
import { giveBackInbound } from '../stack/amp-receiver.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { connectLnd } from '../stack/lnd.js';
import { GRACE_CHANNEL_SATS } from '../stack/regtest-network.js';
import { waitFor } from '../stack/wait.js';

const { values } = parseArgs({
  options: {
    'precision-sats': { type: 'string', default: '1000' },
    'amp-step-sats': { type: 'string', default: '25000' },
    'max-sats': { type: 'string', default: '1300000' },
  },
});
const precisionOf = {
  keysend: Number(values['precision-sats']),
  amp: Number(values['amp-step-sats']),
};
const maxSats = Number(values['max-sats']);
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (stack?.lightning.network !== 'regtest') {
  process.stderr.write('no regtest stack running: "npm run stack:up" first\n');
  process.exit(1);
}
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const env = await localServiceEnv(stack, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
const runtime: PayerRuntime = createPayerRuntime(env);
const { lightning, policy } = runtime.deps;
const grace = stackNode(stack, 'grace').pubkey;
const graceLnd = await connectLnd(stackNode(stack, 'grace'));
const bobLnd = await connectLnd(stackNode(stack, 'bob'));

type Method = 'keysend' | 'amp';
const probes: Array<{ method: Method; sats: number; paid: boolean; why: string; ms: number }> = [];

/** One real payment of `sats` to grace by `method`: paid, or refused by LND (why). */
const probe = async (method: Method, sats: number): Promise<boolean> => {
  // A failed AMP set's shards stay held at grace until her MPP timeout: wait them out.
  await waitFor(
    'no HTLC pending at grace',
    async () => {
      const { channels } = await getChannels({ lnd: graceLnd });
      return channels.every((channel) => channel.pending_payments.length === 0) || undefined;
    },
    { timeoutMs: 300_000, intervalMs: 1_000 },
  );
  await giveBackInbound(graceLnd, bobLnd);
  const amountMsat = BigInt(sats) * 1000n;
  const limits = {
    destination: grace,
    amountMsat,
    records: [],
    maxFeeMsat: maxFeeMsat(amountMsat, policy),
    maxTimeoutBlocks: policy.maxTimeoutBlocks,
    pathfindingTimeoutMs: policy.pathfindingTimeoutMs,
    // Longer than grace's MPP timeout: a set she gives up on is a definite failure.
    waitMs: 200_000,
  };
  const started = Date.now();
  try {
    if (method === 'keysend') {
      const preimage = parsePreimage(randomBytes(32));
      await lightning.payKeysend({ ...limits, preimage, paymentHash: paymentHashOf(preimage) });
    } else {
      await lightning.payAmp({ ...limits, paymentAddr: randomBytes(32) });
    }
    probes.push({ method, sats, paid: true, why: 'paid', ms: Date.now() - started });
    process.stderr.write(`${method} ${sats} sats: paid (${Date.now() - started} ms)\n`);
    return true;
  } catch (error) {
    // Only LND's definite "no" is an answer; anything else stops the bench.
    if (!(error instanceof PermanentPaymentError)) throw error;
    probes.push({ method, sats, paid: false, why: error.code, ms: Date.now() - started });
    process.stderr.write(`${method} ${sats} sats: ${error.code} (${Date.now() - started} ms)\n`);
    return false;
  }
};

/** Keysend: the largest amount (to `precision`) it pays, by bisection; `paid(lo)`, `!paid(hi)`. */
const largest = async (method: Method, from: number): Promise<number> => {
  const precision = precisionOf[method];
  let lo = from;
  let hi = maxSats;
  if (!(await probe(method, lo))) throw new Error(`${method}: even ${lo} sats cannot be paid`);
  if (await probe(method, hi)) {
    throw new Error(`${method}: ${hi} sats paid; raise --max-sats`);
  }
  while (hi - lo > precision) {
    const mid = Math.round((lo + hi) / 2 / precision) * precision;
    if (mid <= lo || mid >= hi) break;
    if (await probe(method, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
};

/** AMP: upwards from `from` (paid) in steps, to its first failure (one failing probe only). */
const largestUpwards = async (method: Method, from: number): Promise<number> => {
  let paid = from;
  if (!(await probe(method, paid))) throw new Error(`${method}: ${paid} sats cannot be paid`);
  for (let next = paid + precisionOf[method]; next <= maxSats; next += precisionOf[method]) {
    if (!(await probe(method, next))) return paid;
    paid = next;
  }
  throw new Error(`${method}: ${paid} sats paid; raise --max-sats`);
};

const started = Date.now();
try {
  const keysend = await largest('keysend', precisionOf.keysend);
  const amp = await largestUpwards('amp', keysend);
  await giveBackInbound(graceLnd, bobLnd);
  const line = (method: Method, sats: number) => {
    const mine = probes.filter((each) => each.method === method);
    const refusals = [...new Set(mine.filter((each) => !each.paid).map((each) => each.why))];
    return `  ${method.padEnd(8)} ${sats.toLocaleString('en-US').padStart(10)} sats  (${mine.length} probes, refused above with ${refusals.join(', ')})`;
  };
  process.stdout.write(
    [
      `largest tip alice → grace (two ${GRACE_CHANNEL_SATS.toLocaleString('en-US')}-sat channels from bob), keysend to ${precisionOf.keysend} sats (bisection), AMP in steps of ${precisionOf.amp} sats, fee policy ${policy.feePpm} ppm / min ${policy.minFeeSats} sats:`,
      line('keysend', keysend),
      line('amp', amp),
      `  AMP ÷ keysend = ${(amp / keysend).toFixed(2)}   (${probes.length} real payments in ${Math.round((Date.now() - started) / 1000)} s)`,
      '',
    ].join('\n'),
  );
} finally {
  runtime.dynamodb.destroy();
}
process.exit(0);
