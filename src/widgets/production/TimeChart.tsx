import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a {@link TimeChart}. */
export interface ChartSeries {
  label: string;
  /** A CSS custom property of the site's theme, e.g. `--err`: the chart follows light and dark. */
  colorVar: string;
  /** One value per x; null where the series has no value (it had ended). */
  values: (number | null)[];
  /** Draw as steps (bins) rather than a line through the points. */
  stepped?: boolean;
  dash?: number[];
}

export interface TimeChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  /** x values, in seconds. */
  xs: number[];
  series: ChartSeries[];
  xLabel: string;
  yLabel: string;
  /** Formats a y value on the axis. */
  formatY?: (value: number) => string;
  /** A shaded span of x, e.g. the outage after a restart. */
  band?: { from: number; to: number; label: string };
  /** A horizontal line, e.g. a cap. */
  limit?: { y: number; label: string };
  /** The y axis reaches at least this (so a flat series does not fill the chart). */
  minYMax?: number;
  height?: number;
}

/**
 * A small time chart drawn by uPlot on a canvas, sized to its container and
 * colored from the site's theme variables (redrawn when the theme changes).
 * Data updates redraw in place; a change of series rebuilds the chart.
 * The numbers that matter are always printed beside it too: a canvas is
 * invisible to screen readers and to text search.
 */
export function TimeChart(props: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const shape = props.series.map((series) => `${series.label}:${series.colorVar}:${series.stepped ?? false}`).join('|');

  // Build (and rebuild on a theme change or new series); destroy with the island.
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const build = () => {
      chart.current?.destroy();
      const width = Math.max(200, element.clientWidth);
      chart.current = new uPlot(
        options(() => latest.current, element, width),
        data(latest.current),
        element,
      );
    };
    build();
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, element.clientWidth);
      if (chart.current && Math.abs(chart.current.width - width) > 1) {
        chart.current.setSize({ width, height: latest.current.height ?? 220 });
      }
    });
    resize.observe(element);
    const theme = new MutationObserver(build);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      resize.disconnect();
      theme.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [shape]);

  // New data: redraw in place.
  useEffect(() => {
    const current = chart.current;
    if (!current) return;
    current.setData(data(props));
  }, [props.xs, props.series, props.band, props.limit, props.minYMax]);

  return <div class="prod-chart" ref={container} role="img" aria-label={props.label} />;
}

function data(props: TimeChartProps): uPlot.AlignedData {
  return [props.xs, ...props.series.map((series) => series.values)] as uPlot.AlignedData;
}

/** The chart's options; `get` gives the latest props, read at draw time. */
function options(get: () => TimeChartProps, element: HTMLElement, width: number): uPlot.Options {
  const props = get();
  const style = getComputedStyle(element);
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const text = color('--muted', '#5c6370');
  const grid = color('--border', '#dfe1e5');
  const font = `12px ${color('--sans', 'system-ui, sans-serif')}`;
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const axis = (label: string, values?: uPlot.Axis['values']): uPlot.Axis => ({
    stroke: text,
    font,
    labelFont: font,
    label,
    labelSize: 18,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...(values ? { values } : {}),
  });
  return {
    width,
    height: props.height ?? 220,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false },
      y: {
        range: (_self, _min, max) => {
          const { minYMax = 0, limit } = get();
          // Headroom above the highest point, so a peak never touches the frame.
          return [0, Math.max(max * 1.1, minYMax, limit ? limit.y * 1.15 : 0, 1)];
        },
      },
    },
    axes: [
      axis(props.xLabel, (_self, ticks) => ticks.map((tick) => `${tick} s`)),
      {
        ...axis(props.yLabel, (_self, ticks) => ticks.map((tick) => (props.formatY ? props.formatY(tick) : String(tick)))),
        size: 56,
      },
    ],
    series: [
      {},
      ...props.series.map(
        (series): uPlot.Series => ({
          label: series.label,
          stroke: color(series.colorVar, '#3451d1'),
          width: 2,
          ...(series.dash ? { dash: series.dash } : {}),
          ...(series.stepped && stepped ? { paths: stepped } : {}),
          points: { show: false },
          spanGaps: false,
        }),
      ),
    ],
    hooks: {
      drawAxes: [(self) => drawBand(self, get().band, color('--surface-2', '#f2f3f5'), text, font)],
      draw: [(self) => drawLimit(self, get().limit, color('--err', '#cf222e'), font)],
    },
  };
}

/** Shades the band behind the series, with its label at the top. */
function drawBand(self: uPlot, band: TimeChartProps['band'], fill: string, text: string, font: string): void {
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
function drawLimit(self: uPlot, limit: TimeChartProps['limit'], stroke: string, font: string): void {
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
