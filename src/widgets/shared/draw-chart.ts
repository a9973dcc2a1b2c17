/**
 * Draws a {@link ChartSpec} with uPlot (≈ 21 kB gzip, no dependencies) on a canvas. This module
 * is the chart code a page loads only when its first chart is drawn: ./TimeChart.tsx imports it
 * dynamically, so uPlot never sits in a page's first load (bench/page-weight.ts).
 *
 * A canvas knows nothing of CSS: the colours are read from the theme's variables when the chart
 * is drawn, and TimeChart draws it again when the theme changes.
 */
import uPlot from 'uplot';
import type { ChartSeries, ChartSpec } from './chart-series.ts';

export interface DrawnChart {
  /** Redraws with the spec's current data. */
  update(): void;
  /** Follows the container's width. */
  resize(width: number): void;
  destroy(): void;
}

const DEFAULT_HEIGHT = 220;
/** Narrower than this, the axes' labels would not fit. */
const MIN_WIDTH = 200;

/** Draws the chart `get()` describes into `element`; `get` is read again at each redraw, so it sees the latest props. */
export function drawChart(element: HTMLElement, get: () => ChartSpec): DrawnChart {
  const chart = new uPlot(options(element, get), aligned(get()), element);
  return {
    update: () => chart.setData(aligned(get())),
    resize: (width) => {
      const target = Math.max(MIN_WIDTH, width);
      if (Math.abs(chart.width - target) > 1) chart.setSize({ width: target, height: get().height ?? DEFAULT_HEIGHT });
    },
    destroy: () => chart.destroy(),
  };
}

/** uPlot's data: x first, then one array per series; a log scale cannot show 0, so small values sit on the floor. */
function aligned(spec: ChartSpec): uPlot.AlignedData {
  const floor = spec.scale === 'log' ? (spec.floor ?? 1) : null;
  const columns = spec.series.map(({ values }) =>
    floor === null ? values : values.map((value) => (value === null ? null : Math.max(floor, value))),
  );
  return [spec.xs, ...columns] as uPlot.AlignedData;
}

function options(element: HTMLElement, get: () => ChartSpec): uPlot.Options {
  const spec = get();
  const style = getComputedStyle(element);
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const text = color('--muted', '#5c6370');
  const grid = color('--border', '#dfe1e5');
  const font = `12px ${color('--sans', 'system-ui, sans-serif')}`;
  // Read at draw time: a widget may pass a new formatter with each render.
  const formatY = (value: number) => (get().formatY ?? String)(value);
  const log = spec.scale === 'log';
  const axis = (label: string | undefined, values: uPlot.Axis['values']): uPlot.Axis => ({
    stroke: text,
    font,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    values,
    ...(label ? { label, labelFont: font, labelSize: 18 } : {}),
  });
  return {
    width: Math.max(MIN_WIDTH, element.clientWidth),
    height: spec.height ?? DEFAULT_HEIGHT,
    legend: spec.legend ? { live: true } : { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false },
      y: log
        ? { distr: 3, log: 10 }
        : {
            range: (_self, _min, max) => {
              const { minYMax = 0, limit } = get();
              // Headroom above the highest point, so a peak never touches the frame.
              return [0, Math.max(max * 1.1, minYMax, limit ? limit.y * 1.15 : 0, 1)];
            },
          },
    },
    axes: [
      axis(spec.xLabel, (_self, ticks) => ticks.map((tick) => `${tick} s`)),
      {
        ...axis(spec.yLabel, (_self, ticks) => ticks.map((tick) => (tick === null || tick === undefined ? '' : formatY(tick)))),
        size: 64,
        // A log axis would label 2, 3, … 9 of every decade, on top of each other: keep the powers of ten.
        ...(log ? { filter: (_self: uPlot, splits: number[]) => splits.map((split) => (isPowerOfTen(split) ? split : null)) } : {}),
      },
    ],
    series: [
      // Away from the cursor (idx null), the legend shows each line's latest value, not a dash.
      spec.legend
        ? { label: 'time', value: (_self, value, _sidx, idx) => (idx == null ? 'latest' : value === null ? '–' : `${value.toFixed(1)} s`) }
        : {},
      ...spec.series.map((series) => drawnSeries(series, color(series.colorVar, text), spec.legend ? formatY : null)),
    ],
    hooks: {
      drawAxes: [(self) => drawBand(self, get().band, color('--surface-2', '#f2f3f5'), text, font)],
      draw: [(self) => drawLimit(self, get().limit, color('--err', '#cf222e'), font)],
    },
  };
}

/** A series as uPlot draws it: a line, steps or dots, and its legend value when there is a legend. */
function drawnSeries(series: ChartSeries, stroke: string, legendValue: ((value: number) => string) | null): uPlot.Series {
  const look: uPlot.Series = series.points
    ? { width: 0, paths: () => null, points: { show: true, size: 5, stroke, fill: stroke, width: 1 } }
    : { width: 2, points: { show: false }, ...(series.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}) };
  return {
    label: series.label,
    stroke,
    spanGaps: series.spanGaps ?? false,
    ...(series.dash ? { dash: series.dash } : {}),
    ...look,
    ...(legendValue
      ? {
          value: (self: uPlot, value: number | null, sidx: number, idx: number | null) => {
            const shown = idx == null ? latestValue(self.data[sidx]) : value;
            return shown === null ? '–' : legendValue(shown);
          },
        }
      : {}),
  };
}

/** The last value a series drew, or null when it has none yet. */
function latestValue(column: uPlot.AlignedData[number] | undefined): number | null {
  if (!column) return null;
  for (let index = column.length - 1; index >= 0; index--) {
    const value = column[index];
    if (typeof value === 'number') return value;
  }
  return null;
}

function isPowerOfTen(value: number): boolean {
  const exponent = Math.log10(value);
  return Math.abs(exponent - Math.round(exponent)) < 1e-9;
}

/** Shades the band behind the series, with its label at the top. */
function drawBand(self: uPlot, band: ChartSpec['band'], fill: string, text: string, font: string): void {
  if (!band) return;
  const { ctx, bbox } = self;
  const from = Math.max(bbox.left, self.valToPos(band.from, 'x', true));
  const to = Math.min(bbox.left + bbox.width, self.valToPos(band.to, 'x', true));
  if (!(to > from)) return;
  ctx.save();
  ctx.fillStyle = fill;
  ctx.fillRect(from, bbox.top, to - from, bbox.height);
  ctx.fillStyle = text;
  ctx.font = font.replace('12px', `${Math.round(11 * devicePixelRatio)}px`);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(band.label, from + 4 * devicePixelRatio, bbox.top + 4 * devicePixelRatio);
  ctx.restore();
}

/** A dashed horizontal line at the limit, labelled. */
function drawLimit(self: uPlot, limit: ChartSpec['limit'], stroke: string, font: string): void {
  if (!limit) return;
  const { ctx, bbox } = self;
  const y = self.valToPos(limit.y, 'y', true);
  ctx.save();
  ctx.strokeStyle = stroke;
  ctx.fillStyle = stroke;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.lineWidth = devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(bbox.left, y);
  ctx.lineTo(bbox.left + bbox.width, y);
  ctx.stroke();
  ctx.font = font.replace('12px', `${Math.round(11 * devicePixelRatio)}px`);
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'right';
  ctx.fillText(limit.label, bbox.left + bbox.width - 4 * devicePixelRatio, y - 2 * devicePixelRatio);
  ctx.restore();
}
