import { useMemo } from 'preact/hooks';
import { LAB_TECHNIQUE_LABELS, LAB_TECHNIQUES } from '../../protocol/lab.ts';
import { type ChartSeries, TimeChart } from '../shared/TimeChart.tsx';
import type { LabChartData } from './model.ts';

export interface LabChartProps {
  /** Accessible name of the chart (the canvas itself says nothing to a screen reader). */
  label: string;
  /** Rebuilt data; called when `version` changes. */
  data: () => LabChartData;
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

/** One chart of the five techniques, each in its colour (`--lab-<technique>`), with a live legend. */
export function LabChart({ label, data, version, scale, formatY, style, floor = 1, height = 220 }: LabChartProps) {
  // `version` says when `data()` has changed.
  const { xs, series } = useMemo(() => {
    const { x, y } = data();
    const series = LAB_TECHNIQUES.map(
      (technique, at): ChartSeries => ({
        label: LAB_TECHNIQUE_LABELS[technique],
        colorVar: `--lab-${technique}`,
        values: y[at] ?? [],
        points: style === 'points',
        spanGaps: style === 'lines',
        ...(style === 'lines' && DASHES[technique] ? { dash: DASHES[technique] } : {}),
      }),
    );
    return { xs: x, series };
  }, [data, version, style]);

  return (
    <TimeChart
      class="lab-chart"
      label={label}
      xs={xs}
      series={series}
      xLabel="seconds since start"
      scale={scale}
      floor={floor}
      formatY={formatY}
      legend
      minYMax={1_000}
      height={height}
      waiting="The chart is drawn as soon as a run has figures."
    />
  );
}
