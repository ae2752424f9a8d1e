import { describe, expect, it } from 'vitest';
import { describeError, lightningError } from '../../../../infra/local/stack/errors.js';
import { createProgress } from '../../../../infra/local/stack/progress.js';

describe('progress', () => {
  it('prints the start, heartbeats with detail, and the duration of a step', async () => {
    const lines: string[] = [];
    const progress = createProgress((line) => lines.push(line), '[t]');
    let compiled = 0;
    const result = await progress.step(
      'building lnd',
      async () => {
        for (compiled = 0; compiled < 3; compiled += 1) await new Promise((r) => setTimeout(r, 40));
        return 'done';
      },
      { hint: 'first run only', detail: () => `${compiled} packages`, tickMs: 30 },
    );
    expect(result).toBe('done');
    expect(lines[0]).toBe('[t] building lnd… (first run only)');
    expect(
      lines.some((line) => /^\[t\] {3}… building lnd: \d+\.\ds, \d packages$/.test(line)),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^\[t\] ✓ building lnd \(0\.\ds\)$/);
  });

  it('says when a step failed and rethrows its error', async () => {
    const lines: string[] = [];
    const progress = createProgress((line) => lines.push(line), '[t]');
    await expect(
      progress.step('mining', async () => {
        throw new Error('btcd went away');
      }),
    ).rejects.toThrow('btcd went away');
    expect(lines.at(-1)).toMatch(/^\[t\] ✗ mining failed after 0\.\ds$/);
  });
});

describe('describeError', () => {
  it.each([
    { error: new Error('plain'), text: 'plain' },
    { error: [503, 'PaymentRejectedByDestination'], text: 'PaymentRejectedByDestination (503)' },
    {
      error: [503, 'UnexpectedPaymentError', { err: { details: 'invoice is already paid' } }],
      text: 'UnexpectedPaymentError (503): invoice is already paid',
    },
    {
      error: [400, 'ExpectedTokens', { got: 0 }],
      text: 'ExpectedTokens (400): {"got":0}',
    },
    { error: 'a string', text: 'a string' },
  ])('renders $text', ({ error, text }) => {
    expect(describeError(error)).toBe(text);
  });

  it('lightningError keeps the original as cause and says what we were doing', () => {
    const original = [400, 'InsufficientFundsToCreateChannel'];
    const wrapped = lightningError('opening bob → carol', original);
    expect(wrapped.message).toBe('opening bob → carol: InsufficientFundsToCreateChannel (400)');
    expect(wrapped.cause).toBe(original);
  });
});
