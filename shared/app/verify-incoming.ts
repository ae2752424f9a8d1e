import {
  type IncomingVerdict,
  readTipstreamClaim,
  tipContent,
  verifyIncomingTip,
} from '../domain/incoming-tip.js';
import type { CreatorNode, ReceivedKeysend } from '../ports/incoming-payments.js';

/** One received keysend and what the check says of it. */
export interface IncomingCheck {
  paymentHash: string;
  amountMsat: bigint;
  settledAt: string;
  verdict: IncomingVerdict;
  message?: string;
  boostagram?: Record<string, unknown>;
}

/**
 * Checks every keysend a creator's node received in a time range: for each one carrying a
 * Tipstream record, the node computes the ECDH secret with the operator the record names (once
 * per operator) and the pure `verifyIncomingTip` decides. Payments without the record are
 * `not-tipstream`.
 */
export const verifyIncoming = async (
  range: { from: Date; to: Date },
  deps: { node: CreatorNode },
  options: { trustedOperators?: readonly string[] } = {},
): Promise<IncomingCheck[]> => {
  const payments = await deps.node.listReceivedKeysends(range);
  const secrets = new Map<string, Promise<Uint8Array>>();
  const secretFor = (operator: string) => {
    let secret = secrets.get(operator);
    if (!secret) {
      secret = deps.node.sharedSecret(operator);
      secrets.set(operator, secret);
    }
    return secret;
  };
  const checks: IncomingCheck[] = [];
  for (const payment of payments) {
    const claim = readTipstreamClaim(payment.records);
    const secret = claim?.ok ? await secretFor(claim.record.operator) : undefined;
    checks.push(describe(payment, verifyIncomingTip(payment, secret, options.trustedOperators)));
  }
  return checks;
};

const describe = (payment: ReceivedKeysend, verdict: IncomingVerdict): IncomingCheck => ({
  paymentHash: payment.paymentHash,
  amountMsat: payment.amountMsat,
  settledAt: payment.settledAt,
  verdict,
  ...tipContent(payment.records),
});
