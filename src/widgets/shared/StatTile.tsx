/**
 * One counter in a widget's row of stat tiles (`<ul class="widget-stats">`).
 * Tests read the number from `[data-stat=…] [data-value]`.
 */
export function StatTile(props: {
  /** Names the counter: `data-stat`. */
  stat: string;
  label: string;
  /** The value as shown, e.g. `2.7 kB`. */
  value: string;
  /** The number behind a formatted `value` (`data-value`); default: `value` itself. */
  raw?: number;
  /** A line under the value saying what it counts. */
  note: string;
  /** Classes of a color key shown before the label: the color the widget's timeline gives this count. */
  keyClass?: string;
}) {
  return (
    <li class="widget-stat" data-stat={props.stat}>
      <span class="widget-stat-label">
        {props.keyClass && <span class={props.keyClass} aria-hidden="true" />}
        {props.label}
      </span>
      <span class="widget-stat-value widget-mono" data-value={props.raw ?? props.value}>
        {props.value}
      </span>
      <span class="widget-stat-note">{props.note}</span>
    </li>
  );
}
