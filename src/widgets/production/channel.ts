import { widgetChannel as sharedWidgetChannel } from '../shared/channel.ts';

/** Every lesson 7 widget's channel starts with this, so server logs tell whose traffic it is. */
export const CHANNEL_PREFIX = 'prod-';

/**
 * The channel of one lesson 7 widget (`prod-` + 8 random characters), kept
 * in sessionStorage: a reload keeps it, another tab gets its own. Each widget
 * has its own (`widget` names it), so their experiments never mix.
 * Browser only (call after mount).
 */
export function productionChannel(widget: string): string {
  return sharedWidgetChannel(`production-${widget}`, CHANNEL_PREFIX);
}
