import { Command, CommanderError, Option } from 'commander';
import { ValidationError } from '../shared/domain/errors.js';
import { QueueChoiceError } from '../shared/ports/errors.js';
import type { ActionRunner } from './commands/common.js';
import { registerDlq } from './commands/dlq.js';
import { registerPayout } from './commands/payout.js';
import { registerPlatform } from './commands/platform.js';
import { registerReceipts } from './commands/receipts.js';
import { registerSplit } from './commands/split.js';
import { registerStuck } from './commands/stuck.js';
import { registerStatus, registerTip } from './commands/tip.js';
import { registerVerifyIncoming } from './commands/verify-incoming.js';
import { registerWebhooks } from './commands/webhooks.js';
import { CliContext, type CliIo, type GlobalOptions } from './context.js';
import { ApiProblemError, CliError } from './errors.js';
import { EXIT, EXIT_CODE_HELP, type ExitCode } from './exit-codes.js';

const TARGET_HELP = `Target (where requests go):
  local stack (default)  the API "npm start" runs: .tipstream/service.json (URL, platform) and
                         .tipstream/platform-secret; node names (carol, dave, erin…) from stack.json
  deployed API           --api <url> or TIPSTREAM_API_URL, --platform <id> or TIPSTREAM_PLATFORM_ID,
                         and the secret in TIPSTREAM_PLATFORM_SECRET or --secret-file <path>
                         (never as an argument: it would stay in your shell history)
  platform, dlq          DynamoDB/SQS of the local stack, or TIPSTREAM_PLATFORMS_TABLE /
                         TIPSTREAM_SQS_ENDPOINT, TIPSTREAM_TIPS_QUEUE_URL, TIPSTREAM_TIPS_DLQ_URL

Output: people-friendly text; --json prints one JSON document on stdout (progress and notes
go to stderr). A progress bar is drawn only when stderr is a terminal.`;

/** Builds the `tipstream` program; `run` gives each action its context and records its exit code. */
const buildProgram = (io: CliIo, setExitCode: (code: ExitCode) => void): Command => {
  const program = new Command('tipstream')
    .description(
      'Tipstream operator CLI: Lightning keysend tips, payouts and splits through the Tipstream API',
    )
    .version('0.1.0')
    .option(
      '--api <url>',
      'Tipstream API base URL (default: TIPSTREAM_API_URL, else the local "npm start")',
    )
    .option(
      '--platform <id>',
      'platform id the requests are signed as (default: TIPSTREAM_PLATFORM_ID)',
    )
    .option(
      '--secret-file <path>',
      "file holding the platform's signing secret (default: TIPSTREAM_PLATFORM_SECRET)",
    )
    .option('--json', 'print one JSON document on stdout, for scripts')
    .option('-q, --quiet', 'no progress or notes on stderr')
    // Options are read in order, each command's own after its name: "payout status <id> --out f"
    // then gives --out to "status", not to "payout" (which has an --out of its own).
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n${TARGET_HELP}\n\n${EXIT_CODE_HELP}\n`);

  const run: ActionRunner =
    (action) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = new CliContext(io, command.optsWithGlobals<GlobalOptions>());
      // biome-ignore lint/suspicious/noExplicitAny: positional arguments as commander parsed them
      await action(ctx, ...(args.slice(0, -1) as any));
      setExitCode(ctx.exitCode);
    };

  registerTip(program, run);
  registerWebhooks(program, run);
  registerStatus(program, run);
  registerPayout(program, run);
  registerSplit(program, run);
  registerReceipts(program, run);
  registerPlatform(program, run);
  registerDlq(program, run);
  registerStuck(program, run);
  registerVerifyIncoming(program, run);
  acceptGlobalOptionsAnywhere(program);
  return program;
};

/**
 * Gives every command the global options too (hidden in its help, which lists them as global),
 * so they may follow the command: `tipstream tip carol 21 --json` as well as
 * `tipstream --json tip carol 21`.
 */
const acceptGlobalOptionsAnywhere = (program: Command) => {
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      for (const option of program.options) {
        if (option.long === '--version' || option.long === '--help') continue;
        if (sub.options.some((own) => own.long === option.long)) continue;
        sub.addOption(new Option(option.flags, option.description).hideHelp());
      }
      visit(sub);
    }
  };
  visit(program);
};

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
]);

/** AWS SDK and socket errors that mean "it does not answer". */
const isUnreachable = (error: unknown): boolean => {
  const e = error as { code?: string; name?: string; cause?: unknown; $metadata?: unknown };
  if (e?.code && networkCodes.has(e.code)) return true;
  if (e?.name === 'TimeoutError') return true;
  return e?.cause !== undefined && e.cause !== error ? isUnreachable(e.cause) : false;
};

/** The error itself or the first of its causes that is a `type`. */
const findCause = <T>(
  error: unknown,
  type: abstract new (...args: never[]) => T,
): T | undefined => {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof type) return e;
  }
  return undefined;
};

/** Prints an error (and with --json, an error document on stdout) and returns its exit code. */
const reportError = (io: CliIo, error: unknown, json: boolean): ExitCode => {
  let code: ExitCode;
  let message: string;
  let hint: string | undefined;
  if (error instanceof CliError) {
    code = error.exitCode;
    message = error.message;
    hint = error.hint;
  } else if (error instanceof ValidationError || error instanceof QueueChoiceError) {
    code = EXIT.USAGE;
    message = error.message;
  } else if (isUnreachable(error)) {
    code = EXIT.UNREACHABLE;
    message = `cannot reach a service: ${(error as Error).message || (error as { code?: string }).code}`;
    hint = 'is the local stack running? "npm run stack:status" tells which part does not answer';
  } else {
    code = EXIT.FAILED;
    message = `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  // A refusal wrapped with more context (a payout part) still lists the API's row errors.
  const problem = findCause(error, ApiProblemError)?.problem;
  let text = `tipstream: ${message}\n`;
  for (const item of problem?.errors ?? []) {
    const where = item.line !== undefined ? `line ${item.line}` : item.field;
    text += `  ${where && !item.message.startsWith(where) ? `${where}: ` : ''}${item.message}\n`;
  }
  if (hint) text += `  → ${hint}\n`;
  io.stderr.write(text);
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ok: false, exitCode: code, error: message, ...(hint ? { hint } : {}), ...(problem ? { problem } : {}) }, null, 2)}\n`,
    );
  }
  return code;
};

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  let exitCode: ExitCode = EXIT.OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not errors; every other parse error is a usage error
      // (commander has printed it on stderr; a script reading --json still gets its document).
      if (error.exitCode === 0) return EXIT.OK;
      if (argv.includes('--json')) {
        // No command at all: commander printed the help, its "message" is a placeholder.
        const message =
          error.code === 'commander.help'
            ? 'no command given: see tipstream --help'
            : error.message.replace(/^error: /, '');
        io.stdout.write(
          `${JSON.stringify({ ok: false, exitCode: EXIT.USAGE, error: message }, null, 2)}\n`,
        );
      }
      return EXIT.USAGE;
    }
    return reportError(io, error, argv.includes('--json'));
  }
};
