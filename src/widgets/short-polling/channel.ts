import { safeSessionStorage, widgetChannel as sharedWidgetChannel, type SessionStore } from '../shared/channel.ts';

/** Every short-polling widget's channel starts with this, so server logs tell whose traffic it is. */
export const CHANNEL_PREFIX = 'sp-';

/**
 * The channel of one widget instance (`sp-` + 8 random characters), kept in
 * sessionStorage: a reload in the same tab keeps it, another tab gets its own.
 * Browser only (call after mount).
 *
 * @param instance tells apart several widgets on one page.
 */
export function widgetChannel(instance = 'default', storage: SessionStore | undefined = safeSessionStorage()): string {
  return sharedWidgetChannel('short-polling', CHANNEL_PREFIX, instance, storage);
}
