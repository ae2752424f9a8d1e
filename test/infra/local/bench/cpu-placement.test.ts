import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { coreSets, place } from '../../../../infra/local/bench/cpu-placement.js';

const allowedCores = (pid: number) =>
  /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
/** How Linux lists a range of one core: `1-1` is `1`. */
const listed = (cores: string) => cores.replace(/^(\d+)-\1$/, '$1');

describe('bench CPU placement', () => {
  const children: ReturnType<typeof spawn>[] = [];
  const sleeper = () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    return child.pid as number;
  };
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it('splits the cores in two halves, the Lightning side first', () => {
    expect(coreSets(2)).toEqual({ all: '0-1', lightning: '0-0', others: '1-1' });
    expect(coreSets(4)).toEqual({ all: '0-3', lightning: '0-1', others: '2-3' });
    expect(coreSets(3)).toEqual({ all: '0-2', lightning: '0-0', others: '1-2' });
    expect(coreSets(1)).toEqual({ all: '0-0', lightning: '0-0', others: '0-0' });
  });

  it('pins lnd and btcd to one side and the rest to the other, then back to every core', () => {
    const sets = coreSets();
    const lnd = sleeper();
    const btcd = sleeper();
    const dynamodb = sleeper();
    const bench = sleeper();
    const processes = [
      { name: 'lnd-alice', pid: lnd },
      { name: 'btcd-miner', pid: btcd },
      { name: 'dynamodb-local', pid: dynamodb },
      { name: 'gone', pid: 2 ** 22 + 1 },
    ];
    const placed = place('separated', processes, bench);
    expect(placed.map(({ name }) => name)).toEqual(['lnd-alice', 'btcd-miner', 'dynamodb-local']);
    expect([lnd, btcd, dynamodb, bench].map(allowedCores)).toEqual(
      [sets.lightning, sets.lightning, sets.others, sets.others].map(listed),
    );
    place('plain', processes, bench);
    expect(new Set([lnd, btcd, dynamodb, bench].map(allowedCores))).toEqual(
      new Set([listed(sets.all)]),
    );
  });
});
