import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The HTTP connections of a server, for a shutdown that must not wait on clients. */
export interface ConnectionTracker {
  /**
   * Ends every connection that is not carrying a response to a fully
   * received request: clients still sending headers or a body, and idle
   * keep-alive connections. Those being answered are left to finish.
   *
   * @param inFlight the responses not yet finished.
   * @returns how many connections were ended with a request half received.
   */
  endStragglers(inFlight: Iterable<ServerResponse>): number;
}

/**
 * Tracks the connections of `server` from accept to close. Upgraded sockets
 * (WebSockets) leave the tracking: their endpoint closes them itself.
 */
export function trackConnections(server: Server): ConnectionTracker {
  const open = new Set<Socket>();
  // One listener for every socket rather than a closure each (memory per held connection); 'close' comes once.
  function forget(this: Socket): void {
    open.delete(this);
  }
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', forget);
  });
  server.on('upgrade', (_request, socket: Socket) => {
    open.delete(socket);
    socket.off('close', forget);
  });
  return {
    endStragglers(inFlight) {
      const answering = new Set<Socket>();
      for (const response of inFlight) {
        if (response.req.complete && response.socket) answering.add(response.socket as Socket);
      }
      // Idle ones first: they are not stragglers, just not reused yet.
      server.closeIdleConnections();
      let ended = 0;
      for (const socket of open) {
        if (socket.destroyed || answering.has(socket)) continue;
        // Left: a request line, headers or a body still on their way.
        socket.destroy();
        ended += 1;
      }
      return ended;
    },
  };
}
