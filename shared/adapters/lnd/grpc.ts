import type { AuthenticatedLnd } from 'lightning';
import { bundledProtosPath } from './bundled-protos.js';
import { authenticatedLndGrpc } from './lightning-methods.js';

/** Clients by credentials: one per node for the whole container. */
const clients = new Map<string, AuthenticatedLnd>();

/**
 * `lightning`'s gRPC client for a node, built once per credentials and shared (the payer's node
 * and its stuck-payment inspector talk to the same LND): building one parses every `.proto` of
 * LND's services (about a second of CPU on a cold Lambda, see `npm run bench:bundles`), and gRPC
 * multiplexes the calls of both on one channel. A rotated macaroon is other credentials, so a
 * new client.
 */
export const lndGrpc = (credentials: {
  socket: string;
  cert: string;
  macaroon: string;
}): AuthenticatedLnd => {
  const key = `${credentials.socket}\n${credentials.cert}\n${credentials.macaroon}`;
  let lnd = clients.get(key);
  if (!lnd) {
    const path = bundledProtosPath();
    lnd = authenticatedLndGrpc({ ...credentials, ...(path ? { path } : {}) }).lnd;
    clients.set(key, lnd);
  }
  return lnd;
};
