import { describe, expect, it } from 'vitest';
import { barChartGeometry, barChartSvg, niceStep } from '../../web/public/chart.js';
import {
  bucketLabel,
  escapeHtml,
  formatMsat,
  formatTime,
  shortPubkey,
} from '../../web/public/format.js';

describe('niceStep', () => {
  it.each([
    { max: 0, step: 1, description: 'nothing paid' },
    { max: 3, step: 1, description: 'below one sat per tick (sats are whole)' },
    { max: 4, step: 1, description: 'exactly one per tick' },
    { max: 7, step: 2, description: 'rounds up to 2' },
    { max: 17, step: 5, description: 'rounds up to 5' },
    { max: 25, step: 10, description: 'rounds up to 10' },
    { max: 40, step: 10, description: 'exactly 10 per tick' },
    { max: 1_000, step: 500, description: 'thousands' },
    { max: 5_000_001, step: 2_000_000, description: 'millions' },
  ])('$description: max $max → step $step', ({ max, step }) => {
    expect(niceStep(max, 4)).toBe(step);
  });
});

describe('barChartGeometry', () => {
  const box = { width: 200, height: 140, margin: { top: 10, right: 10, bottom: 30, left: 40 } };

  it('shares the plot width equally, bars 80% of their slot, centred', () => {
    const { plot, bars, slot } = barChartGeometry([1, 2, 3, 4], box);
    expect(plot).toEqual({ x: 40, y: 10, width: 150, height: 100 });
    expect(slot).toBe(37.5);
    expect(bars.map((bar) => bar.width)).toEqual([30, 30, 30, 30]);
    expect(bars.map((bar) => bar.x)).toEqual([43.75, 81.25, 118.75, 156.25]);
    // The last bar ends inside the plot, as far from its edge as the first is from the start.
    const last = bars.at(-1);
    expect((last?.x ?? 0) + (last?.width ?? 0)).toBe(186.25);
  });

  it('scales heights to the first tick at or above the largest value; bars stand on the axis', () => {
    const { bars, top, yTicks } = barChartGeometry([0, 5, 17, 20], box);
    expect(top).toBe(20);
    expect(bars.map((bar) => bar.height)).toEqual([0, 25, 85, 100]);
    for (const bar of bars) expect(bar.y + bar.height).toBe(110);
    expect(yTicks).toEqual([
      { value: 0, y: 110 },
      { value: 5, y: 85 },
      { value: 10, y: 60 },
      { value: 15, y: 35 },
      { value: 20, y: 10 },
    ]);
  });

  it('keeps the tallest bar inside the plot when the maximum is not a tick', () => {
    const { bars, top, plot } = barChartGeometry([3, 1_234], box);
    expect(top).toBe(1_500);
    expect(Math.min(...bars.map((bar) => bar.y))).toBeGreaterThanOrEqual(plot.y);
  });

  it('draws an empty window as flat bars on a 0-1 axis (no division by zero)', () => {
    const { bars, top, yTicks } = barChartGeometry(new Array(24).fill(0), box);
    expect(top).toBe(1);
    expect(bars.every((bar) => bar.height === 0 && Number.isFinite(bar.y))).toBe(true);
    expect(yTicks.map((tick) => tick.value)).toEqual([0, 1]);
  });
});

describe('barChartSvg', () => {
  it('is an accessible image: title, description, one bar with a tooltip per point', () => {
    const svg = barChartSvg(
      [
        { label: '13:00', value: 1_000, title: '13:00: 1,000 sats in 1 tip' },
        { label: '14:00', value: 0, title: '14:00: 0 sats in 0 tips' },
        { label: '15:00', value: 2_500, title: '15:00: 2,500 sats in 2 tips' },
      ],
      { title: 'Sats paid per hour', description: '3,500 sats <paid>', labelEvery: 2 },
    );
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"/);
    expect(svg).toContain('<title id="chart-title">Sats paid per hour</title>');
    expect(svg).toContain('<desc id="chart-desc">3,500 sats &lt;paid&gt;</desc>');
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('<title>15:00: 2,500 sats in 2 tips</title>');
    // Every second label: the first and the third.
    expect(svg.match(/class="label"/g)).toHaveLength(2);
    expect(svg).toContain('data-top="3000"');
  });
});

describe('format', () => {
  it.each([
    { msat: '0', text: '0 sats' },
    { msat: '1000', text: '1 sat' },
    { msat: '21000', text: '21 sats' },
    { msat: '1234567000', text: '1,234,567 sats' },
    { msat: '1500', text: '1.5 sats' },
    { msat: '1', text: '0.001 sats' },
    { msat: 12_000n, text: '12 sats' },
    { msat: '99999999999999999000', text: '99,999,999,999,999,999 sats' },
  ])('formatMsat($msat) is "$text", exact', ({ msat, text }) => {
    expect(formatMsat(msat)).toBe(text);
  });

  it('labels buckets and times in UTC, shortens keys, escapes markup', () => {
    expect(bucketLabel('2026-11-24T07:00:00.000Z', 'hour')).toBe('07:00');
    expect(bucketLabel('2026-11-24T00:00:00.000Z', 'day')).toBe('Nov 24');
    expect(formatTime('2026-11-24T07:05:09.123Z')).toBe('2026-11-24 07:05:09 UTC');
    expect(formatTime(undefined)).toBe('');
    expect(shortPubkey(`03${'ab'.repeat(32)}`)).toBe('03ababab…abababab');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});
