import { ROOM_PATTERN } from '../../protocol/websocket.ts';
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

/** The query parameter of an invite link: `?room=ws-…` joins someone else's room. */
export const ROOM_PARAM = 'room';

/**
 * The room to join: the one an invite link names (another window, another
 * device), else this tab's own. Browser only (call after mount).
 */
export function chosenRoom(search: string, instance = 'default', storage: SessionStore | undefined = safeSessionStorage()): string {
  const invited = new URLSearchParams(search).get(ROOM_PARAM);
  return invited !== null && ROOM_PATTERN.test(invited) ? invited : widgetRoom(instance, storage);
}

/** A link that opens this page in `room`, to chat from another window or device. */
export function inviteLink(location: { origin: string; pathname: string }, room: string): string {
  return `${location.origin}${location.pathname}?${ROOM_PARAM}=${encodeURIComponent(room)}`;
}
