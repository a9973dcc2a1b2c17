import { signal, type ReadonlySignal } from '@preact/signals';
import { isValidChannel } from '../../protocol/channel.ts';

/**
 * The channels of the live demos on this page, so a workshop can send the
 * host's broadcasts into them (`Heartbeat.channels`, src/protocol/workshops.ts).
 *
 * `widgetChannel()` (src/widgets/shared/channel.ts) registers each channel it
 * hands out. Islands hydrate whenever they scroll into view, before or after
 * the workshop bar loads: the bar reads the signal's current value and
 * subscribes to later changes, so it sees both. One module instance per page:
 * Vite puts a module shared by several islands in one chunk.
 */

const channels = signal<readonly string[]>([]);

/** The page's demo channels, in the order the demos came up. */
export const demoChannels: ReadonlySignal<readonly string[]> = channels;

/** Adds `channel` to the page's list (once; invalid names are ignored). */
export function registerDemoChannel(channel: string): void {
  if (!isValidChannel(channel) || channels.peek().includes(channel)) return;
  channels.value = [...channels.peek(), channel];
}
