import type { PresenceKey } from '../../protocol/scaling.ts';

/** The presence panel's keys, as the page follows them between two reads of the index. */

/** A presence key that left the index stays on show this long, marked gone. */
export const GONE_SHOWN_MS = 20_000;

/** A presence key that was in the index at the last read but one, and is not any more. */
export interface GoneKey extends PresenceKey {
  goneAt: number;
}

/** How long a presence key has left at `now`, counted down from the `pttlMs` read at `readAt` (negative: gone). */
export function remainingMs(pttlMs: number, readAt: number, now: number): number {
  if (pttlMs < 0) return pttlMs;
  return Math.max(0, pttlMs - Math.max(0, now - readAt));
}

/** Keys of `before` whose member is not in `after` (they left the index), stamped `goneAt`. */
export function departedKeys(before: readonly PresenceKey[] | null, after: readonly PresenceKey[] | null, goneAt: number): GoneKey[] {
  if (!before) return [];
  const present = new Set((after ?? []).map((key) => key.memberId));
  return before.filter((key) => !present.has(key.memberId)).map((key) => ({ ...key, pttlMs: -2, goneAt }));
}

/** The gone keys to show at `now`: those that just left, then the earlier ones still within {@link GONE_SHOWN_MS}. */
export function goneKeysAt(departed: readonly GoneKey[], earlier: readonly GoneKey[], now: number): GoneKey[] {
  return [...departed, ...earlier].filter((key) => now - key.goneAt < GONE_SHOWN_MS);
}

/** Member id → the name its key held, while it had one: an expired key has no name left to read. */
export class KnownNames {
  readonly #names = new Map<string, string>();

  /** Remembers the names `keys` hold and gives back, in place, the name a nameless key had. */
  fill(keys: PresenceKey[]): void {
    for (const key of keys) {
      if (key.name !== null) this.#names.set(key.memberId, key.name);
      else key.name = this.#names.get(key.memberId) ?? null;
    }
  }
}
