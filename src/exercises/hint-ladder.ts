/**
 * A ladder of hints, from gentle to explicit: each press shows one more, and
 * the count shown is kept with the learner's code, so a reload does not hide
 * what they already read.
 */

/** The hints shown after `shown` presses (never more than there are). */
export function visibleHints(hints: readonly string[], shown: number): readonly string[] {
  return hints.slice(0, Math.max(0, Math.min(shown, hints.length)));
}

/** The label of the hint button: what the next press gives, or that there is no more. */
export function hintButtonLabel(hints: readonly string[], shown: number): string {
  const next = Math.min(shown, hints.length) + 1;
  return next > hints.length ? `All ${hints.length} hints shown` : `Show a hint (${next} of ${hints.length})`;
}

/** The count after one more press: stops at the last hint. */
export function nextHintCount(hints: readonly string[], shown: number): number {
  return Math.min(Math.max(0, shown) + 1, hints.length);
}
