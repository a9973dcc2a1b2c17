import { formatMs } from './format.ts';

/**
 * The `<option>`s of a `<select>` of durations: each value in ms, shown as
 * `formatMs` writes it (`500 ms`, `2 s`). The select keeps its own value and handler.
 */
export function DurationOptions({ choices }: { choices: readonly number[] }) {
  return (
    <>
      {choices.map((ms) => (
        <option key={ms} value={String(ms)}>
          {formatMs(ms)}
        </option>
      ))}
    </>
  );
}
