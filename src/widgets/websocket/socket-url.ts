import { WS_PATH } from '../../protocol/websocket.ts';

/** `ws:` for an `http:` page, `wss:` for `https:` (a page served over TLS may not open a plain socket: mixed content). */
export function defaultSocketUrl(location: Pick<Location, 'protocol' | 'host'> | undefined = globalThis.location): string {
  if (!location) throw new Error('No page location: pass `url` when not running in a browser.');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
}
