// A bar chart as inline SVG, without a chart library: pure geometry (unit-tested) and markup.
import { escapeHtml } from './format.js';

/** An axis step of 1, 2 or 5 × 10^k, so that `max` spans about `ticks` steps. */
export const niceStep = (max, ticks = 4) => {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  // Sats are whole: never a step below 1.
  return Math.max(1, nice * power);
};

const round = (n) => Math.round(n * 100) / 100;

/**
 * Where every bar and axis tick goes in a `width` × `height` box. Bars share the plot's width
 * equally (each 80% of its slot, centred); the y axis runs from 0 to the first tick at or above
 * the largest value, so the tallest bar never leaves the plot.
 *
 * @param {number[]} values
 * @param {{ width: number, height: number, ticks?: number,
 *   margin?: { top: number, right: number, bottom: number, left: number } }} box
 * @returns {{ plot: { x: number, y: number, width: number, height: number },
 *   bars: Array<{ x: number, y: number, width: number, height: number, value: number }>,
 *   yTicks: Array<{ value: number, y: number }>, top: number, slot: number }}
 */
export const barChartGeometry = (
  values,
  { width, height, margin = { top: 12, right: 12, bottom: 28, left: 64 }, ticks = 4 },
) => {
  const plot = {
    x: margin.left,
    y: margin.top,
    width: Math.max(1, width - margin.left - margin.right),
    height: Math.max(1, height - margin.top - margin.bottom),
  };
  const max = Math.max(0, ...values);
  const step = niceStep(max, ticks);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const slot = values.length > 0 ? plot.width / values.length : plot.width;
  const barWidth = Math.max(1, slot * 0.8);
  const bars = values.map((value, index) => {
    const barHeight = (Math.max(0, value) / top) * plot.height;
    return {
      x: round(plot.x + index * slot + (slot - barWidth) / 2),
      y: round(plot.y + plot.height - barHeight),
      width: round(barWidth),
      height: round(barHeight),
      value,
    };
  });
  const yTicks = [];
  for (let value = 0; value <= top; value += step) {
    yTicks.push({ value, y: round(plot.y + plot.height - (value / top) * plot.height) });
  }
  return { plot, bars, yTicks, top, slot: round(slot) };
};

const compact = (n) =>
  n >= 1_000_000
    ? `${round(n / 1_000_000)}M`
    : n >= 10_000
      ? `${round(n / 1_000)}k`
      : n.toLocaleString('en-US');

/**
 * The chart's SVG markup. `points` are `{ label, value, title }`: value in sats, label under the
 * bar (every `labelEvery`-th shown), title the bar's tooltip and accessible text.
 */
export const barChartSvg = (
  points,
  { width = 720, height = 220, title, description, labelEvery = 1, unit = 'sats' },
) => {
  const geometry = barChartGeometry(
    points.map((point) => point.value),
    { width, height },
  );
  const { plot } = geometry;
  const grid = geometry.yTicks
    .map(
      (tick) =>
        `<g class="tick"><line x1="${plot.x}" x2="${plot.x + plot.width}" y1="${tick.y}" y2="${tick.y}"/>` +
        `<text x="${plot.x - 6}" y="${tick.y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(compact(tick.value))}</text></g>`,
    )
    .join('');
  const bars = geometry.bars
    .map((bar, index) => {
      const point = points[index];
      const label =
        index % labelEvery === 0
          ? `<text class="label" x="${round(bar.x + bar.width / 2)}" y="${plot.y + plot.height + 16}" text-anchor="middle">${escapeHtml(point.label)}</text>`
          : '';
      return `<g class="bar"><rect x="${bar.x}" y="${bar.y}" width="${bar.width}" height="${bar.height}"><title>${escapeHtml(point.title)}</title></rect>${label}</g>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" class="chart" data-top="${geometry.top}" data-unit="${escapeHtml(unit)}">` +
    `<title id="chart-title">${escapeHtml(title)}</title><desc id="chart-desc">${escapeHtml(description)}</desc>` +
    `${grid}<line class="axis" x1="${plot.x}" x2="${plot.x + plot.width}" y1="${plot.y + plot.height}" y2="${plot.y + plot.height}"/>${bars}</svg>`
  );
};
