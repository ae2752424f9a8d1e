import { describe, expect, it } from 'vitest';
import {
  describeNode,
  formatDuration,
  formatMsat,
  formatSats,
  plainSats,
  satsLabel,
  shortKey,
} from '../../cli/format.js';

describe('formatSats', () => {
  it.each([
    { msat: 0n, text: '0' },
    { msat: 1000n, text: '1' },
    { msat: 1500n, text: '1.5' },
    { msat: 1n, text: '0.001' },
    { msat: '21000000', text: '21,000' },
    { msat: 1_234_567_890n, text: '1,234,567.89' },
    { msat: -2500n, text: '-2.5' },
    { msat: 9_007_199_254_740_993_000n, text: '9,007,199,254,740,993' },
  ])('$msat msat is $text sats, exactly', ({ msat, text }) => {
    expect(formatSats(msat)).toBe(text);
  });

  it('labels one sat in the singular and plain CSV amounts without separators', () => {
    expect(satsLabel(1000n)).toBe('1 sat');
    expect(satsLabel(2000n)).toBe('2 sats');
    expect(plainSats(1_234_500n)).toBe('1234.5');
    expect(formatMsat(5_400_000n)).toBe('5,400,000');
  });
});

describe('formatDuration', () => {
  it.each([
    { ms: 0, text: '0s' },
    { ms: 41_400, text: '41s' },
    { ms: 125_000, text: '2m 05s' },
    { ms: 3_720_000, text: '1h 02m' },
    { ms: Number.NaN, text: '?' },
  ])('$ms ms is $text', ({ ms, text }) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('node names', () => {
  const carol = `03${'c'.repeat(64)}`;
  it('shortens keys and names known nodes', () => {
    expect(shortKey(carol)).toBe('03cccccc…cccc');
    expect(shortKey('short')).toBe('short');
    expect(describeNode(carol, new Map([[carol, 'carol']]))).toBe('carol (03cccccc…cccc)');
    expect(describeNode(carol.toUpperCase(), new Map([[carol, 'carol']]))).toBe(
      `carol (${shortKey(carol.toUpperCase())})`,
    );
    expect(describeNode(undefined, new Map())).toBe('?');
  });
});
