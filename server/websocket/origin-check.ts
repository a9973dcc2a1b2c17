/**
 * The Origin check of the WebSocket upgrade. Browsers send cookies with a
 * cross-site WebSocket handshake and the same-origin policy does not apply to
 * WebSockets, so any page could open one to this server on the reader's
 * behalf (cross-site WebSocket hijacking). The server must check `Origin`
 * itself (RFC 6455 §10.2) before upgrading.
 */

/**
 * The ASCII serialisation of an origin (`http://localhost:4321`), or
 * `undefined` when `value` is not an http(s) origin. Default ports are dropped
 * and the host is lower-cased, so equal origins compare equal as strings.
 */
export function normalizeOrigin(value: string): string | undefined {
  const match = /^(https?):\/\/([^/?#@\\]+)\/?$/i.exec(value);
  // An origin is scheme, host and port only: a path, query, fragment or credentials mean it is not one.
  if (!match || !URL.canParse(value)) return undefined;
  return new URL(value).origin;
}

/** What {@link parseOriginList} found in `ALLOWED_ORIGINS`. */
export interface OriginList {
  origins: string[];
  /** Entries that are not http(s) origins, as written. */
  invalid: string[];
}

/** Parses a comma-separated list of origins (`https://a.example, http://b.example:8080`). */
export function parseOriginList(raw: string): OriginList {
  const origins: string[] = [];
  const invalid: string[] = [];
  for (const entry of raw.split(',').map((item) => item.trim())) {
    if (entry === '') continue;
    const origin = normalizeOrigin(entry);
    if (origin === undefined) invalid.push(entry);
    else if (!origins.includes(origin)) origins.push(origin);
  }
  return { origins, invalid };
}

// #region origin-check
/**
 * Whether an upgrade request may proceed, judged by its `Origin` header:
 *
 * - no `Origin`: allowed — it is not a browser (curl, a Node client, a test);
 *   a browser always sends one with a WebSocket handshake (WHATWG Fetch);
 * - the page's own origin, `http(s)://` + the `Host` the request was sent to;
 * - any origin of `allowed` (`ALLOWED_ORIGINS`, already normalised);
 * - anything else, `null` (sandboxed frames, `file:`) included: refused.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  if (allowed.includes(normalized)) return true;
  if (host === undefined || host === '') return false;
  // Behind TLS termination the page is https while this server sees plain http: accept either scheme.
  return normalized === normalizeOrigin(`http://${host}`) || normalized === normalizeOrigin(`https://${host}`);
}
// #endregion origin-check
