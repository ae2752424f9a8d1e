import { afterEach, describe, expect, it, vi } from 'vitest';
import { onCtrlC } from '../../cli/ctrl-c.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('onCtrlC', () => {
  it('stops gently on the first Ctrl-C, counts a second within a second as the same one, and leaves on a later one', () => {
    vi.useFakeTimers();
    const before = new Set(process.listeners('SIGINT'));
    const calls: string[] = [];
    const stop = onCtrlC(
      () => calls.push('first'),
      () => calls.push('again'),
    );
    const listener = process.listeners('SIGINT').find((candidate) => !before.has(candidate));
    listener?.('SIGINT');
    vi.advanceTimersByTime(50);
    // The launcher passed on the terminal's SIGINT that this process got too.
    listener?.('SIGINT');
    expect(calls).toEqual(['first']);
    vi.advanceTimersByTime(1500);
    listener?.('SIGINT');
    expect(calls).toEqual(['first', 'again']);
    stop();
    expect(process.listeners('SIGINT')).toHaveLength(before.size);
  });
});
