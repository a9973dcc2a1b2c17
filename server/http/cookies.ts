import type { IncomingMessage } from 'node:http';

/**
 * The value of cookie `name` in the request (RFC 6265 §5.4: `Cookie: a=1; b=2`),
 * undefined when absent. When the browser sends it twice (two paths), the first
 * is the most specific. A quoted value (RFC 6265 §4.1.1) comes without its quotes.
 */
export function readCookie(request: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1 || pair.slice(0, separator).trim() !== name) continue;
    const value = pair.slice(separator + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

/** True when the request came over HTTPS: directly, or through a proxy that says so in `X-Forwarded-Proto`. */
export function cameOverHttps(request: IncomingMessage): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}
