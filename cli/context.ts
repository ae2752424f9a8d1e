import type { StackFile } from '../shared/config/stack-file.js';
import { parseNodePubkey } from '../shared/domain/pubkey.js';
import { type ApiClient, createApiClient } from './api-client.js';
import { UsageError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { type ApiTarget, loadStack, loadTarget, type TargetFlags } from './target.js';

/** Global options of every command. */
export interface GlobalOptions extends TargetFlags {
  json?: boolean;
  quiet?: boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/**
 * What a command needs: where output goes (human text, or one JSON document with --json), the
 * API target (resolved on first use, so offline commands never need one) and the local stack.
 */
export class CliContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  exitCode: ExitCode = EXIT.OK;
  private target?: ApiTarget;
  private client?: ApiClient;
  private stackFile?: Promise<StackFile | undefined>;

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  get env() {
    return this.io.env;
  }

  /** Human output on stdout (nothing with --json). */
  print(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** Progress and notes on stderr (nothing with --quiet). */
  note(text: string): void {
    if (!this.options.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** The one JSON document of a --json run. */
  printJson(document: unknown): void {
    if (this.json) {
      this.io.stdout.write(
        `${JSON.stringify(document, (_, value) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`,
      );
    }
  }

  /** Sets the exit code unless a worse one is already set. */
  fail(code: ExitCode): void {
    if (this.exitCode === EXIT.OK) this.exitCode = code;
  }

  async apiTarget(): Promise<ApiTarget> {
    this.target ??= await loadTarget(this.options, this.env, (text) =>
      this.io.stderr.write(`${text}\n`),
    );
    return this.target;
  }

  async api(): Promise<ApiClient> {
    this.client ??= createApiClient(await this.apiTarget());
    return this.client;
  }

  stack(): Promise<StackFile | undefined> {
    this.stackFile ??= loadStack(this.env).catch(() => undefined);
    return this.stackFile;
  }

  /** pubkey → node name, for the local stack only (a remote API's pubkeys are not ours). */
  async nodeNames(): Promise<Map<string, string>> {
    const target = await this.apiTarget().catch(() => undefined);
    const stack = target?.local ? await this.stack() : undefined;
    return new Map(stack?.lightning.nodes.map((node) => [node.pubkey, node.name]) ?? []);
  }

  /**
   * A recipient given as a pubkey, or as a node name of the local stack (carol, dave, erin…)
   * when talking to the local API.
   */
  async resolveNode(input: string, what = 'recipient'): Promise<string> {
    if (/^[0-9a-fA-F]{66}$/.test(input)) return parseNodePubkey(input, what);
    if (/^[0-9a-fA-F]{60,}$/.test(input)) return parseNodePubkey(input, what); // say what is wrong
    const target = await this.apiTarget();
    const stack = target.local ? await this.stack() : undefined;
    if (!stack) {
      throw new UsageError(
        `${what} "${input}" is not a node public key (66 hex chars); node names such as carol work only against the local stack (npm start)`,
      );
    }
    const node = stack.lightning.nodes.find((candidate) => candidate.name === input);
    if (!node) {
      throw new UsageError(
        `${what} "${input}" is neither a node public key (66 hex chars) nor a node of the local stack (${stack.lightning.nodes.map((n) => n.name).join(', ')})`,
      );
    }
    return node.pubkey;
  }
}
