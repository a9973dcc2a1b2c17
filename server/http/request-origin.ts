import type { IncomingMessage } from 'node:http';
import { cameOverHttps } from './cookies.ts';

/** Where a request reached this server, as plain values: what a link back to it is built from. */
export interface RequestOrigin {
  /** The `Host` header as the client sent it (unchecked), if any. */
  host: string | undefined;
  /** Whether the request came over TLS, here or at a proxy that says so. */
  https: boolean;
  /** The port of this server the request came in on. */
  localPort: number | undefined;
}

/** The origin of `request`, so code past the route needs no HTTP objects. */
export function requestOrigin(request: IncomingMessage): RequestOrigin {
  return { host: request.headers.host, https: cameOverHttps(request), localPort: request.socket.localPort };
}
