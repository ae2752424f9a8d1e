import type { CreatorNode, ReceivedKeysend } from '../../ports/incoming-payments.js';
import { lndGrpc } from './grpc.js';
import { getInvoices } from './lightning-methods.js';
import { createKeyAgreement, timedRpc } from './lnd-node.js';

/** Invoices asked for per page (LND's ListInvoices). */
const PAGE_SIZE = 250;

/**
 * A creator's node over gRPC, for verifying incoming tips: `invoices:read` (keysends are stored
 * as "push" invoices), `info:read` and `uri:/signrpc.Signer/DeriveSharedKey` are all it calls.
 */
export const connectCreatorNode = (
  credentials: { socket: string; cert: string; macaroon: string },
  options: { rpcTimeoutMs: number },
): CreatorNode => {
  const lnd = lndGrpc(credentials);
  const rpc = timedRpc(options.rpcTimeoutMs);
  // One command, a handful of operators: no cache needed beyond the run.
  const agreement = createKeyAgreement(lnd, rpc, 100);

  const listReceivedKeysends = async (range: { from: Date; to: Date }) => {
    const received: ReceivedKeysend[] = [];
    let token: string | undefined;
    do {
      const page = await rpc(
        'getInvoices',
        getInvoices(
          token
            ? { lnd, token }
            : {
                lnd,
                limit: PAGE_SIZE,
                created_after: range.from.toISOString(),
                created_before: range.to.toISOString(),
              },
        ),
      );
      for (const invoice of page.invoices) {
        if (!invoice.is_push || !invoice.is_confirmed) continue;
        const settled = invoice.payments.find((payment) => payment.is_confirmed);
        received.push({
          paymentHash: invoice.id,
          preimage: new Uint8Array(Buffer.from(invoice.secret, 'hex')),
          amountMsat: BigInt(invoice.received_mtokens),
          settledAt: invoice.confirmed_at ?? settled?.confirmed_at ?? invoice.created_at,
          records: (settled?.messages ?? []).map((message) => ({
            type: BigInt(message.type),
            value: new Uint8Array(Buffer.from(message.value, 'hex')),
          })),
        });
      }
      token = page.next;
    } while (token);
    return received.sort((a, b) => a.settledAt.localeCompare(b.settledAt));
  };

  return { ...agreement, listReceivedKeysends };
};
