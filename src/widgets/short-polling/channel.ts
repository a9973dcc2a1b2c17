import { isValidChannel } from '../../protocol/channel.ts';

/** Every short-polling widget's channel starts with this, so server logs tell whose traffic it is. */
export const CHANNEL_PREFIX = 'sp-';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `sp-` and 8 random characters of `a–z 0–9`. */
export function randomChannel(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  // 256 % 36 leaves a tiny bias toward the first letters: harmless for a demo channel name.
  return CHANNEL_PREFIX + Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

/**
 * The channel of one widget instance: made up once, then kept in
 * sessionStorage so a reload (or a return to the page in the same tab) keeps
 * it, while another tab gets its own. Call it in the browser only (after mount).
 *
 * @param instance tells apart several widgets on one page.
 */
export function widgetChannel(instance = 'default', storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = safeSessionStorage()): string {
  const key = `rtw:short-polling:channel:${instance}`;
  try {
    const saved = storage?.getItem(key);
    if (saved && saved.startsWith(CHANNEL_PREFIX) && isValidChannel(saved)) return saved;
    const fresh = randomChannel();
    storage?.setItem(key, fresh);
    return fresh;
  } catch {
    // Storage disabled or full (private mode, quota): a channel for this page view only.
    return randomChannel();
  }
}

function safeSessionStorage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined; // Reading `sessionStorage` itself throws when storage is blocked.
  }
}
