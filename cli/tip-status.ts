import { setTimeout as sleep } from 'node:timers/promises';
import type { SignedReceipt } from '../shared/domain/receipt.js';
import { verifyReceipt } from '../shared/domain/receipt.js';
import type { ApiClient } from './api-client.js';
import type { CliContext } from './context.js';
import { onCtrlC } from './ctrl-c.js';
import { EXIT } from './exit-codes.js';
import { describeNode, satsLabel } from './format.js';

/** `GET /v1/tips/{tipId}` (openapi.json TipStatus). */
export interface TipStatus {
  tipId: string;
  status: 'ACCEPTED' | 'RECEIVED' | 'SENDING' | 'SUCCEEDED' | 'FAILED';
  recipient?: string;
  amountMsat: string;
  acceptedAt?: string;
  updatedAt?: string;
  attempts: number;
  failure?: { code: string; reason: string };
  receipt?: SignedReceipt;
}

const isFinal = (tip: TipStatus) => tip.status === 'SUCCEEDED' || tip.status === 'FAILED';

export const getTip = async (api: ApiClient, tipId: string): Promise<TipStatus> =>
  (await api.get<TipStatus>(`/v1/tips/${encodeURIComponent(tipId)}`)).body;

/**
 * Polls a tip until it is SUCCEEDED or FAILED, or the time runs out (then its last state).
 * Ctrl-C stops waiting (`detached`, exit 130) and says how to look again: the tip itself goes
 * on. A second Ctrl-C (an API that does not answer) leaves at once.
 */
export const followTip = async (
  ctx: CliContext,
  api: ApiClient,
  tipId: string,
  { timeoutMs, intervalMs = 300 }: { timeoutMs: number; intervalMs?: number },
): Promise<{ tip: TipStatus; detached: boolean }> => {
  const abort = new AbortController();
  const stopListening = onCtrlC(
    () => abort.abort(),
    () => process.exit(EXIT.DETACHED),
  );
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tip = await getTip(api, tipId);
      if (isFinal(tip) || Date.now() >= deadline) return { tip, detached: false };
      if (!abort.signal.aborted) {
        await sleep(intervalMs, undefined, { signal: abort.signal }).catch(() => {});
      }
      if (abort.signal.aborted) {
        ctx.fail(EXIT.DETACHED);
        ctx.io.stderr.write(
          `\nstopped waiting; the tip goes on. Look again with: tipstream status ${tipId} --wait\n`,
        );
        return { tip, detached: true };
      }
    }
  } finally {
    stopListening();
  }
};

/**
 * Prints a tip (human or JSON) and sets the exit code: 1 when it FAILED or its receipt does not
 * verify, 6 when `waited` and it is still not final.
 */
export const reportTip = async (
  ctx: CliContext,
  tip: TipStatus,
  { waited = false, detached = false }: { waited?: boolean; detached?: boolean } = {},
): Promise<void> => {
  const verification = tip.receipt ? verifyReceipt(tip.receipt) : undefined;
  if (tip.status === 'FAILED') ctx.fail(EXIT.FAILED);
  else if (verification && !verification.ok) ctx.fail(EXIT.FAILED);
  else if (waited && !isFinal(tip)) ctx.fail(EXIT.PENDING);

  if (ctx.json) {
    ctx.printJson({
      ...tip,
      ...(verification ? { receiptVerification: verification } : {}),
      ...(detached ? { watch: 'detached' } : {}),
    });
    return;
  }
  const names = await ctx.nodeNames();
  const lines: Array<[string, string | undefined]> = [
    ['tip', tip.tipId],
    ['status', tip.status],
    ['recipient', tip.recipient && describeNode(tip.recipient, names)],
    ['amount', satsLabel(tip.amountMsat)],
    ['fee', tip.receipt ? satsLabel(tip.receipt.receipt.feeMsat) : undefined],
    ['attempts', String(tip.attempts)],
    ['accepted', tip.acceptedAt],
    ['updated', tip.updatedAt],
    ['failure', tip.failure && `${tip.failure.reason} (${tip.failure.code})`],
  ];
  for (const [label, value] of lines) {
    if (value !== undefined) ctx.print(`${label.padEnd(10)} ${value}`);
  }
  if (tip.receipt && verification) {
    ctx.print(
      verification.ok
        ? `receipt    signature valid (BIP-340, operator key ${tip.receipt.receipt.operatorPubkey}); sha256(preimage) = payment hash ${tip.receipt.receipt.paymentHash}`
        : `receipt    DOES NOT VERIFY: ${verification.reason}`,
    );
    ctx.print(`\nsigned receipt (check it offline with "tipstream verify-receipt <file>"):`);
    ctx.print(JSON.stringify(tip.receipt, null, 2));
  }
  if (waited && !detached && !isFinal(tip)) {
    ctx.print(
      `\nstill ${tip.status} when the wait ran out; check later with: tipstream status ${tip.tipId}`,
    );
  }
};
