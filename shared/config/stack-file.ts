import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod';

/** One lnd node of the local stack (or the operator's hosted node). */
const LightningNodeSchema = z.object({
  name: z.string(),
  role: z.enum(['operator', 'router', 'creator']),
  pubkey: z.string().regex(/^0[23][0-9a-f]{64}$/),
  socket: z.string(),
  certPath: z.string(),
  macaroonPath: z.string(),
  p2pSocket: z.string().optional(),
  acceptsKeysend: z.boolean().optional(),
  /** Takes spontaneous AMP payments (lnd --accept-amp). */
  acceptsAmp: z.boolean().optional(),
  dir: z.string().optional(),
});
export type LightningNode = z.infer<typeof LightningNodeSchema>;

const ProcessRecordSchema = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  command: z.string(),
  /** Arguments it was started with, so a part can be restarted as it was (tests, recovery). */
  args: z.array(z.string()).default([]),
  logFile: z.string(),
  /** Its working directory, when not the starter's (DynamoDB Local writes a file there). */
  cwd: z.string().optional(),
});

/**
 * `.tipstream/stack.json`: where every part of the running stack is. Written by `npm run
 * stack:up`, read by `npm start`, the tests and the local service.
 */
const StackFileSchema = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  runDir: z.string(),
  region: z.string(),
  dynamodb: z.object({ endpoint: z.string(), local: z.boolean() }),
  sqs: z.object({
    endpoint: z.string(),
    tipsQueueUrl: z.string(),
    tipsDlqUrl: z.string(),
    maxReceiveCount: z.number().int().positive(),
    visibilityTimeoutSeconds: z.number().int().positive(),
    local: z.boolean(),
  }),
  lightning: z.object({
    network: z.enum(['regtest', 'external']),
    /** Name of the node Tipstream pays from. */
    operator: z.string(),
    nodes: z.array(LightningNodeSchema),
    channels: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        capacitySats: z.number().int(),
        channelId: z.string(),
        /** Unannounced (alice → frank): not in the graph. */
        private: z.boolean().optional(),
      }),
    ),
    /** lnd/lncli/btcd/btcctl used by the regtest network, for a person at a shell. */
    binaries: z
      .object({ lnd: z.string(), lncli: z.string(), btcd: z.string(), btcctl: z.string() })
      .nullable(),
    bitcoin: z
      .object({
        rpcHost: z.string(),
        certPath: z.string(),
        p2pSocket: z.string(),
        minerRpcHost: z.string(),
        minerCertPath: z.string(),
      })
      .nullable(),
  }),
  /**
   * The Lightning Address server in front of the regtest creators (`name@127.0.0.1:port`): its
   * host, which the local payer allows over http, and the address of each creator it serves.
   */
  lightningAddress: z
    .object({ host: z.string(), addresses: z.record(z.string(), z.string()) })
    .optional(),
  processes: z.array(ProcessRecordSchema),
});
export type StackFile = z.infer<typeof StackFileSchema>;

class StackFileError extends Error {
  override name = 'StackFileError';
}

/** Reads and validates stack.json; undefined when there is none. */
export const readStackFile = async (path: string): Promise<StackFile | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = StackFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new StackFileError(
      `${path} is not a stack file this version understands (${parsed.error.issues[0]?.message}); run "npm run stack:down" then "npm run stack:up"`,
    );
  }
  return parsed.data;
};

type Env = Record<string, string | undefined>;

/** The run folder: `TIPSTREAM_RUN_DIR` (default `.tipstream`), relative to the project folder. */
export const resolveRunDir = (env: Env = process.env, projectDir = process.cwd()): string =>
  resolve(projectDir, env.TIPSTREAM_RUN_DIR || '.tipstream');

/** Where a running stack records itself in its run folder. */
export const stackFilePath = (runDir: string): string => join(runDir, 'stack.json');

/** The stack.json of the local stack started in `projectDir`, if one was. */
export const readLocalStack = (
  env: Env = process.env,
  projectDir = process.cwd(),
): Promise<StackFile | undefined> => readStackFile(stackFilePath(resolveRunDir(env, projectDir)));

/** Finds a node by name, with an error that lists the names there are. */
export const stackNode = (stack: StackFile, name: string): LightningNode => {
  const node = stack.lightning.nodes.find((candidate) => candidate.name === name);
  if (!node) {
    throw new StackFileError(
      `no lightning node "${name}" in the stack (nodes: ${stack.lightning.nodes.map((n) => n.name).join(', ')})`,
    );
  }
  return node;
};
