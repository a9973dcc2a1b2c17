import { useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import type { ChartSpec } from './chart-series.ts';
import type { DrawnChart } from './draw-chart.ts';
import './TimeChart.css';

export type { ChartSeries } from './chart-series.ts';

export interface TimeChartProps extends ChartSpec {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  /** The widget's class for the chart's box; the canvas sits in a child classed `<class>-canvas`. */
  class: string;
  /** Text in the chart's place until its first point. */
  waiting?: string;
}

/**
 * A time chart sized to its container, in the site's theme colours (redrawn when the theme
 * changes); new data redraws in place, new series rebuild it. The drawing code (uPlot) is
 * loaded when the chart first has a point to draw, so a reader who never runs a demo never
 * downloads it. The numbers that matter are always printed beside it too: a canvas is
 * invisible to screen readers and to text search.
 */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<DrawnChart | null>(null);
  const latest = useRef<ChartSpec>(props);
  latest.current = props;
  const [failed, setFailed] = useState(false);
  // Once drawn, a chart stays: a new run that starts empty keeps the last one's frame.
  const hasDrawn = useRef(false);
  hasDrawn.current ||= props.xs.length > 0;
  const drawn = hasDrawn.current;
  const shape = [props.scale, props.floor, props.legend, props.height, props.xLabel, props.yLabel]
    .concat(
      props.series.map((series) => [series.label, series.colorVar, series.stepped, series.points, series.spanGaps, series.dash].join(':')),
    )
    .join('|');

  // Load the drawing code on the first point, draw (again on a theme change or new series), destroy with the island.
  useEffect(() => {
    const element = box.current;
    if (!element || !drawn) return;
    let cancelled = false;
    let draw: typeof import('./draw-chart.ts').drawChart | null = null;
    const build = () => {
      if (!draw || cancelled) return;
      chart.current?.destroy();
      chart.current = draw(element, () => latest.current);
    };
    import('./draw-chart.ts').then(
      (module) => {
        draw = module.drawChart;
        build();
      },
      () => !cancelled && setFailed(true),
    );
    // The canvas cannot follow CSS variables by itself: draw again when the theme flips.
    const theme = new MutationObserver(build);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const resize = new ResizeObserver(() => chart.current?.resize(element.clientWidth));
    resize.observe(element);
    return () => {
      cancelled = true;
      theme.disconnect();
      resize.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [shape, drawn]);

  // New data: redraw in place.
  useEffect(() => {
    chart.current?.update();
  }, [props.xs, props.series, props.band, props.limit, props.minYMax]);

  return (
    <div class={`time-chart ${props.class}`} role="img" aria-label={props.label}>
      <div ref={box} class={`${props.class}-canvas`} />
      {!drawn && props.waiting && <p class="time-chart-waiting widget-empty">{props.waiting}</p>}
      {failed && <p class="widget-hint">The chart could not load; the figures beside it give the same numbers.</p>}
    </div>
  );
}
