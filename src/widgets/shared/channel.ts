import { isValidChannel } from '../../protocol/channel.ts';
import { registerDemoChannel } from './demo-channels.ts';

/** What a widget stores in sessionStorage: only reading and writing single keys. */
export type SessionStore = Pick<Storage, 'getItem' | 'setItem'>;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix` and 8 random characters of `a–z 0–9`, e.g. `lp-k3v9x0qa`. */
export function randomChannel(prefix: string): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  // 256 % 36 leaves a tiny bias toward the first letters: harmless for a demo channel name.
  return prefix + Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

/**
 * The channel of one widget instance: made up once, then kept in
 * sessionStorage so a reload (or a return to the page in the same tab) keeps
 * it, while another tab gets its own. Call it in the browser only (after mount).
 * The channel is also registered as one of the page's demo channels, where a
 * workshop's broadcasts arrive (src/widgets/shared/demo-channels.ts).
 *
 * @param widget names the widget in the storage key (`rtw:<widget>:channel:<instance>`).
 * @param prefix starts every channel of this widget, so server logs tell whose traffic it is.
 * @param instance tells apart several widgets on one page.
 */
export function widgetChannel(
  widget: string,
  prefix: string,
  instance = 'default',
  storage: SessionStore | undefined = safeSessionStorage(),
): string {
  const channel = pickChannel(widget, prefix, instance, storage);
  registerDemoChannel(channel);
  return channel;
}

function pickChannel(widget: string, prefix: string, instance: string, storage: SessionStore | undefined): string {
  const key = `rtw:${widget}:channel:${instance}`;
  try {
    const saved = storage?.getItem(key);
    if (saved?.startsWith(prefix) && isValidChannel(saved)) return saved;
    const fresh = randomChannel(prefix);
    storage?.setItem(key, fresh);
    return fresh;
  } catch {
    // Storage disabled or full (private mode, quota): a channel for this page view only.
    return randomChannel(prefix);
  }
}

/** `sessionStorage`, or undefined where there is none (SSR, Node) or it is blocked. */
export function safeSessionStorage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined; // Reading `sessionStorage` itself throws when storage is blocked.
  }
}
