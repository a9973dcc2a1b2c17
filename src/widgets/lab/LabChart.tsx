import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { LAB_TECHNIQUE_LABELS, LAB_TECHNIQUES } from '../../protocol/lab.ts';
import type { ChartSeries } from './model.ts';

export interface LabChartProps {
  /** Accessible name of the chart (the canvas itself says nothing to a screen reader). */
  label: string;
  /** Rebuilt data; called when `version` changes. */
  data: () => ChartSeries;
  version: number;
  /** `log`: a base-10 scale, so 1 ms and 10 s fit on one chart. */
  scale: 'log' | 'linear';
  /** Formats a y value for the axis and the legend. */
  formatY: (value: number) => string;
  /** Points only (one per event) or lines. */
  style: 'points' | 'lines';
  /** Smallest y shown on a log scale (values below are drawn there). */
  floor?: number;
  height?: number;
}

/** Dash pattern per technique, so the lines differ by more than their colour. */
const DASHES: Record<string, number[] | undefined> = {
  'short-polling': [6, 4],
  'short-polling-etag': [2, 3],
  'long-polling': [10, 3, 2, 3],
  sse: undefined,
  websocket: undefined,
};

/**
 * One uPlot chart of the five techniques. uPlot (≈ 50 kB, no dependencies)
 * draws on a canvas, which knows nothing of CSS: the colours are read from
 * the widget's CSS variables when the chart is built, and the chart is built
 * again when the theme changes. It is loaded on demand, after hydration.
 */
export function LabChart({ label, data, version, scale, formatY, style, floor = 1, height = 220 }: LabChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    let cancelled = false;
    let UPlot: typeof uPlot | null = null;

    const build = () => {
      if (!UPlot || cancelled) return;
      chart.current?.destroy();
      const css = getComputedStyle(element);
      const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
      const text = color('--muted', '#5c6370');
      const grid = color('--border', '#dfe1e5');
      const font = `12px ${color('--sans', 'system-ui, sans-serif')}`;
      const axis: uPlot.Axis = {
        stroke: text,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        font,
      };
      const options: uPlot.Options = {
        width: Math.max(240, element.clientWidth),
        height,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: {
          x: { time: false },
          y: scale === 'log' ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, Math.max(max, 1_000) * 1.05] },
        },
        axes: [
          { ...axis, label: 'seconds since start', labelFont: font, values: (_u, ticks) => ticks.map((tick) => `${tick} s`) },
          {
            ...axis,
            size: 64,
            // A log axis would label 2, 3, … 9 of every decade, on top of each other: keep the powers of ten.
            filter: scale === 'log' ? (_u, splits) => splits.map((split) => (isPowerOfTen(split) ? split : null)) : undefined,
            values: (_u, ticks) => ticks.map((tick) => (tick === null || tick === undefined ? '' : formatY(tick))),
          },
        ],
        series: [
          // Away from the cursor (idx null), the legend shows each line's latest value, not a dash.
          { label: 'time', value: (_u, value, _sidx, idx) => (idx == null ? 'latest' : value === null ? '–' : `${value.toFixed(1)} s`) },
          ...LAB_TECHNIQUES.map((technique): uPlot.Series => {
            const stroke = color(`--lab-${technique}`, text);
            return {
              label: LAB_TECHNIQUE_LABELS[technique],
              stroke,
              width: style === 'lines' ? 2 : 0,
              dash: style === 'lines' ? DASHES[technique] : undefined,
              spanGaps: style === 'lines',
              paths: style === 'points' ? () => null : undefined,
              points: style === 'points' ? { show: true, size: 5, stroke, fill: stroke, width: 1 } : { show: false },
              value: (u, value, sidx, idx) => {
                const shown = idx == null ? latestValue(u.data[sidx]) : value;
                return shown === null ? '–' : formatY(shown);
              },
            };
          }),
        ],
      };
      chart.current = new UPlot(options, toAligned(latest.current(), scale === 'log' ? floor : null), element);
    };

    import('uplot').then(
      (module) => {
        UPlot = module.default;
        build();
      },
      () => setFailed(true),
    );

    // The canvas cannot follow CSS variables by itself: rebuild when the theme flips.
    const themeWatch = new MutationObserver(build);
    themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const sizeWatch = new ResizeObserver(() => {
      const width = Math.max(240, element.clientWidth);
      if (chart.current && Math.abs(chart.current.width - width) > 1) chart.current.setSize({ width, height });
    });
    sizeWatch.observe(element);
    return () => {
      cancelled = true;
      themeWatch.disconnect();
      sizeWatch.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [scale, style, height, floor, formatY]);

  useEffect(() => {
    chart.current?.setData(toAligned(latest.current(), scale === 'log' ? floor : null));
  }, [version, scale, floor]);

  return (
    <div class="lab-chart" role="img" aria-label={label}>
      <div ref={container} class="lab-chart-canvas" />
      {failed && <p class="widget-hint">The chart could not load; the table below has the same numbers.</p>}
    </div>
  );
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

/** uPlot's data: x first, then one array per series; a log scale cannot show 0, so small values sit on the floor. */
function toAligned(series: ChartSeries, floor: number | null): uPlot.AlignedData {
  const y = floor === null ? series.y : series.y.map((column) => column.map((value) => (value === null ? null : Math.max(floor, value))));
  return [series.x, ...y] as uPlot.AlignedData;
}
