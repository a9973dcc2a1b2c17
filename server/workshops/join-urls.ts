import { networkInterfaces } from 'node:os';
import { workshopPages } from '../../src/protocol/workshops.ts';
import type { RequestOrigin } from '../http/request-origin.ts';

/** Addresses that mean "every interface" when the server listens on them. */
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '']);

/**
 * Join links people in the room can open (`HostWorkshop.joinUrls`): the
 * address the host reached the server at, unless it is loopback (nobody else
 * can use it), then, when the server listens on every interface (`HOST=0.0.0.0`),
 * each LAN IPv4 address with the port the request came in on.
 */
export function joinUrls(code: string, origin: RequestOrigin, listenHost: string): string[] {
  const page = workshopPages.join(code);
  const urls: string[] = [];
  const { host } = origin;
  // The Host header comes from the client: used only when it is a plain host[:port].
  if (host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) && !isLoopback(host)) {
    urls.push(`${origin.https ? 'https' : 'http'}://${host}${page}`);
  }
  if (EVERY_INTERFACE.has(listenHost)) {
    const port = origin.localPort;
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) {
        if (address.family === 'IPv4' && !address.internal) urls.push(`http://${address.address}:${port}${page}`);
      }
    }
  }
  return [...new Set(urls)];
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name.startsWith('127.') || name === '[::1]';
}
