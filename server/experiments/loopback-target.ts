import type { IncomingMessage } from 'node:http';

/** Where a client inside the server reaches the server itself. */
export interface LoopbackTarget {
  host: string;
  port: number;
}

/**
 * The address this request arrived on — the server's own listening socket,
 * as reached from outside. The experiments' clients (the storm's fleet, the
 * slow consumer, the idle hop's upstream request) connect there: they are
 * real TCP clients of this very server, so it sees their requests as it
 * sees a browser's, through the same listener and handlers.
 */
export function loopbackTarget(request: IncomingMessage): LoopbackTarget {
  const { localAddress, localPort } = request.socket;
  if (!localAddress || !localPort) throw new Error('The request has no local address: its socket is closed.');
  // An IPv4 client of a dual-stack listener arrives as ::ffff:a.b.c.d; the plain IPv4 form is simpler to connect to.
  const host = localAddress.startsWith('::ffff:') ? localAddress.slice('::ffff:'.length) : localAddress;
  return { host, port: localPort };
}
