import { join } from 'node:path';
import {
  type AuthenticatedLnd,
  addPeer,
  createChainAddress,
  getChainBalance,
  getChannels,
  getNetworkGraph,
  getWalletInfo,
  openChannel,
  sendToChainAddresses,
} from 'lightning';
import { type BtcdRpc, startBtcd } from './bitcoin.js';
import { lightningError } from './errors.js';
import type { LightningBinaries } from './install.js';
import { connectLnd, type LndConnection, startLnd } from './lnd.js';
import type { PortAllocator } from './ports.js';
import type { Progress } from './progress.js';
import type { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

type NodeName = 'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank' | 'grace';

export interface NodeSpec {
  name: NodeName;
  role: 'operator' | 'router' | 'creator';
  acceptKeysend: boolean;
  acceptAmp?: boolean;
}

/**
 * The regtest topology: alice pays, bob routes, carol/dave take keysend, erin refuses it, and
 * frank takes keysend over a private channel from alice only, so he is not in the graph (the
 * payer's path for unannounced recipients). grace takes keysend and AMP behind two channels from
 * bob, each too small for a large tip: keysend (one path) cannot carry what AMP (split over both)
 * can.
 */
export const NODES: readonly NodeSpec[] = [
  { name: 'alice', role: 'operator', acceptKeysend: false },
  { name: 'bob', role: 'router', acceptKeysend: false },
  { name: 'carol', role: 'creator', acceptKeysend: true },
  { name: 'dave', role: 'creator', acceptKeysend: true },
  { name: 'erin', role: 'creator', acceptKeysend: false },
  { name: 'frank', role: 'creator', acceptKeysend: true },
  { name: 'grace', role: 'creator', acceptKeysend: true, acceptAmp: true },
];

interface ChannelSpec {
  from: NodeName;
  to: NodeName;
  capacitySats: number;
  /** Unannounced: only its two ends know it, the graph never shows it. */
  private?: boolean;
}

/** Each of grace's two channels: less than the default largest tip (1,000,000 sats), together more. */
export const GRACE_CHANNEL_SATS = 600_000;

/** Below lnd's non-wumbo limit (16,777,215 sats); bob → creators bounds what a tip can carry. */
const CHANNELS: readonly ChannelSpec[] = [
  { from: 'alice', to: 'bob', capacitySats: 16_000_000 },
  { from: 'bob', to: 'carol', capacitySats: 5_000_000 },
  { from: 'bob', to: 'dave', capacitySats: 5_000_000 },
  { from: 'bob', to: 'erin', capacitySats: 2_000_000 },
  { from: 'alice', to: 'frank', capacitySats: 1_000_000, private: true },
  { from: 'bob', to: 'grace', capacitySats: GRACE_CHANNEL_SATS },
  { from: 'bob', to: 'grace', capacitySats: GRACE_CHANNEL_SATS },
];

/**
 * btcd regtest activates segwit after a few hundred blocks, and coinbase outputs mature after 100
 * more: 500 blocks give alice plenty of spendable coins.
 */
const INITIAL_BLOCKS = 500;
/** Channels are announced to the graph at 6 confirmations. */
const ANNOUNCE_CONFIRMATIONS = 6;
const CHAIN_FEE_RATE = 2; // sat/vbyte; regtest has no fee market to estimate from

interface LightningNodeInfo extends LndConnection {
  name: NodeName;
  role: NodeSpec['role'];
  pubkey: string;
  /** p2p host:port, for peering. */
  p2pSocket: string;
  acceptsKeysend: boolean;
  acceptsAmp: boolean;
  dir: string;
}

interface BitcoinInfo {
  rpcHost: string;
  certPath: string;
  p2pSocket: string;
  minerRpcHost: string;
  minerCertPath: string;
}

export interface RegtestNetwork {
  bitcoin: BitcoinInfo;
  nodes: LightningNodeInfo[];
  channels: Array<ChannelSpec & { channelId: string }>;
}

interface StartedNode {
  spec: NodeSpec;
  connection: LndConnection;
  lnd: AuthenticatedLnd;
  p2pSocket: string;
  dir: string;
}

/** Mines and waits until every lnd has seen the new tip. */
const mine = async (
  miner: BtcdRpc,
  chain: BtcdRpc,
  nodes: StartedNode[],
  count: number,
  timeoutMs: number,
) => {
  await miner.generate(count);
  const height = await miner.getBlockCount();
  await waitFor(
    `btcd to reach height ${height}`,
    async () => (await chain.getBlockCount()) >= height,
    {
      timeoutMs,
    },
  );
  await Promise.all(
    nodes.map(({ spec, lnd }) =>
      waitFor(
        `${spec.name} to sync to height ${height}`,
        async () => {
          const info = await getWalletInfo({ lnd });
          return info.is_synced_to_chain && info.current_block_height >= height;
        },
        { timeoutMs },
      ),
    ),
  );
  return height;
};

const waitForMempool = (miner: BtcdRpc, txids: string[], timeoutMs: number) =>
  waitFor(
    `${txids.length} transaction(s) to reach the miner's mempool`,
    async () => {
      const pool = new Set(await miner.getRawMempool());
      return txids.every((txid) => pool.has(txid));
    },
    { timeoutMs },
  );

/**
 * Builds the regtest Lightning network from nothing: btcd (chain backend) plus a mining btcd,
 * five lnd nodes, funding, channels, and waits until every node sees every channel in its graph.
 */
export const startRegtestNetwork = async ({
  supervisor,
  binaries,
  ports,
  dir,
  logDir,
  progress,
  timeoutMs,
}: {
  supervisor: Supervisor;
  binaries: LightningBinaries;
  ports: PortAllocator;
  dir: string;
  logDir: string;
  progress: Progress;
  timeoutMs: number;
}): Promise<RegtestNetwork> => {
  const chainPorts = await ports.many(['rpc', 'p2p'] as const);
  const chain = await progress.step('starting btcd (regtest chain backend)', () =>
    startBtcd(
      supervisor,
      {
        name: 'btcd',
        binary: binaries.btcd,
        dir: join(dir, 'btcd'),
        logFile: join(logDir, 'btcd.log'),
        rpcPort: chainPorts.rpc,
        p2pPort: chainPorts.p2p,
      },
      timeoutMs,
    ),
  );
  const btcdEndpoint = chain.rpc.endpoint;

  const started = await progress.step(`starting ${NODES.length} lnd nodes`, () =>
    Promise.all(
      NODES.map(async (spec): Promise<StartedNode> => {
        const nodePorts = await ports.many(['rpc', 'p2p'] as const);
        const nodeDir = join(dir, spec.name);
        const { connection } = await startLnd(
          supervisor,
          {
            name: `lnd-${spec.name}`,
            binary: binaries.lnd,
            dir: nodeDir,
            logFile: join(logDir, `lnd-${spec.name}.log`),
            rpcPort: nodePorts.rpc,
            p2pPort: nodePorts.p2p,
            btcd: btcdEndpoint,
            acceptKeysend: spec.acceptKeysend,
            acceptAmp: spec.acceptAmp === true,
          },
          timeoutMs,
        );
        return {
          spec,
          connection,
          lnd: await connectLnd(connection),
          p2pSocket: `127.0.0.1:${nodePorts.p2p}`,
          dir: nodeDir,
        };
      }),
    ),
  );
  const byName = (name: NodeName) => {
    const node = started.find((candidate) => candidate.spec.name === name);
    if (!node) throw new Error(`no node named ${name}`);
    return node;
  };
  const alice = byName('alice');
  const bob = byName('bob');

  // The miner's coinbase goes to alice: btcd has no wallet, so alice's lnd holds the coins.
  const { address: aliceAddress } = await createChainAddress({ lnd: alice.lnd, format: 'p2wpkh' });
  const minerRpcPort = await ports.next();
  const miner = await progress.step('starting the mining btcd', () =>
    startBtcd(
      supervisor,
      {
        name: 'btcd-miner',
        binary: binaries.btcd,
        dir: join(dir, 'btcd-miner'),
        logFile: join(logDir, 'btcd-miner.log'),
        rpcPort: minerRpcPort,
        connect: `127.0.0.1:${chainPorts.p2p}`,
        miningAddress: aliceAddress,
      },
      timeoutMs,
    ),
  );

  await progress.step(
    `mining ${INITIAL_BLOCKS} blocks (segwit activation, coinbase maturity) and syncing lnd`,
    async () => {
      for (let mined = 0; mined < INITIAL_BLOCKS; mined += 100) {
        await miner.rpc.generate(Math.min(100, INITIAL_BLOCKS - mined));
      }
      await mine(miner.rpc, chain.rpc, started, 1, timeoutMs);
    },
  );

  await progress.step('funding bob on-chain', async () => {
    // One confirmed output per channel bob opens, all the same size: the opens run at once and
    // each locks whichever coin it selects, so any coin must fund any of bob's channels.
    const bobChannels = CHANNELS.filter((channel) => channel.from === 'bob');
    const outputSats = Math.max(...bobChannels.map((channel) => channel.capacitySats)) + 1_000_000;
    const sendTo = await Promise.all(
      bobChannels.map(async () => ({
        address: (await createChainAddress({ lnd: bob.lnd, format: 'p2wpkh' })).address,
        tokens: outputSats,
      })),
    );
    const { id } = await sendToChainAddresses({
      lnd: alice.lnd,
      send_to: sendTo,
      fee_tokens_per_vbyte: CHAIN_FEE_RATE,
    });
    await waitForMempool(miner.rpc, [id], timeoutMs);
    await mine(miner.rpc, chain.rpc, started, 1, timeoutMs);
    const needed = sendTo.reduce((sum, output) => sum + output.tokens, 0);
    await waitFor(
      'bob to see his confirmed coins',
      async () => (await getChainBalance({ lnd: bob.lnd })).chain_balance >= needed,
      { timeoutMs },
    );
  });

  const openOne = async (channel: ChannelSpec) => {
    const from = byName(channel.from);
    const to = byName(channel.to);
    const { public_key: partnerKey } = await getWalletInfo({ lnd: to.lnd });
    await addPeer({ lnd: from.lnd, public_key: partnerKey, socket: to.p2pSocket });
    const result = await openChannel({
      lnd: from.lnd,
      local_tokens: channel.capacitySats,
      partner_public_key: partnerKey,
      chain_fee_tokens_per_vbyte: CHAIN_FEE_RATE,
      is_private: channel.private === true,
    }).catch((error: unknown) => {
      throw lightningError(`opening ${channel.from} → ${channel.to}`, error);
    });
    return { ...channel, ...result };
  };

  const funding = await progress.step(`opening ${CHANNELS.length} channels`, async () => {
    // Channels between the same two nodes (bob → grace) open one after the other: peering twice at
    // once can leave one open finding the peer "not online".
    const previous = new Map<string, Promise<unknown>>();
    const opened = await Promise.all(
      CHANNELS.map(async (channel) => {
        const pair = `${channel.from}>${channel.to}`;
        const before = previous.get(pair);
        let done = () => {};
        previous.set(
          pair,
          new Promise<void>((resolve) => {
            done = resolve;
          }),
        );
        await before;
        try {
          return await openOne(channel);
        } finally {
          done();
        }
      }),
    );
    await waitForMempool(
      miner.rpc,
      opened.map((channel) => channel.transaction_id),
      timeoutMs,
    );
    await mine(miner.rpc, chain.rpc, started, ANNOUNCE_CONFIRMATIONS, timeoutMs);
    return opened;
  });

  const channels = await progress.step('waiting until every node sees every channel', async () => {
    const active = await Promise.all(
      funding.map(async (channel) => {
        const from = byName(channel.from);
        return waitFor(
          `channel ${channel.from} → ${channel.to} to be active`,
          async () => {
            const { channels: open } = await getChannels({ lnd: from.lnd, is_active: true });
            const match = open.find(
              (candidate) =>
                candidate.transaction_id === channel.transaction_id &&
                candidate.transaction_vout === channel.transaction_vout,
            );
            return match ? { ...channel, channelId: match.id } : undefined;
          },
          { timeoutMs },
        );
      }),
    );
    // Routing needs both directions' policies of every public edge in the payer's graph.
    const announced = active.filter((channel) => !channel.private);
    await Promise.all(
      started.map(({ spec, lnd }) =>
        waitFor(
          `${spec.name} to see all ${announced.length} public channels with both policies`,
          async () => {
            const graph = await getNetworkGraph({ lnd });
            return announced.every((channel) => {
              const edge = graph.channels.find((candidate) => candidate.id === channel.channelId);
              return (
                edge !== undefined &&
                edge.policies.length === 2 &&
                edge.policies.every((policy) => policy.cltv_delta !== undefined)
              );
            });
          },
          { timeoutMs, intervalMs: 500 },
        ),
      ),
    );
    return active.map(({ from, to, capacitySats, channelId, private: isPrivate }) => ({
      from,
      to,
      capacitySats,
      channelId,
      ...(isPrivate ? { private: true } : {}),
    }));
  });

  const nodes = await Promise.all(
    started.map(async ({ spec, connection, lnd, p2pSocket, dir: nodeDir }) => ({
      name: spec.name,
      role: spec.role,
      acceptsKeysend: spec.acceptKeysend,
      acceptsAmp: spec.acceptAmp === true,
      pubkey: (await getWalletInfo({ lnd })).public_key,
      ...connection,
      p2pSocket,
      dir: nodeDir,
    })),
  );
  return {
    bitcoin: {
      rpcHost: btcdEndpoint.rpcHost,
      certPath: btcdEndpoint.certPath,
      p2pSocket: `127.0.0.1:${chainPorts.p2p}`,
      minerRpcHost: miner.rpc.endpoint.rpcHost,
      minerCertPath: miner.rpc.endpoint.certPath,
    },
    nodes,
    channels,
  };
};
