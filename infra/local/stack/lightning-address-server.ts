/**
 * The local stack's Lightning Address server (a part of the stack, its own process): keysend
 * details for carol and for dave acting as a custodial hub (a 696969 sub-wallet record), and a
 * real LNURL-pay server (LUD-06/16) in front of erin's lnd, whose node takes invoices but not
 * keysend: each callback creates a real invoice on erin for the amount asked, committing to the
 * metadata by its description hash. Served on loopback over http, which the payer accepts only
 * because the stack puts this host on its allowlist (TIPSTREAM_LNADDR_ALLOW_HOSTS).
 *
 * Usage: tsx infra/local/stack/lightning-address-server.ts <config.json>
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { authenticatedLndGrpc, createInvoice } from 'lightning';

/** What the stack writes for this server before starting it. */
export interface LightningAddressServerConfig {
  port: number;
  /** Keysend details per name: the node and its customData (a hub's sub-wallet records). */
  keysend: Record<
    string,
    { pubkey: string; customData: Array<{ customKey: string; customValue: string }> }
  >;
  /** LNURL-pay per name: the lnd that issues its invoices. */
  lnurlp: Record<string, { socket: string; certPath: string; macaroonPath: string }>;
  /** Seconds each invoice stays payable. */
  invoiceExpirySeconds: number;
}

/** The LNURL-pay range the local server advertises: 1 sat to 1,000,000 sats. */
const MIN_SENDABLE_MSAT = 1_000;
const MAX_SENDABLE_MSAT = 1_000_000_000;

const config = JSON.parse(
  await readFile(process.argv[2] ?? '', 'utf8'),
) as LightningAddressServerConfig;
const host = `127.0.0.1:${config.port}`;
const lnds = Object.fromEntries(
  await Promise.all(
    Object.entries(config.lnurlp).map(async ([name, node]) => {
      const [cert, macaroon] = await Promise.all([
        readFile(node.certPath),
        readFile(node.macaroonPath),
      ]);
      const { lnd } = authenticatedLndGrpc({
        socket: node.socket,
        cert: cert.toString('base64'),
        macaroon: macaroon.toString('base64'),
      });
      return [name, lnd] as const;
    }),
  ),
);
const metadataOf = (name: string) =>
  JSON.stringify([
    ['text/plain', `Tip ${name} on the Tipstream local stack`],
    ['text/identifier', `${name}@${host}`],
  ]);
const notFound = { status: 'ERROR', reason: 'no such user' };

const app = new Hono();
app.get('/.well-known/keysend/:name', (c) => {
  const details = config.keysend[c.req.param('name')];
  if (!details) return c.json(notFound, 404);
  return c.json({ status: 'OK', tag: 'keysend', ...details });
});
app.get('/.well-known/lnurlp/:name', (c) => {
  const name = c.req.param('name');
  if (!lnds[name]) return c.json(notFound, 404);
  return c.json({
    tag: 'payRequest',
    callback: `http://${host}/lnurlp/${name}/callback`,
    minSendable: MIN_SENDABLE_MSAT,
    maxSendable: MAX_SENDABLE_MSAT,
    metadata: metadataOf(name),
  });
});
app.get('/lnurlp/:name/callback', async (c) => {
  const name = c.req.param('name');
  const lnd = lnds[name];
  if (!lnd) return c.json(notFound, 404);
  const amount = c.req.query('amount') ?? '';
  if (
    !/^[1-9][0-9]{0,15}$/.test(amount) ||
    Number(amount) < MIN_SENDABLE_MSAT ||
    Number(amount) > MAX_SENDABLE_MSAT
  ) {
    return c.json(
      { status: 'ERROR', reason: `amount must be ${MIN_SENDABLE_MSAT}-${MAX_SENDABLE_MSAT} msat` },
      400,
    );
  }
  const invoice = await createInvoice({
    lnd,
    mtokens: amount,
    description_hash: createHash('sha256').update(metadataOf(name)).digest('hex'),
    expires_at: new Date(Date.now() + config.invoiceExpirySeconds * 1000).toISOString(),
  });
  return c.json({ pr: invoice.request, routes: [] });
});

serve({ fetch: app.fetch, port: config.port, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`lightning address server listening on ${host}\n`);
});
