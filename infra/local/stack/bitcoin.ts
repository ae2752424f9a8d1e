import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { RunningProcess, Supervisor } from './supervisor.js';

export const BTCD_RPC_USER = 'tipstream';
export const BTCD_RPC_PASS = 'tipstream-regtest';

class BitcoinRpcError extends Error {
  override name = 'BitcoinRpcError';
}

/** A btcd JSON-RPC endpoint (TLS with btcd's self-signed cert). */
export interface BtcdEndpoint {
  rpcHost: string;
  certPath: string;
}

/** Minimal btcd JSON-RPC client: btcd is driven over its RPC, btcctl stays a tool for humans. */
export class BtcdRpc {
  #ca: Buffer | undefined;
  #id = 0;

  constructor(readonly endpoint: BtcdEndpoint) {}

  async call<T>(method: string, params: unknown[] = [], timeoutMs = 30_000): Promise<T> {
    this.#ca ??= await readFile(this.endpoint.certPath);
    const [host, port] = this.endpoint.rpcHost.split(':');
    const body = JSON.stringify({ jsonrpc: '1.0', id: ++this.#id, method, params });
    const text = await new Promise<string>((done, reject) => {
      const req = request(
        {
          host,
          port: Number(port),
          method: 'POST',
          path: '/',
          ca: this.#ca,
          // btcd's cert names "localhost" and the machine's addresses; we always dial loopback.
          checkServerIdentity: () => undefined,
          auth: `${BTCD_RPC_USER}:${BTCD_RPC_PASS}`,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          timeout: timeoutMs,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            data += chunk;
          });
          res.on('end', () => done(data));
        },
      );
      req.on('timeout', () => req.destroy(new BitcoinRpcError(`btcd ${method} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
    let parsed: { result: T; error: { code: number; message: string } | null };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BitcoinRpcError(`btcd ${method}: unexpected answer: ${text.slice(0, 200)}`);
    }
    if (parsed.error) {
      throw new BitcoinRpcError(
        `btcd ${method}: ${parsed.error.message} (code ${parsed.error.code})`,
      );
    }
    return parsed.result;
  }

  getBlockCount = () => this.call<number>('getblockcount');
  getRawMempool = () => this.call<string[]>('getrawmempool');
  /** Mines `count` blocks to the miner's --miningaddr; returns their hashes. */
  generate = (count: number) => this.call<string[]>('generate', [count], 600_000);
}

export interface BtcdOptions {
  name: string;
  binary: string;
  dir: string;
  logFile: string;
  rpcPort: number;
  /** p2p listen port; omit for a miner that only dials out. */
  p2pPort?: number;
  /** p2p address to connect to (the miner connects to the chain backend). */
  connect?: string;
  miningAddress?: string;
}

/** Starts a regtest btcd and waits until its RPC answers. */
export const startBtcd = async (
  supervisor: Supervisor,
  options: BtcdOptions,
  timeoutMs: number,
): Promise<{ process: RunningProcess; rpc: BtcdRpc }> => {
  const certPath = join(options.dir, 'rpc.cert');
  const args = [
    '--regtest',
    `--datadir=${join(options.dir, 'data')}`,
    `--logdir=${join(options.dir, 'logs')}`,
    `--rpccert=${certPath}`,
    `--rpckey=${join(options.dir, 'rpc.key')}`,
    `--rpcuser=${BTCD_RPC_USER}`,
    `--rpcpass=${BTCD_RPC_PASS}`,
    `--rpclisten=127.0.0.1:${options.rpcPort}`,
    // Flags from lnd's own test harness (lntest/btcd.go): relay fast, never ban the miner.
    '--txindex',
    '--rejectnonstd',
    '--trickleinterval=100ms',
    '--nobanning',
    '--nostalldetect',
    '--rpcmaxwebsockets=50',
    '--debuglevel=info',
  ];
  if (options.p2pPort) args.push(`--listen=127.0.0.1:${options.p2pPort}`);
  if (options.connect) args.push(`--connect=${options.connect}`);
  if (options.miningAddress) args.push(`--miningaddr=${options.miningAddress}`);
  const running = supervisor.start({
    name: options.name,
    command: options.binary,
    args,
    logFile: options.logFile,
  });
  const rpc = new BtcdRpc({ rpcHost: `127.0.0.1:${options.rpcPort}`, certPath });
  await running.waitUntil('its RPC to answer', () => rpc.getBlockCount(), { timeoutMs });
  return { process: running, rpc };
};
