/**
 * What an AMP recipient of the regtest network (grace) holds, read from its own node: the checks
 * of the AMP tests and the chaos soak ("paid once" is one settled HTLC set per payment address),
 * and the liquidity reset that lets a large AMP tip reach it again.
 */
import { setTimeout } from 'node:timers/promises';
import { type AuthenticatedLnd, createInvoice, getChannels, pay } from 'lightning';

/** An invoice as lnd's raw ListInvoices returns it (`lightning` does not expose AMP sets). */
export interface AmpInvoice {
  payment_addr: Buffer;
  is_amp: boolean;
  creation_date: string;
  amt_paid_msat: string;
  amp_invoice_state: Record<string, { state: string; amt_paid_msat: string }>;
  htlcs: Array<{ state: string; amt_msat: string; custom_records: Record<string, Buffer> }>;
}

/** The AMP invoices a node created (lnd makes one per payment address), newest first. */
export const ampInvoices = async (lnd: AuthenticatedLnd): Promise<AmpInvoice[]> => {
  const { invoices } = await new Promise<{ invoices: AmpInvoice[] }>((resolve, reject) =>
    lnd.default.listInvoices(
      { num_max_invoices: 10_000, reversed: true },
      (error: unknown, response: never) => (error ? reject(error) : resolve(response)),
    ),
  );
  return invoices.filter((invoice) => invoice.is_amp);
};

/** The AMP invoices of one payment address (hex). */
export const ampReceivedBy = async (
  lnd: AuthenticatedLnd,
  address: string,
): Promise<AmpInvoice[]> =>
  (await ampInvoices(lnd)).filter((invoice) => invoice.payment_addr.toString('hex') === address);

/** The settled HTLC sets (AMP payments) of invoices: exactly once is one per address. */
export const settledSets = (invoices: AmpInvoice[]) =>
  invoices.flatMap((invoice) =>
    Object.values(invoice.amp_invoice_state ?? {}).filter((set) => set.state === 'SETTLED'),
  );

/**
 * The receiver pays `to` back what it holds beyond its reserves (multipath), so its inbound
 * liquidity is whole again for the next large tip. Tried a few times: just after the stack
 * (re)starts, the channels may not be active yet.
 */
export const giveBackInbound = async (
  receiver: AuthenticatedLnd,
  to: AuthenticatedLnd,
  tries = 10,
): Promise<void> => {
  const { channels } = await getChannels({ lnd: receiver });
  const spendable = channels.reduce(
    (sum, channel) =>
      sum +
      (channel.is_active ? Math.max(0, channel.local_balance - channel.local_reserve - 1_000) : 0),
    0,
  );
  const held = channels.reduce((sum, channel) => sum + channel.local_balance, 0);
  if (held < 10_000 + channels.length * 7_000) return;
  try {
    if (spendable < 10_000) throw new Error('the channels are not active yet');
    const { request } = await createInvoice({ lnd: to, tokens: spendable });
    await pay({ lnd: receiver, request, max_paths: 8, max_fee: 1_000 });
  } catch (error) {
    if (tries <= 1) throw error;
    await setTimeout(3_000);
    await giveBackInbound(receiver, to, tries - 1);
  }
};
