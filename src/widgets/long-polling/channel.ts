import { safeSessionStorage, widgetChannel as sharedWidgetChannel, type SessionStore } from '../shared/channel.ts';

/** Every long-polling widget's channel starts with this, so server logs tell whose traffic it is. */
export const CHANNEL_PREFIX = 'lp-';

/**
 * The channel of one widget instance (`lp-` + 8 random characters), kept in
 * sessionStorage: a reload in the same tab keeps it, another tab gets its own.
 * Browser only (call after mount).
 */
export function widgetChannel(instance = 'default', storage: SessionStore | undefined = safeSessionStorage()): string {
  return sharedWidgetChannel('long-polling', CHANNEL_PREFIX, instance, storage);
}

/**
 * The cursor the feed had reached on `channel` before a reload, so listening
 * again resumes after it instead of replaying the channel's log; 0 when none.
 */
export function savedCursor(instance: string, channel: string, storage: SessionStore | undefined = safeSessionStorage()): number {
  try {
    const saved = storage?.getItem(cursorKey(instance));
    const match = saved ? /^(.+):(\d+)$/.exec(saved) : null;
    return match && match[1] === channel ? Number(match[2]) : 0;
  } catch {
    return 0;
  }
}

/** Remembers the feed's cursor on `channel` for {@link savedCursor}. */
export function saveCursor(
  instance: string,
  channel: string,
  cursor: number,
  storage: SessionStore | undefined = safeSessionStorage(),
): void {
  try {
    storage?.setItem(cursorKey(instance), `${channel}:${cursor}`);
  } catch {
    // Storage blocked or full: a reload then replays the log, which is harmless.
  }
}

function cursorKey(instance: string): string {
  return `rtw:long-polling:cursor:${instance}`;
}
