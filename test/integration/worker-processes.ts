import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Service workers in their own processes, for crash tests: `start(script, env, readyLine)` runs
 * the script in node (tsx as a loader, so a SIGKILL reaches the worker itself, not a wrapper)
 * with the test's environment plus `env`, and resolves once it printed `readyLine`. Every worker
 * a test started is stopped after it (SIGTERM, then SIGKILL).
 */
export const workerProcesses = () => {
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 5_000))]);
        worker.child.kill('SIGKILL');
      }
    }
  });
  return async (
    script: string,
    env: Record<string, string>,
    readyLine: string,
  ): Promise<WorkerProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const worker: WorkerProcess = {
      child,
      output: () => output,
      exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
    };
    workers.push(worker);
    await waitFor(`the worker to be ready`, async () => output.includes(readyLine), {
      timeoutMs: 60_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    return worker;
  };
};
