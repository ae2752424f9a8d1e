import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackFile } from '../../../shared/config/stack-file.js';
import type { LightningAddressServerConfig } from './lightning-address-server.js';
import type { Supervisor } from './supervisor.js';

/** The sub-wallet id dave's hub routes by (podcast:value customKey 696969). */
export const DAVE_SUB_WALLET = 'dave-sub-wallet-1';

/**
 * Starts the Lightning Address server (`lightning-address-server.ts`) on `port` in front of the
 * regtest creators: keysend details for carol and dave (a custodial hub: a 696969 sub-wallet
 * record), LNURL-pay for erin (invoices from erin's lnd). Resolves once it answers.
 */
export const startLightningAddressServer = async (options: {
  supervisor: Supervisor;
  nodes: StackFile['lightning']['nodes'];
  port: number;
  dir: string;
  logDir: string;
  timeoutMs: number;
}): Promise<NonNullable<StackFile['lightningAddress']>> => {
  const node = (name: string) => {
    const found = options.nodes.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`the regtest network has no ${name}`);
    return found;
  };
  const erin = node('erin');
  const config: LightningAddressServerConfig = {
    port: options.port,
    keysend: {
      carol: { pubkey: node('carol').pubkey, customData: [] },
      dave: {
        pubkey: node('dave').pubkey,
        customData: [{ customKey: '696969', customValue: DAVE_SUB_WALLET }],
      },
    },
    lnurlp: {
      erin: { socket: erin.socket, certPath: erin.certPath, macaroonPath: erin.macaroonPath },
    },
    invoiceExpirySeconds: 3_600,
  };
  const configPath = join(options.dir, 'lightning-address.json');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const running = options.supervisor.start({
    name: 'lightning-address',
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, 'lightning-address-server.ts'), configPath],
    logFile: join(options.logDir, 'lightning-address.log'),
  });
  const host = `127.0.0.1:${options.port}`;
  await running.waitUntil(
    'it answers',
    async () => {
      const answer = await fetch(`http://${host}/.well-known/keysend/carol`).catch(() => undefined);
      return answer?.ok ? true : undefined;
    },
    { timeoutMs: options.timeoutMs },
  );
  return {
    host,
    addresses: Object.fromEntries(
      ['carol', 'dave', 'erin'].map((name) => [name, `${name}@${host}`]),
    ),
  };
};
