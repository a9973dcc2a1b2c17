import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** RFC 6455 §1.3: the GUID a server appends to the client's key; only a WebSocket server knows to. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The request headers the `hello` message shows, in the order a lesson explains them. */
const SHOWN_REQUEST_HEADERS = [
  'host',
  'origin',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'user-agent',
] as const;

// #region accept
/**
 * The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2,
 * step 5.4): base64 of the SHA-1 of the key followed by the GUID. It proves
 * the server read this handshake — not that the connection is secure.
 */
export function webSocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}
// #endregion accept

/** The opening handshake as the `hello` message reports it. */
export interface HandshakeView {
  request: Record<string, string>;
  response: Record<string, string>;
}

/**
 * The handshake of an accepted upgrade: the selected request headers the
 * server received (those present), and the headers of its `101 Switching
 * Protocols` answer. No subprotocol and no extension is ever negotiated here,
 * so those three headers are the whole answer.
 */
export function describeHandshake(request: IncomingMessage): HandshakeView {
  const shown: Record<string, string> = {};
  for (const name of SHOWN_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') shown[name] = value;
  }
  return {
    request: shown,
    response: {
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-accept': webSocketAccept(request.headers['sec-websocket-key'] ?? ''),
    },
  };
}
