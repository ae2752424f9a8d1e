import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { IncomingCheck } from '../../shared/app/verify-incoming.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { parseGracePeriod } from '../../shared/domain/platform-secrets.js';
import { parseNodePubkey } from '../../shared/domain/pubkey.js';
import type { CliContext } from '../context.js';
import { UnreachableError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { satsLabel } from '../format.js';
import type { ActionRunner } from './common.js';

interface VerifyIncomingOptions {
  node?: string;
  socket?: string;
  cert?: string;
  macaroon?: string;
  since: string;
  from?: string;
  to?: string;
  operator?: string[];
  all?: boolean;
}

/** The creator's node: a local stack node by name, or socket/cert/macaroon (flags or env). */
const creatorCredentials = async (ctx: CliContext, options: VerifyIncomingOptions) => {
  if (options.node) {
    const stack = await ctx.stack();
    const node = stack?.lightning.nodes.find((candidate) => candidate.name === options.node);
    if (!node) {
      throw new UsageError(
        `no node "${options.node}" on the local stack${stack ? ` (nodes: ${stack.lightning.nodes.map((n) => n.name).join(', ')})` : ': start it with npm run stack:up'}`,
      );
    }
    return { socket: node.socket, certPath: node.certPath, macaroonPath: node.macaroonPath };
  }
  const socket = options.socket ?? ctx.env.TIPSTREAM_CREATOR_LND_SOCKET;
  const certPath = options.cert ?? ctx.env.TIPSTREAM_CREATOR_LND_CERT_PATH;
  const macaroonPath = options.macaroon ?? ctx.env.TIPSTREAM_CREATOR_LND_MACAROON_PATH;
  const missing = [
    socket ? '' : '--socket (TIPSTREAM_CREATOR_LND_SOCKET)',
    certPath ? '' : '--cert (TIPSTREAM_CREATOR_LND_CERT_PATH)',
    macaroonPath ? '' : '--macaroon (TIPSTREAM_CREATOR_LND_MACAROON_PATH)',
  ].filter(Boolean);
  if (!socket || !certPath || !macaroonPath) {
    throw new UsageError(`your node's connection is incomplete: give ${missing.join(', ')}`, {
      hint: 'or --node <name> for a node of the local stack',
    });
  }
  return { socket, certPath, macaroonPath };
};

const parseRange = (options: VerifyIncomingOptions, now: Date) => {
  const time = (raw: string, what: string) => {
    const at = new Date(raw);
    if (Number.isNaN(at.getTime()))
      throw new UsageError(`${what} must be an ISO 8601 time, got ${JSON.stringify(raw)}`);
    return at;
  };
  const to = options.to ? time(options.to, '--to') : now;
  if (options.from) return { from: time(options.from, '--from'), to };
  try {
    return { from: new Date(to.getTime() - parseGracePeriod(options.since, '--since') * 1000), to };
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
};

const short = (key: string) => `${key.slice(0, 12)}…`;

/** One payment, as a creator reads it. */
const describeCheck = (check: IncomingCheck): string => {
  const { verdict } = check;
  const head = `${check.settledAt}  ${satsLabel(check.amountMsat).padStart(14)}  `;
  const lines: string[] = [];
  if (verdict.kind === 'verified') {
    lines.push(
      `${head}verified: sent by operator ${verdict.operator} (platform ${verdict.platformId}, tip ${verdict.tipId})`,
    );
    if (verdict.nostr?.valid)
      lines.push(`    sender: Nostr ${verdict.nostr.senderId} (signature valid)`);
    if (verdict.nostr && !verdict.nostr.valid) {
      lines.push(`    sender: Nostr signature INVALID: ${verdict.nostr.reason}`);
    }
  } else if (verdict.kind === 'not-authentic') {
    const claim = verdict.claimed
      ? `claims operator ${verdict.claimed.operator}, platform ${verdict.claimed.platformId}, tip ${verdict.claimed.tipId}`
      : 'carries a malformed Tipstream record';
    lines.push(`${head}NOT AUTHENTIC: ${claim}`);
    lines.push(`    ${verdict.reason}`);
  } else {
    lines.push(`${head}not a Tipstream tip (no record ${'1414090835'}): nothing to verify`);
  }
  if (check.message !== undefined) lines.push(`    message: ${JSON.stringify(check.message)}`);
  if (check.boostagram) {
    const { action, app_name, sender_name, message, podcast, episode, value_msat_total } =
      check.boostagram as Record<string, unknown>;
    const fields = Object.entries({
      action,
      app_name,
      sender_name,
      message,
      podcast,
      episode,
      value_msat_total,
    })
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    lines.push(`    boostagram: ${fields.join(' ')}`);
  }
  lines.push(`    payment hash ${check.paymentHash}`);
  return lines.join('\n');
};

const verifyIncomingCommand = async (ctx: CliContext, options: VerifyIncomingOptions) => {
  const range = parseRange(options, new Date());
  const trustedOperators = options.operator?.map((key) => {
    try {
      return parseNodePubkey(key, '--operator');
    } catch (error) {
      if (error instanceof ValidationError) throw new UsageError(error.message);
      throw error;
    }
  });
  const credentials = await creatorCredentials(ctx, options);
  const read = async (path: string, what: string) =>
    (
      await readFile(path).catch((error: Error) => {
        throw new UsageError(`cannot read your node's ${what} ${path}: ${error.message}`);
      })
    ).toString('base64');
  const { connectCreatorNode } = await import('../../shared/adapters/lnd/creator-node.js');
  const { verifyIncoming } = await import('../../shared/app/verify-incoming.js');
  const node = connectCreatorNode(
    {
      socket: credentials.socket,
      cert: await read(credentials.certPath, 'TLS certificate'),
      macaroon: await read(credentials.macaroonPath, 'macaroon'),
    },
    { rpcTimeoutMs: 15_000 },
  );
  let pubkey: string;
  let checks: IncomingCheck[];
  try {
    pubkey = await node.getPubkey();
    checks = await verifyIncoming(range, { node }, { trustedOperators });
  } catch (error) {
    throw new UnreachableError(`your node did not answer: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const shown = options.all
    ? checks
    : checks.filter((check) => check.verdict.kind !== 'not-tipstream');
  const count = (kind: string) => checks.filter((check) => check.verdict.kind === kind).length;
  const summary = {
    verified: count('verified'),
    notAuthentic: count('not-authentic'),
    notTipstream: count('not-tipstream'),
  };
  if (summary.notAuthentic > 0) ctx.fail(EXIT.FAILED);
  ctx.printJson({
    node: pubkey,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    summary,
    payments: shown,
  });
  if (ctx.json) return;
  ctx.print(
    `node ${short(pubkey)}: ${checks.length} keysend payment(s) received ${range.from.toISOString()} … ${range.to.toISOString()}`,
  );
  for (const check of shown) ctx.print(`\n${describeCheck(check)}`);
  ctx.print(
    `\n${summary.verified} verified, ${summary.notAuthentic} not authentic, ${summary.notTipstream} not Tipstream tips${options.all ? '' : ' (--all lists them)'}`,
  );
};

export const registerVerifyIncoming = (program: Command, run: ActionRunner) => {
  program
    .command('verify-incoming')
    .description(
      "for creators: check the keysend tips your own node received: each Tipstream tip's preimage is recomputed with your node's key (ECDH) and said to be verified (sent by operator <pubkey>) or not authentic; exit 1 if any is not",
    )
    .option('--node <name>', 'a node of the local stack (carol, dave…)')
    .option('--socket <host:port>', "your LND's gRPC address (or TIPSTREAM_CREATOR_LND_SOCKET)")
    .option('--cert <path>', "your LND's tls.cert (or TIPSTREAM_CREATOR_LND_CERT_PATH)")
    .option(
      '--macaroon <path>',
      'a macaroon with invoices:read, info:read and uri:/signrpc.Signer/DeriveSharedKey (or TIPSTREAM_CREATOR_LND_MACAROON_PATH)',
    )
    .option(
      '--since <duration>',
      'payments received within this long before --to (90s, 30m, 24h, 7d)',
      '24h',
    )
    .option('--from <time>', 'ISO 8601 start of the range (instead of --since)')
    .option('--to <time>', 'ISO 8601 end of the range (default: now)')
    .option('--operator <pubkey...>', 'only these operator nodes count as authentic')
    .option('--all', 'also list keysends that are not Tipstream tips')
    .action(run(verifyIncomingCommand));
};
