import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What stack.json keeps of a started process, enough to find and stop it from another command. */
export interface ProcessRecord {
  name: string;
  pid: number;
  /** The executable, checked against /proc so a recycled pid is never killed by mistake. */
  command: string;
  args: string[];
  logFile: string;
  /** Its working directory, when given (a restart runs it there again). */
  cwd?: string;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ProcessStartError extends Error {
  override name = 'ProcessStartError';
}

/** Last lines of a log file, for error messages that show why a part did not start. */
const tailFile = (path: string, lines = 25): string => {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
};

const procState = (pid: number): string | undefined => {
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
};

/** True while `pid` is a live (not zombie) process. */
export const isProcessAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return true;
    return false;
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
};

/** True when `record` still names the process we started (alive, same executable). */
export const isSameProcess = (record: ProcessRecord): boolean => {
  if (!isProcessAlive(record.pid)) return false;
  try {
    const argv0 = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 === record.command || argv0.endsWith(`/${record.command}`);
  } catch {
    return true; // no /proc (not Linux): trust the pid
  }
};

/** The command line of a live process, split at NULs; undefined if it is gone (or no /proc). */
const commandLine = (pid: number): string[] | undefined => {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.length === 0 ? undefined : raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
};

/**
 * The pid that runs `record`'s part now: the recorded pid while it is still that process, or
 * else the live process with exactly its command line (executable and every argument: the run
 * folder's paths and ports make it unique). A part restarted by another command (a test
 * restarting lnd, DynamoDB Local) is found by what it is, not by the pid recorded at start.
 */
export const locateProcess = (record: ProcessRecord): number | undefined => {
  if (isSameProcess(record)) return record.pid;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const argv = commandLine(pid);
    if (
      argv &&
      argv.length === record.args.length + 1 &&
      (argv[0] === record.command || argv[0]?.endsWith(`/${record.command}`)) &&
      record.args.every((arg, index) => argv[index + 1] === arg) &&
      isProcessAlive(pid)
    ) {
      return pid;
    }
  }
  return undefined;
};

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal); // the whole process group: a JVM's or go's children too
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
};

/**
 * Stops a process group: SIGTERM (lnd and btcd shut down cleanly on it), then SIGKILL after
 * `graceMs`. Resolves once the leader is gone.
 */
export const stopProcessGroup = async (pid: number, graceMs = 10_000): Promise<void> => {
  if (!isProcessAlive(pid)) return;
  // No grace: killed outright, without a chance to shut down (a crash).
  if (graceMs > 0) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return;
    await sleep(100);
  }
  signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
};

/** A child we started, in its own process group, with stdout and stderr in its log file. */
export class RunningProcess {
  readonly record: ProcessRecord;
  exitCode: number | null | undefined = undefined;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    options: StartOptions,
  ) {
    if (child.pid === undefined) {
      throw new ProcessStartError(`${options.name}: could not start ${options.command}`);
    }
    this.record = {
      name: options.name,
      pid: child.pid,
      command: options.command,
      args: [...options.args],
      logFile: options.logFile,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    };
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        done();
      });
    });
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Lets this CLI exit while the child keeps running (`stack:up` returns, the stack stays). */
  detach(): void {
    this.child.unref();
  }

  describeExit(): string {
    return this.exitSignal ? `killed by ${this.exitSignal}` : `exited with code ${this.exitCode}`;
  }

  /**
   * Polls `check` until it returns a value other than undefined. Fails fast, with the log tail,
   * if the process exits or `timeoutMs` passes.
   */
  async waitUntil<T>(
    what: string,
    check: () => Promise<T | undefined>,
    { timeoutMs, intervalMs = 250 }: { timeoutMs: number; intervalMs?: number },
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (true) {
      if (this.hasExited) {
        throw new ProcessStartError(
          `${this.record.name} ${this.describeExit()} before ${what}. Last lines of ${this.record.logFile}:\n${tailFile(this.record.logFile)}`,
        );
      }
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new ProcessStartError(
          `${this.record.name}: timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${reason}. Last lines of ${this.record.logFile}:\n${tailFile(this.record.logFile)}`,
        );
      }
      await sleep(intervalMs);
    }
  }

  async stop(graceMs?: number): Promise<void> {
    if (this.hasExited) return;
    await stopProcessGroup(this.record.pid, graceMs);
    await Promise.race([this.exited, sleep(2_000)]);
  }
}

/** Starts and stops the stack's children; remembers them so a failure stops all it started. */
export class Supervisor {
  readonly processes: RunningProcess[] = [];
  #closed = false;

  start(options: StartOptions): RunningProcess {
    if (this.#closed) {
      // A sibling part failed and the start is being undone: starting more would leave orphans.
      throw new ProcessStartError(`${options.name}: not started, the stack start was cancelled`);
    }
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = openSync(options.logFile, 'a');
    try {
      const child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        // Own process group: Ctrl-C in the terminal does not hit it half-way, and stopping the
        // group takes any grandchildren with it.
        detached: true,
        stdio: ['ignore', log, log],
      });
      child.once('error', () => {}); // ENOENT etc. surface as an exit with the log tail
      const running = new RunningProcess(child, options);
      this.processes.push(running);
      return running;
    } catch (error) {
      throw new ProcessStartError(`${options.name}: could not start ${options.command}`, {
        cause: error,
      });
    } finally {
      closeSync(log);
    }
  }

  detachAll(): void {
    for (const running of this.processes) running.detach();
  }

  /** Stops everything started and refuses to start anything more. */
  async stopAll(graceMs?: number): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.processes].reverse().map((running) => running.stop(graceMs)));
  }
}
