import { safeSessionStorage, widgetChannel, type SessionStore } from '../shared/channel.ts';

/** Every WebSocket demo room starts with this, so server logs tell whose traffic it is. */
export const ROOM_PREFIX = 'ws-';

/**
 * The chat room of one widget instance (`ws-` + 8 random characters), kept in
 * sessionStorage: a reload in the same tab finds the conversation again (the
 * server's history), another tab gets its own room. Browser only (call after mount).
 */
export function widgetRoom(instance = 'default', storage: SessionStore | undefined = safeSessionStorage()): string {
  return widgetChannel('websocket', ROOM_PREFIX, instance, storage);
}
