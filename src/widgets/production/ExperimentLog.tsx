import { formatOffset } from '../shared/format.ts';

/** One line of an experiment's log: when (ms from its start), what kind (for its color), and what happened. */
export interface ExperimentLogEntry {
  seq: number;
  t: number;
  kind: string;
  text: string;
}

/** What an experiment did, oldest first, each line stamped with its offset from the start. */
export function ExperimentLog({ entries, label, empty }: { entries: readonly ExperimentLogEntry[]; label: string; empty: string }) {
  if (entries.length === 0) return <p class="widget-empty">{empty}</p>;
  return (
    <ol class="prod-log" aria-label={label}>
      {entries.map((entry) => (
        <li key={entry.seq} class="prod-log-entry" data-kind={entry.kind}>
          <span class="prod-log-time widget-mono">{formatOffset(entry.t)}</span>
          <span>{entry.text}</span>
        </li>
      ))}
    </ol>
  );
}
