/**
 * What a {@link TimeChart} (./TimeChart.tsx) draws, apart from how the page lays it out.
 * Types only: the code that draws them (./draw-chart.ts, with uPlot) loads on first use.
 */

/** One line, or one row of dots, of a chart. */
export interface ChartSeries {
  label: string;
  /** A CSS custom property of the site's theme, e.g. `--err`: the chart follows light and dark. */
  colorVar: string;
  /** One value per x; null where the series has no value (not sampled then, or it had ended). */
  values: (number | null)[];
  /** Draw as steps (bins) rather than a line through the points. */
  stepped?: boolean;
  /** One dot per value and no line (events, not a quantity over time). */
  points?: boolean;
  /** Carry the line across nulls (a series sampled at other moments than the others). */
  spanGaps?: boolean;
  dash?: number[];
}

/** A chart's data and axes: everything but its place on the page. */
export interface ChartSpec {
  /** x values, in seconds. */
  xs: number[];
  series: ChartSeries[];
  xLabel: string;
  /** The y axis's title; none where the figure's caption says it. */
  yLabel?: string;
  /** Formats a y value on the axis (and in the legend). */
  formatY?: (value: number) => string;
  /** `log`: a base-10 scale, so 1 ms and 10 s fit on one chart; values below `floor` are drawn at it. */
  scale?: 'linear' | 'log';
  /** Smallest y shown on a log scale (default 1). */
  floor?: number;
  /** A legend under the chart with each series' value at the cursor, or its latest away from it. */
  legend?: boolean;
  /** A shaded span of x, e.g. the outage after a restart. */
  band?: { from: number; to: number; label: string };
  /** A horizontal line, e.g. a cap. */
  limit?: { y: number; label: string };
  /** A linear y axis reaches at least this (so a flat series does not fill the chart). */
  minYMax?: number;
  height?: number;
}
