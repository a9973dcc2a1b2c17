import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rejectUpgrade } from '../websocket/reject-upgrade.ts';
import type { ServerTimeouts } from './server-timeouts.ts';

/**
 * The server's `clientError` listener: what Node finds wrong before any
 * handler runs (a request that is not HTTP, headers too large, a request
 * past its timeout) is answered in the same problem format as the rest, and
 * never logged: it is the client's mistake.
 */
export function clientErrorAnswerer(timeouts: ServerTimeouts): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // As Node's own handler: a reset needs no answer, and an answer already begun cannot get another.
    const message = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || message?.headersSent) {
      socket.destroy();
      return;
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      rejectUpgrade(socket, {
        status: 408,
        detail: `The request did not arrive within ${timeouts.requestTimeoutMs} ms (headers within ${timeouts.headersTimeoutMs} ms).`,
      });
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    rejectUpgrade(socket, {
      status: tooLarge ? 431 : 400,
      detail: tooLarge ? 'The request headers are too large.' : 'The request is not valid HTTP/1.1.',
    });
  };
}
