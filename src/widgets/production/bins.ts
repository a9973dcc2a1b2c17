/**
 * A lesson-7 experiment's counts per 100 ms bin, as the server publishes them
 * one bin at a time: a bin may be skipped (nothing happened in it) or arrive late.
 */

/** `bins` with `count` in bin `index`; bins skipped on the way count 0. */
export function placeInBin(bins: readonly number[], index: number, count: number): number[] {
  const next = bins.slice();
  while (next.length < index) next.push(0);
  next[index] = count;
  return next;
}
