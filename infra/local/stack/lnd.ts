import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AuthenticatedLnd,
  authenticatedLndGrpc,
  getWalletStatus,
  unauthenticatedLndGrpc,
} from 'lightning';
import { BTCD_RPC_PASS, BTCD_RPC_USER, type BtcdEndpoint } from './bitcoin.js';
import type { RunningProcess, Supervisor } from './supervisor.js';

/** Where to reach one lnd node: what stack.json records and every client needs. */
export interface LndConnection {
  /** gRPC host:port. */
  socket: string;
  certPath: string;
  macaroonPath: string;
}

/** Opens an authenticated `lightning` client for a node from its files on disk. */
export const connectLnd = async (connection: LndConnection): Promise<AuthenticatedLnd> => {
  const [cert, macaroon] = await Promise.all([
    readFile(connection.certPath),
    readFile(connection.macaroonPath),
  ]);
  return authenticatedLndGrpc({
    cert: cert.toString('base64'),
    macaroon: macaroon.toString('base64'),
    socket: connection.socket,
  }).lnd;
};

export interface LndStartOptions {
  name: string;
  binary: string;
  dir: string;
  logFile: string;
  rpcPort: number;
  p2pPort: number;
  btcd: BtcdEndpoint;
  acceptKeysend: boolean;
  /** Spontaneous AMP payments (LND #5108): received only with --accept-amp. */
  acceptAmp?: boolean;
}

/** Data paths lnd uses under --lnddir on regtest. */
const lndPaths = (dir: string) => ({
  certPath: join(dir, 'tls.cert'),
  macaroonPath: join(dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon'),
});

/**
 * Starts a regtest lnd against btcd with a fresh wallet (--noseedbackup) and waits until its RPC
 * is active. The node may still be waiting for the chain to sync: its server comes up after that.
 */
export const startLnd = async (
  supervisor: Supervisor,
  options: LndStartOptions,
  timeoutMs: number,
): Promise<{ process: RunningProcess; connection: LndConnection }> => {
  const { certPath, macaroonPath } = lndPaths(options.dir);
  const args = [
    `--lnddir=${options.dir}`,
    `--alias=${options.name}`,
    '--bitcoin.regtest',
    '--bitcoin.node=btcd',
    `--btcd.rpchost=${options.btcd.rpcHost}`,
    `--btcd.rpcuser=${BTCD_RPC_USER}`,
    `--btcd.rpcpass=${BTCD_RPC_PASS}`,
    `--btcd.rpccert=${options.btcd.certPath}`,
    `--rpclisten=127.0.0.1:${options.rpcPort}`,
    `--listen=127.0.0.1:${options.p2pPort}`,
    `--externalip=127.0.0.1:${options.p2pPort}`,
    '--norest',
    '--tlsextraip=127.0.0.1',
    '--tlsextradomain=localhost',
    // From lnd's own integration harness (lntest/node/config.go): quick gossip and confirmations.
    '--noseedbackup',
    '--nobootstrap',
    '--trickledelay=50',
    '--gossip.sub-batch-delay=5ms',
    '--caches.rpc-graph-cache-duration=100ms',
    '--bitcoin.defaultchanconfs=1',
    '--bitcoin.defaultremotedelay=4',
    '--db.batch-commit-interval=10ms',
    '--keep-failed-payment-attempts',
    '--maxpendingchannels=10',
    '--debuglevel=info',
  ];
  if (options.acceptKeysend) args.push('--accept-keysend');
  if (options.acceptAmp) args.push('--accept-amp');
  const running = supervisor.start({
    name: options.name,
    command: options.binary,
    args,
    logFile: options.logFile,
  });
  const connection = { socket: `127.0.0.1:${options.rpcPort}`, certPath, macaroonPath };
  await running.waitUntil(
    'its wallet and RPC to be ready',
    async () => {
      if (!existsSync(certPath) || !existsSync(macaroonPath)) return undefined;
      const cert = (await readFile(certPath)).toString('base64');
      const { lnd } = unauthenticatedLndGrpc({ cert, socket: connection.socket });
      const status = await getWalletStatus({ lnd });
      return status.is_active || status.is_ready ? true : undefined;
    },
    { timeoutMs, intervalMs: 300 },
  );
  return { process: running, connection };
};
