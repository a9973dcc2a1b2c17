/**
 * A random UUID, a chat message's idempotency key. `crypto.randomUUID` exists
 * only in secure contexts (HTTPS or localhost), and a workshop on a LAN is
 * served over plain HTTP, so fall back to `getRandomValues` (available
 * everywhere) for 122 random bits.
 * @param c the Web Crypto to draw from (tests pass one without `randomUUID`).
 */
export function randomClientId(c: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = globalThis.crypto): string {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
