import { widgetChannel } from '../shared/channel.ts';

/** Every lesson 8 demo's channel starts with this, so server logs tell whose instances they are. */
export const CHANNEL_PREFIX = 'scale-';

/**
 * The channel of the reader's two-instance demo (`scale-` + 8 random
 * characters), kept in sessionStorage: a reload finds the same demo still
 * running, another tab gets its own. Browser only (call after mount).
 */
export function scalingChannel(instance = 'default'): string {
  return widgetChannel('scaling', CHANNEL_PREFIX, instance);
}
