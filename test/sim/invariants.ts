/**
 * What must hold at the end of every simulated run, judged from the recipients' side (the LND
 * model's settlements) and from the tables as the real adapters wrote them.
 */
import { hourlyActivityKey, platformRecipientKey } from '../../shared/adapters/dynamodb/tables.js';
import { MAX_SENDS } from '../../shared/domain/payment-failure.js';
import { hourOf } from '../../shared/domain/platform-summary.js';
import { type SignedReceipt, verifyReceipt } from '../../shared/domain/receipt.js';
import { type DynamoModel, type Item, TABLES } from './dynamo-model.js';
import type { LndModel } from './lnd-model.js';

/** Verifying a receipt costs milliseconds; runs repeat the same receipts. */
const verified = new Map<string, string | undefined>();
const verify = (receipt: string, publicKey: string) => {
  if (!verified.has(receipt)) {
    const result = verifyReceipt(JSON.parse(receipt) as SignedReceipt, publicKey);
    verified.set(receipt, result.ok ? undefined : result.reason);
  }
  return verified.get(receipt);
};

const big = (value: unknown) => BigInt(String(value ?? 0));

/**
 * A tip recorded FAILED for the node's own passing state: LND failed its send because the node was
 * up but not forwarding, and the node was still not forwarding when the failure was recorded (so
 * the payer, asking the node in between, was told so), although the tip had not been held for the
 * recovery window and sends remained. Undefined when the failure stands.
 */
const failedForNodeState = (tip: Item, lnd: LndModel, recoveryWindowMs: number) => {
  if (tip.failureCode !== 'INSUFFICIENT_BALANCE') return undefined;
  const failedAt = lnd.notForwardingFailures.get(
    String(tip.sendMethod === 'amp' ? tip.paymentAddr : tip.paymentHash),
  );
  const recordedAt = Date.parse(String(tip.updatedAt));
  if (failedAt === undefined) return undefined;
  const throughout = lnd.notForwarding.some(
    ([from, until]) => from <= failedAt && recordedAt < until,
  );
  const heldFor = tip.heldSince === undefined ? 0 : recordedAt - Date.parse(String(tip.heldSince));
  if (!throughout || heldFor >= recoveryWindowMs || sendsOf(tip) >= MAX_SENDS) return undefined;
  return `FAILED (INSUFFICIENT_BALANCE) while the operator node was up but not forwarding, held ${heldFor} ms of the ${recoveryWindowMs} ms window`;
};

/** A tip's sends: its attempts but those never sent (lease given up) or held by the node's state. */
const sendsOf = (tip: Item) =>
  Number(tip.attempt) - Number(tip.unsentAttempts ?? 0) - Number(tip.heldAttempts ?? 0);

/**
 * A tip FAILED at an attempt the node's state held, its sends not used up: a held attempt's
 * failure was the node's, not the route's, so it is no send, and once the window has passed or the
 * node is whole the hash is sent again (a tip held on its third send is not failed for it).
 */
const failedAtHeldAttempt = (tip: Item) => {
  if (tip.heldAttempt === undefined || Number(tip.heldAttempt) !== Number(tip.attempt))
    return undefined;
  const sends = sendsOf(tip);
  if (sends >= MAX_SENDS) return undefined;
  return `FAILED at attempt ${tip.attempt}, which the node's state held, after ${sends} of ${MAX_SENDS} sends`;
};

export const checkInvariants = (world: {
  db: DynamoModel;
  lnd: LndModel;
  alias: (id: string) => string;
  receiptPublicKey: string;
  globalHourlyLimitMsat: bigint;
  nodeRecoveryMs: number;
}): string[] => {
  const { db, lnd, alias } = world;
  const problems: string[] = [];
  const tips = db.items(TABLES.tips).filter((tip) => !String(tip.tipId).startsWith('rejected:'));
  const byId = new Map(tips.map((tip) => [String(tip.tipId), tip]));

  // What identifies a tip's money at the recipient: one settled set per AMP address; its hash
  // otherwise (an LNURL tip's: the invoice it stores).
  const moneyKey = (tip: Item) =>
    tip.sendMethod === 'amp' ? `addr:${tip.paymentAddr}` : String(tip.paymentHash);
  const tipMoney = new Set(tips.map(moneyKey));
  for (const [key, count] of lnd.settlements) {
    const name = alias(key.replace(/^addr:/, ''));
    if (count > 1) problems.push(`${name}: ${count} settlements at the recipient`);
    // An invoice paid that no tip stores any more (replaced while it could still be paid): a
    // second payment of its tip.
    if (!tipMoney.has(key)) problems.push(`${name}: settled at the recipient, but no tip pays it`);
  }
  if (lnd.inFlight().length > 0)
    problems.push(`LND still has payments in flight after faults stopped`);

  for (const tip of tips) {
    const name = alias(String(tip.tipId));
    const settled = lnd.settlements.get(moneyKey(tip)) ?? 0;
    switch (tip.state) {
      case 'SUCCEEDED': {
        if (settled !== 1) problems.push(`${name}: SUCCEEDED with ${settled} settlements`);
        const receipt = String(tip.receipt ?? '');
        const invalid = receipt ? verify(receipt, world.receiptPublicKey) : 'no receipt';
        if (invalid) {
          problems.push(`${name}: SUCCEEDED with an invalid receipt (${invalid})`);
          break;
        }
        const body = (JSON.parse(receipt) as SignedReceipt).receipt;
        if (
          body.tipId !== tip.tipId ||
          // An AMP receipt proves a shard's hash and names the tip's payment address.
          (tip.sendMethod === 'amp'
            ? body.paymentAddr !== tip.paymentAddr
            : body.paymentHash !== tip.paymentHash) ||
          body.amountMsat !== tip.amountMsat ||
          body.feeMsat !== tip.feeMsat
        ) {
          problems.push(`${name}: its receipt is for another payment`);
        }
        break;
      }
      case 'FAILED': {
        if (settled > 0) problems.push(`${name}: FAILED, but the recipient was paid ${settled}×`);
        const wrong =
          failedForNodeState(tip, lnd, world.nodeRecoveryMs) ?? failedAtHeldAttempt(tip);
        if (wrong) problems.push(`${name}: ${wrong}`);
        break;
      }
      default:
        problems.push(
          `${name}: not terminal (${tip.state}, attempt ${tip.attempt}; LND ${(tip.sendMethod === 'amp' ? lnd.knownAmp(String(tip.paymentAddr)) : lnd.known(String(tip.paymentHash))).status})`,
        );
    }
  }

  // Every accepted request became a tip that ended, and holds exactly its part of the budgets.
  const requests = db.items(TABLES.requests);
  const expected = new Map<string, bigint>();
  for (const request of requests) {
    const tip = byId.get(String(request.tipId));
    const name = alias(String(request.tipId));
    if (!tip) {
      problems.push(`${name}: accepted (budget reserved) but never recorded by the payer`);
      continue;
    }
    const terminal = tip.state === 'SUCCEEDED' || tip.state === 'FAILED';
    if (request.released !== terminal) {
      problems.push(
        `${name}: ${tip.state} with its reservation ${request.released ? 'released' : 'still held'}`,
      );
    }
    const held =
      tip.state === 'FAILED'
        ? 0n
        : tip.state === 'SUCCEEDED'
          ? big(request.amountMsat) + big(tip.feeMsat)
          : big(request.amountMsat) + big(request.feeLimitMsat);
    for (const key of (request.budgetKeys ?? []) as string[])
      expected.set(key, (expected.get(key) ?? 0n) + held);
  }
  const budgets = new Map(db.items(TABLES.budgets).map((item) => [String(item.budgetKey), item]));
  for (const [key, budget] of budgets) {
    if (key.startsWith('signature-')) continue;
    const grants = Object.entries(budget).filter(([name]) => name.startsWith('grant#'));
    if (grants.length > 0) {
      // A shared budget: what it leased out is the sum of its grants, within its limit, and no
      // lease was applied more than it was granted.
      const leased = grants.reduce((sum, [, grant]) => sum + big(grant), 0n);
      if (big(budget.reservedMsat) !== leased || leased > world.globalHourlyLimitMsat) {
        problems.push(`budget ${key}: ${budget.reservedMsat} msat leased, grants sum to ${leased}`);
      }
      for (const [name, grant] of grants) {
        const lease = budgets.get(name.slice('grant#'.length));
        if (big(lease?.grantedMsat) > big(grant)) {
          problems.push(`${name}: lease granted ${lease?.grantedMsat}, recorded ${grant}`);
        }
      }
      continue;
    }
    // A lease counts its tips less its grant (net ≤ 0); a plain counter its tips.
    const held = big(budget.reservedMsat) + big(budget.grantedMsat);
    const want = expected.get(key) ?? 0n;
    if (
      held !== want ||
      big(budget.reservedMsat) > (budget.grantedMsat === undefined ? held : 0n)
    ) {
      problems.push(`budget ${key}: ${held} msat reserved, the tips hold ${want}`);
    }
  }

  // Counters are the sums of their tips.
  const sums = new Map<string, { count: number; msat: bigint; fee: bigint }>();
  const add = (key: string, tip: Item) => {
    const sum = sums.get(key) ?? { count: 0, msat: 0n, fee: 0n };
    sum.count += 1;
    sum.msat += big(tip.amountMsat);
    sum.fee += big(tip.feeMsat);
    sums.set(key, sum);
  };
  for (const tip of tips) {
    if (tip.state === 'SUCCEEDED') {
      add(`payouts ${tip.recipient}`, tip);
      add(`payouts ${platformRecipientKey(String(tip.platformId), String(tip.recipient))}`, tip);
    }
    if (tip.batchId && (tip.state === 'SUCCEEDED' || tip.state === 'FAILED'))
      add(`batch ${tip.batchId} ${tip.state}`, tip);
  }
  // The dashboard's hourly counters are the sums of the tips that ended in each hour.
  const hours = new Map<
    string,
    { succeeded: number; msat: bigint; fee: bigint; failed: number; failedMsat: bigint }
  >();
  for (const tip of tips) {
    if (tip.state !== 'SUCCEEDED' && tip.state !== 'FAILED') continue;
    const succeeded = tip.state === 'SUCCEEDED';
    const key = hourlyActivityKey(
      String(tip.platformId),
      hourOf(String(succeeded ? tip.settledAt : tip.updatedAt)),
    );
    const hour = hours.get(key) ?? { succeeded: 0, msat: 0n, fee: 0n, failed: 0, failedMsat: 0n };
    if (succeeded) {
      hour.succeeded += 1;
      hour.msat += big(tip.amountMsat);
      hour.fee += big(tip.feeMsat);
    } else {
      hour.failed += 1;
      hour.failedMsat += big(tip.amountMsat);
    }
    hours.set(key, hour);
  }
  const counters = db
    .items(TABLES.payouts)
    .filter((item) => String(item.recipient).startsWith('#hour#'));
  for (const key of new Set([...hours.keys(), ...counters.map((item) => String(item.recipient))])) {
    const item = db.get(TABLES.payouts, { recipient: key }) ?? {};
    const want = hours.get(key) ?? { succeeded: 0, msat: 0n, fee: 0n, failed: 0, failedMsat: 0n };
    const actual = [
      item.succeededCount,
      item.succeededMsat,
      item.feeMsat,
      item.failedCount,
      item.failedMsat,
    ]
      .map((value) => String(value ?? 0))
      .join();
    const expected = [want.succeeded, want.msat, want.fee, want.failed, want.failedMsat].join();
    if (actual !== expected) {
      problems.push(
        `hourly counters ${key.slice(0, 60)} (succeeded, msat, fee, failed, msat): ${actual}; its tips: ${expected}`,
      );
    }
  }

  for (const payout of db.items(TABLES.payouts)) {
    if (String(payout.recipient).startsWith('#hour#')) continue;
    const sum = sums.get(`payouts ${payout.recipient}`) ?? { count: 0, msat: 0n, fee: 0n };
    if (
      Number(payout.tipCount ?? 0) !== sum.count ||
      big(payout.paidMsat) !== sum.msat ||
      big(payout.feeMsat) !== sum.fee
    ) {
      problems.push(
        `payout totals of ${alias(String(payout.recipient)).slice(0, 30)}: ${payout.tipCount} tips ${payout.paidMsat} msat fee ${payout.feeMsat}; its SUCCEEDED tips: ${sum.count} tips ${sum.msat} msat fee ${sum.fee}`,
      );
    }
  }
  for (const batch of db.items(TABLES.batches)) {
    const ok = sums.get(`batch ${batch.batchId} SUCCEEDED`) ?? { count: 0, msat: 0n, fee: 0n };
    const failed = sums.get(`batch ${batch.batchId} FAILED`) ?? { count: 0, msat: 0n, fee: 0n };
    const actual = [
      batch.succeededCount,
      batch.succeededMsat,
      batch.failedCount,
      batch.failedMsat,
      batch.feeMsat,
    ].map((v) => String(v ?? 0));
    const want = [ok.count, ok.msat, failed.count, failed.msat, ok.fee].map(String);
    if (actual.join() !== want.join()) {
      problems.push(
        `batch progress (succeeded, msat, failed, msat, fee): ${actual.join(', ')}; its tips: ${want.join(', ')}`,
      );
    }
  }
  return problems;
};
