/** Progress lines for slow steps, so a newcomer sees what happens and for how long. */
export interface Progress {
  info(message: string): void;
  /** Runs `work`, printing its start, a heartbeat every `tickMs` with `detail()`, and its duration. */
  step<T>(label: string, work: () => Promise<T>, options?: StepOptions): Promise<T>;
}

interface StepOptions {
  /** Extra words for the heartbeat line, e.g. "312 packages compiled". */
  detail?: () => string;
  /** Said once at the start, e.g. "first run only, about 5 minutes". */
  hint?: string;
  tickMs?: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export const createProgress = (
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  prefix = '[tipstream]',
): Progress => ({
  info: (message) => write(`${prefix} ${message}`),
  async step(label, work, options = {}) {
    const started = Date.now();
    write(`${prefix} ${label}…${options.hint ? ` (${options.hint})` : ''}`);
    const tick = setInterval(() => {
      const detail = options.detail?.();
      write(
        `${prefix}   … ${label}: ${seconds(Date.now() - started)}${detail ? `, ${detail}` : ''}`,
      );
    }, options.tickMs ?? 10_000);
    tick.unref();
    try {
      const result = await work();
      write(`${prefix} ✓ ${label} (${seconds(Date.now() - started)})`);
      return result;
    } catch (error) {
      write(`${prefix} ✗ ${label} failed after ${seconds(Date.now() - started)}`);
      throw error;
    } finally {
      clearInterval(tick);
    }
  },
});

/** A progress that prints nothing (unit tests, --quiet). */
export const silentProgress: Progress = createProgress(() => {});
