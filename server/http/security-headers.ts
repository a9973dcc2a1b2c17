import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * The policy of every answer that is not a page (JSON, problems, streams,
 * SVG files): nothing in it may load or run anything, and no page may frame
 * it. Short on purpose: it rides on every poll.
 */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Sets the headers of a non-page answer: the short policy and nosniff. */
export function setApiSecurityHeaders(response: ServerResponse): void {
  response.setHeader('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
  // Browsers must not guess a type other than the declared one (the Fetch standard's X-Content-Type-Options).
  response.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * A 304 has no body (RFC 9110 §15.4.5): the browser keeps the headers it
 * stored with the 200, so the ones that protect a body are dead weight on
 * every "nothing changed" poll.
 */
export function dropBodyHeaders(response: ServerResponse): void {
  response.removeHeader('Content-Security-Policy');
  response.removeHeader('X-Content-Type-Options');
}

/**
 * The headers of every HTML page.
 *
 * - `script-src`: this site's files, plus the exact inline scripts the build
 *   emitted (by SHA-256, CSP3 §8.4: theme, island loaders), so an injected
 *   script runs nowhere; `'wasm-unsafe-eval'` lets search compile Pagefind's
 *   WebAssembly, and allows no `eval()`.
 * - `style-src 'unsafe-inline'`: Astro's scoped styles, the build-time
 *   mermaid SVGs and the widgets' `style` attributes; styles cannot run code.
 * - `connect-src 'self'` also covers `ws:`/`wss:` to this host (CSP3 §6.7.2.8).
 * - `frame-ancestors 'none'` and `X-Frame-Options: DENY` (for older
 *   browsers): no other site may frame the workbook (clickjacking).
 *
 * @param scriptHashes `sha256-…` sources of the inline scripts (see page-script-hashes.ts).
 */
export function pageSecurityHeaders(scriptHashes: readonly string[]): OutgoingHttpHeaders {
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${scriptHashes.map((hash) => ` '${hash}'`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': policy,
    'X-Frame-Options': 'DENY',
    // Same-site requests keep the full Referer; links to other sites send none (a workshop's join code stays here).
    'Referrer-Policy': 'same-origin',
    // Nothing here needs these devices; fullscreen is the host dashboard's projector view.
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)',
    // A page this one opens (or that opened it) from another site gets no handle on this window.
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
