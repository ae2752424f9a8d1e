/**
 * The code the simulator runs: the real use cases and DynamoDB adapter, or a mutant of one of
 * them. A mutant is the source file with one guard broken (an exact text replacement, which must
 * match exactly once, so a mutant cannot silently stop applying when the code changes), written
 * to a temporary file whose imports point back at the real modules (one module graph: the same
 * error classes). The suite asserts that the simulator catches every mutant within its CI run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import type { payTipMessage } from '../../shared/app/pay-tip.js';
import type { reconcileStuckTips } from '../../shared/app/reconcile-tips.js';

export interface SimModules {
  payTipMessage: typeof payTipMessage;
  reconcileStuckTips: typeof reconcileStuckTips;
  createDynamoTipLedger: typeof createDynamoTipLedger;
}

export interface Mutant {
  name: string;
  /** What the broken guard would let happen. */
  why: string;
  file:
    | 'shared/app/pay-tip.ts'
    | 'shared/app/send-method.ts'
    | 'shared/adapters/dynamodb/tip-ledger.ts';
  from: string;
  to: string;
  /**
   * Set when no interleaving of the model can tell the mutant from the real code: the guard is
   * defence in depth behind the leases (a dead invocation cannot send or write after its
   * deadline, and the others wait for its lease and grace). Not asserted; the reason is kept.
   */
  equivalent?: string;
}

export const MUTANTS: Mutant[] = [
  {
    name: 'node-state-final',
    why: 'INSUFFICIENT_BALANCE taken as final: a send LND fails because the operator node is up but not forwarding yet (just restarted) fails the tip instead of holding it',
    file: 'shared/app/pay-tip.ts',
    from: 'const decision = await judgeFailure(tip, failure.code, deps, followed);',
    to: "const decision = failure.code === 'INSUFFICIENT_BALANCE' ? { kind: 'final' as const } : await judgeFailure(tip, failure.code, deps, followed);",
  },
  {
    name: 'hold-from-creation',
    why: "the recovery window counted from the tip's creation, not its first hold: a tip recorded long before the node went down is never held",
    file: 'shared/app/pay-tip.ts',
    from: 'tip.heldSince === undefined ? undefined : deps.now().getTime() - Date.parse(tip.heldSince),',
    to: 'deps.now().getTime() - Date.parse(tip.createdAt),',
  },
  {
    name: 'held-consumes-send',
    why: "a held attempt counted as one of the tip's sends: a tip held on its third send is FAILED once the node is whole, instead of sent again",
    file: 'shared/app/pay-tip.ts',
    from: 'sends: tip.attempt - (tip.unsentAttempts ?? 0) - (tip.heldAttempts ?? 0),',
    to: 'sends: tip.attempt - (tip.unsentAttempts ?? 0),',
  },
  {
    name: 'stale-failed',
    why: 'a FAILED / not-found lookup is trusted for any attempt, even one whose owner may still send (the race fixed in a62be70)',
    file: 'shared/app/pay-tip.ts',
    from: 'const leaseLive = leaseHeld(tip, deps);',
    to: 'const leaseLive = false;',
  },
  {
    name: 'late-send',
    why: "an ambiguous send's lookup decides failure, although the owner's own send may still reach LND (the defect fixed in 55eaf61)",
    file: 'shared/app/pay-tip.ts',
    from: "if (lookup.status === 'in_flight') return { kind: 'in-flight', tip };\n      // \"Failed\"",
    to: "if (lookup.status === 'in_flight') return { kind: 'in-flight', tip };\n      if (lookup.status === 'failed') return decideFailure(tip, lookup, deps);\n      // \"Failed\"",
  },
  {
    name: 'no-fence',
    why: 'the owner sends even after its lease has passed (the fence before the send removed)',
    file: 'shared/app/pay-tip.ts',
    from: 'if (tip.leaseUntil === undefined || deps.now().getTime() >= Date.parse(tip.leaseUntil)) {',
    to: 'if (false) {',
    equivalent:
      "the lease is the invocation's deadline and Lambda ends the invocation there: it cannot pass the fence with the lease run out",
  },
  {
    name: 'terminal-any-attempt',
    why: 'SUCCEEDED / FAILED written for whatever attempt is current (the attempt dropped from the guard of the terminal transaction)',
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "ConditionExpression: '#state = :sending AND attempt = :attempt',",
    to: "ConditionExpression: '#state = :sending',",
    equivalent:
      "a newer attempt starts only after the older one's lease and grace, when its owner is gone; not caught in 3,000 seeds",
  },
  {
    name: 'terminal-twice',
    why: 'the terminal transaction is guarded by the attempt only, not the state: the totals can be counted twice',
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "ConditionExpression: '#state = :sending AND attempt = :attempt',",
    to: "ConditionExpression: 'attempt = :attempt',",
  },
  {
    name: 'hour-counted-outside',
    why: "the dashboard's hourly counter of a paid tip is written by its own request before the guarded transaction: a terminal write that loses its race (a redelivery, the reconciler) counts the tip again",
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: 'items.push({ Update: hourlyActivityUpdate(tables, tip.platformId, oneOutcome(tip, paid)) });',
    to: 'await doc.send(new UpdateCommand(hourlyActivityUpdate(tables, tip.platformId, oneOutcome(tip, paid))));',
  },
  {
    name: 'release-any-attempt',
    why: "releaseLease drops whatever attempt's lease is current, not only its own",
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "'#state = :sending AND attempt = :attempt AND attribute_exists(leaseUntil)',",
    to: "'#state = :sending AND attribute_exists(leaseUntil)',",
    equivalent:
      'the owner releases before its deadline, so before anyone may start a newer attempt; not caught in 3,000 seeds',
  },
  {
    name: 'reservation-tag-trusted',
    why: "the message's reservation tag is released without being checked against the request: a tag that disagrees with it releases the wrong amount or counters",
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "'released = :no AND amountMsat = :amount AND feeLimitMsat = :feeLimit AND budgetKeys = :keys',",
    to: "'released = :no',",
  },
  {
    name: 'untagged-request-unchecked',
    why: 'a message without a reservation tag is taken to have no request, unchecked: the budget its request reserved is never released',
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "if (reservation?.kind === 'none') {",
    to: "if (reservation?.kind === 'none') {\n      if (reservation) return [];",
  },
  {
    name: 'amp-resend-without-lookup',
    why: "an AMP tip is sent again without searching LND's payments for its address (LND has no duplicate guard for AMP: every send is a new set)",
    file: 'shared/app/send-method.ts',
    from: "  tip.sendMethod === 'amp'\n    ? deps.lightning.lookupAmpPayment({",
    to: "  tip.sendMethod === 'amp'\n    ? Promise.resolve<PaymentLookup>({ status: 'not_found' })\n    : false\n    ? deps.lightning.lookupAmpPayment({",
  },
  {
    name: 'lnurl-stale-reader-starts-attempt',
    why: 'a new attempt of an LNURL tip is started from a record read before its owner replaced the invoice (markSending not conditioned on the hash): the stale reader replaces the invoice the owner sent, and a new invoice is paid while the old may be in flight (the defect fixed in 6f9ad0c)',
    file: 'shared/adapters/dynamodb/tip-ledger.ts',
    from: "ConditionExpression: '#state = :from AND attempt = :attempt AND paymentHash = :hash',",
    to: "ConditionExpression: '#state = :from AND attempt = :attempt',",
    equivalent:
      "not caught in 3,000 seeds: it needs a reader whose record predates the owner's invoice replacement, the owner's lease to pass with the new invoice unsettled, and that invoice to near its expiry (the review's integration test forces the interleaving)",
  },
  {
    name: 'lnurl-new-invoice-while-in-flight',
    why: 'an LNURL tip found in flight in LND is given a new invoice and sent again (a new invoice while the old one may still settle)',
    file: 'shared/app/pay-tip.ts',
    from: "    case 'in_flight':\n      return { kind: 'in-flight', tip };\n    case 'failed':",
    to: "    case 'in_flight':\n      if (tip.sendMethod === 'lnurl-invoice' && !leaseLive) return pay({ ...(await startAttempt(tip, 'SENDING', deps)), invoiceExpiresAt: undefined }, deps);\n      return { kind: 'in-flight', tip };\n    case 'failed':",
  },
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Inside the repo (gitignored), so the mutants' package imports resolve like the originals'. */
const OUT = join(ROOT, 'test/sim/.mutants');

/** `source` with its relative imports made absolute (from `file`), `replace` applied to them. */
const relocate = (source: string, file: string, replace: Record<string, string> = {}) =>
  source.replace(/from '(\.\.?\/[^']+)'/g, (_match, spec: string) => {
    const target = resolve(dirname(join(ROOT, file)), spec);
    return `from '${replace[target] ?? target}'`;
  });

const write = (name: string, source: string) => {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, name);
  writeFileSync(path, source);
  return path;
};

const real = async (): Promise<SimModules> => ({
  ...(await import('../../shared/app/pay-tip.js')),
  ...(await import('../../shared/app/reconcile-tips.js')),
  ...(await import('../../shared/adapters/dynamodb/tip-ledger.js')),
});

/**
 * The modules with `mutant` applied, or with `payTipSource` (another version of pay-tip.ts, e.g.
 * the pre-fix code) in place of the real use case.
 */
export const loadModules = async (
  options: { mutant?: Mutant; payTipSource?: string } = {},
): Promise<SimModules> => {
  const { mutant, payTipSource } = options;
  if (!mutant && !payTipSource) return real();
  const original = readFileSync(join(ROOT, mutant?.file ?? 'shared/app/pay-tip.ts'), 'utf8');
  let source = payTipSource ?? original;
  if (mutant) {
    const at = source.indexOf(mutant.from);
    if (at < 0 || source.indexOf(mutant.from, at + 1) >= 0) {
      throw new Error(`mutant ${mutant.name}: its text must occur exactly once in ${mutant.file}`);
    }
    source = source.replace(mutant.from, mutant.to);
  }
  const tag = mutant?.name ?? createHash('sha256').update(source).digest('hex').slice(0, 12);
  if (mutant?.file === 'shared/adapters/dynamodb/tip-ledger.ts') {
    const path = write(`tip-ledger.${tag}.ts`, relocate(source, mutant.file));
    return { ...(await real()), ...(await import(path)) };
  }
  // A mutant of the payer's method strategy: pay-tip.ts (and the reconciler) import it.
  const strategy =
    mutant?.file === 'shared/app/send-method.ts'
      ? {
          [join(ROOT, 'shared/app/send-method.js')]: write(
            `send-method.${tag}.ts`,
            relocate(source, mutant.file),
          ).replace(/\.ts$/, '.js'),
        }
      : {};
  const payTip = write(
    `pay-tip.${tag}.ts`,
    relocate(
      mutant?.file === 'shared/app/send-method.ts'
        ? readFileSync(join(ROOT, 'shared/app/pay-tip.ts'), 'utf8')
        : source,
      'shared/app/pay-tip.ts',
      strategy,
    ),
  );
  const reconcile = write(
    `reconcile-tips.${tag}.ts`,
    relocate(
      readFileSync(join(ROOT, 'shared/app/reconcile-tips.ts'), 'utf8'),
      'shared/app/reconcile-tips.ts',
      {
        [join(ROOT, 'shared/app/pay-tip.js')]: payTip.replace(/\.ts$/, '.js'),
      },
    ),
  );
  return { ...(await real()), ...(await import(payTip)), ...(await import(reconcile)) };
};
