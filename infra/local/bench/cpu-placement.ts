import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Where the bench's processes may run. `plain`: every process on every core, as the stack
 * starts them. `separated`: what production's separation looks like on one machine: the
 * Lightning side (every lnd node, btcd) on the first half of the cores; everything AWS runs
 * elsewhere in production (the payer or the raw `lightning` client, i.e. the bench process, DynamoDB
 * Local, ElasticMQ) on the other half. Both sides of the comparison run under the same placement.
 */
export type Placement = 'plain' | 'separated';

export interface PlacedProcess {
  name: string;
  pid: number;
}

const lightningSide = (name: string) => name.startsWith('lnd-') || name.startsWith('btcd');

/** The cores of each side: `0-0` and `1-1` on 2 cores, `0-1` and `2-3` on 4. */
export const coreSets = (cores = cpus().length) => {
  const half = Math.max(1, Math.floor(cores / 2));
  return {
    all: `0-${cores - 1}`,
    lightning: `0-${half - 1}`,
    others: `${Math.min(half, cores - 1)}-${cores - 1}`,
  };
};

/** Pins every thread of `pid` (`taskset -a`) to `cores`; false when the process is gone. */
const pin = (pid: number, cores: string): boolean => {
  try {
    // `taskset -a` succeeds on a pid that is gone (no threads to place): ask first.
    process.kill(pid, 0);
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Puts the stack's Lightning processes and the rest (and this process) where `placement` says.
 * Returns the processes placed. Needs Linux's `taskset` and at least 2 cores for `separated`.
 */
export const place = (
  placement: Placement,
  processes: readonly PlacedProcess[],
  self = process.pid,
): PlacedProcess[] => {
  const sets = coreSets();
  const coresOf = (name: string) =>
    placement === 'plain' ? sets.all : lightningSide(name) ? sets.lightning : sets.others;
  const placed = processes.filter(({ name, pid }) => pin(pid, coresOf(name)));
  if (!pin(self, placement === 'plain' ? sets.all : sets.others)) {
    throw new Error('taskset could not place this process: separated rounds need Linux taskset');
  }
  return placed;
};
