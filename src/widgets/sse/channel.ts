import { safeSessionStorage, widgetChannel as sharedWidgetChannel, type SessionStore } from '../shared/channel.ts';

/** Every SSE widget's channel starts with this, so server logs tell whose traffic it is. */
export const CHANNEL_PREFIX = 'sse-';

/**
 * The channel of one SSE widget instance, kept in sessionStorage: a reload
 * keeps it (so a `Last-Event-ID` from before still means something), another
 * tab gets its own. Browser only (call after mount).
 */
export function widgetChannel(instance = 'default', storage: SessionStore | undefined = safeSessionStorage()): string {
  return sharedWidgetChannel('sse', CHANNEL_PREFIX, instance, storage);
}

/** The channels of the 6-connection experiment: `<channel>-x1` … `-x7`, so its streams never mix with the demo's. */
export function experimentChannel(channel: string, index: number): string {
  return `${channel}-x${index}`;
}
