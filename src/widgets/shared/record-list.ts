/**
 * The lists a widget renders (requests, polls, publishes) are immutable
 * arrays in signals: each change makes a new array, so the view re-renders.
 */

/** `list` plus `item`, keeping only the newest `max` entries. */
export function appendKept<T>(list: readonly T[], item: T, max: number): readonly T[] {
  const next = [...list, item];
  return next.length > max ? next.slice(-max) : next;
}

/** `list` with `change` applied to the entry whose `seq` is `seq`. */
export function updateBySeq<T extends { seq: number }>(list: readonly T[], seq: number, change: Partial<T>): readonly T[] {
  return list.map((entry) => (entry.seq === seq ? { ...entry, ...change } : entry));
}
