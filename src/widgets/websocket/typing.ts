import { signal, type ReadonlySignal } from '@preact/signals';
import type { Clock } from '../shared/clock.ts';

export const TYPING = {
  /** The sender says "stopped typing" after this long without a keystroke. */
  idleMs: 3_000,
  /** While typing goes on, "typing" is repeated at most this often (so the others' indicator does not time out). */
  refreshMs: 2_000,
  /** The receiver hides an indicator nobody refreshed for this long (a lost "stopped" must not leave it forever). */
  expireMs: 5_000,
} as const;

/** Who the server said is typing: member id → name, each forgotten after {@link TYPING.expireMs} unless refreshed. */
export interface Typers {
  readonly byMember: ReadonlySignal<ReadonlyMap<string, string>>;
  /** `name` is typing, or (null) stopped. */
  set(memberId: string, name: string | null): void;
  clear(): void;
}

export function createTypers(clock: Clock): Typers {
  const byMember = signal<ReadonlyMap<string, string>>(new Map());
  const timers = new Map<string, unknown>();

  function set(memberId: string, name: string | null): void {
    const timer = timers.get(memberId);
    if (timer !== undefined) clock.clearTimeout(timer);
    timers.delete(memberId);
    const next = new Map(byMember.peek());
    if (name === null) {
      if (!next.delete(memberId)) return;
    } else {
      next.set(memberId, name);
      timers.set(
        memberId,
        clock.setTimeout(() => {
          timers.delete(memberId);
          set(memberId, null);
        }, TYPING.expireMs),
      );
    }
    byMember.value = next;
  }

  return {
    byMember,
    set,
    clear() {
      for (const timer of timers.values()) clock.clearTimeout(timer);
      timers.clear();
      if (byMember.peek().size > 0) byMember.value = new Map();
    },
  };
}

/** The sending side: turns keystrokes into few `typing` frames. */
export interface TypingSender {
  /** The composer's text changed. */
  input(text: string): void;
  /** Says "stopped" if we said "typing". */
  stop(): void;
  /** A new connection starts with nobody thinking we type. */
  forget(): void;
}

/** `send` sends a `typing` frame and says whether it went out. */
export function createTypingSender(send: (typing: boolean) => boolean, clock: Clock): TypingSender {
  /** When "typing: true" last went out, or null when we last said we stopped. */
  let typingSince: number | null = null;
  let idleTimer: unknown = null;

  function stop(): void {
    if (idleTimer !== null) clock.clearTimeout(idleTimer);
    idleTimer = null;
    if (typingSince !== null) {
      typingSince = null;
      send(false);
    }
  }

  return {
    input(text) {
      if (text.trim().length === 0) {
        stop();
        return;
      }
      const now = clock.now();
      // Say "typing" once, then again only every refreshMs: one frame per keystroke would be chatty.
      if (typingSince === null || now - typingSince >= TYPING.refreshMs) {
        if (send(true)) typingSince = now;
      }
      if (idleTimer !== null) clock.clearTimeout(idleTimer);
      idleTimer = clock.setTimeout(() => {
        idleTimer = null;
        stop();
      }, TYPING.idleMs);
    },
    stop,
    forget() {
      typingSince = null;
    },
  };
}
