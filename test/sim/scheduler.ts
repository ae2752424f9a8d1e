/**
 * The simulator's scheduler: a virtual clock, a seeded PRNG and the set of steps that may run
 * next. Every await of the code under test that reaches the outside (a DynamoDB request, an LND
 * call and its answer, an SQS delete, a timer) is one pending step; the world runs one step at a
 * time, chosen by the PRNG, and lets every task run to its next await before choosing again. So a
 * seed is one interleaving, and the same seed is the same run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
const prng = (seed: number) => {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  chance(p: number) {
    return this.next() < p;
  }
  int(below: number) {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** An invocation (payer, reconciler, API request): killed at its deadline or at any await. */
export interface Actor {
  name: string;
  deadline: number;
  dead: boolean;
}

export interface Step {
  label: string;
  /** Steps of a dead actor never run: its awaits never return. */
  actor?: Actor;
  /** Not before this virtual time (a timer, a wait running out). */
  notBefore?: number;
  run: () => void;
  /** Instead of nothing, when the actor dies with this step pending (a request already sent). */
  orphan?: () => void;
}

const START_MS = Date.parse('2026-01-02T03:00:00.000Z');

export class Scheduler {
  now = START_MS;
  readonly steps = new Set<Step>();
  /** The clock may not pass these (a send on the wire reaches LND within the lease grace). */
  readonly ceilings = new Set<{ until: number }>();
  readonly trace: string[] = [];
  readonly als = new AsyncLocalStorage<Actor>();

  constructor(readonly rng: Rng) {}

  log(line: string) {
    const t = ((this.now - START_MS) / 1000).toFixed(3).padStart(9);
    this.trace.push(`${t}s ${line}`);
  }

  actor(): Actor | undefined {
    return this.als.getStore();
  }

  add(step: Step): Step {
    if (step.actor?.dead) step.orphan?.();
    else this.steps.add(step);
    return step;
  }

  /** A promise the world settles when it runs the step (never, if the actor dies first). */
  await<T>(label: string, body: () => T, extra: Partial<Step> = {}): Promise<T> {
    const actor = this.actor();
    return new Promise<T>((resolve, reject) => {
      this.add({
        label,
        actor,
        ...extra,
        run: () => {
          try {
            resolve(body());
          } catch (error) {
            reject(error);
          }
        },
      });
    });
  }

  ceiling(until: number) {
    const bound = { until };
    this.ceilings.add(bound);
    return () => this.ceilings.delete(bound);
  }

  /** How far the clock may move now. */
  room(): number {
    let room = Number.POSITIVE_INFINITY;
    for (const bound of this.ceilings) room = Math.min(room, bound.until - this.now);
    return room;
  }

  ready(): Step[] {
    return [...this.steps].filter((step) => (step.notBefore ?? 0) <= this.now);
  }

  nextTimed(): number | undefined {
    let next: number | undefined;
    for (const step of this.steps) {
      if (step.notBefore !== undefined && step.notBefore > this.now) {
        next = next === undefined ? step.notBefore : Math.min(next, step.notBefore);
      }
    }
    return next;
  }

  kill(actor: Actor, why: string) {
    if (actor.dead) return;
    actor.dead = true;
    this.log(`✝ ${actor.name} killed ${why}`);
    for (const step of this.steps) {
      if (step.actor !== actor) continue;
      this.steps.delete(step);
      if (step.orphan)
        this.add({ label: `${step.label} (sent by dead ${actor.name})`, run: step.orphan });
    }
  }

  /** Runs one step: a step of an actor past its deadline kills the actor instead. */
  run(step: Step) {
    this.steps.delete(step);
    if (step.actor && this.now >= step.actor.deadline) {
      this.kill(step.actor, 'at its deadline');
      if (step.orphan) step.orphan();
      return;
    }
    step.run();
  }
}

/** Lets every task run until it waits on a step again (microtasks drain before a macrotask). */
const realSetImmediate = setImmediate;
export const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve));
