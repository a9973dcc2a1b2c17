import type { ServerMessage } from '../../src/protocol/websocket.ts';

/** Whoever can be sent an already encoded message: a connection. */
export interface EncodedRecipient {
  /** Sends `payload` as one text frame; false when it was not sent (closed, or too slow and now closing). */
  sendEncoded(payload: Buffer): boolean;
}

/**
 * Serialises a message once, to UTF-8 bytes. A `Buffer` given to `ws`'s
 * `send()` is written as is (`toBuffer` marks it read-only and the server does
 * not mask), while a string would be encoded again for every recipient.
 */
export function encodeMessage(message: ServerMessage): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

// #region broadcast
/**
 * Sends one message to many sockets: `JSON.stringify` and UTF-8 encoding run
 * once, and every recipient's frame carries the same bytes — per recipient,
 * `ws` only writes a 2–10-byte frame header before them (RFC 6455 §5.2).
 *
 * @returns how many recipients it was sent to.
 */
export function broadcast(recipients: Iterable<EncodedRecipient>, message: ServerMessage): number {
  const payload = encodeMessage(message);
  let sent = 0;
  // A copy: a recipient that is too slow is closed on the spot, which may change the set we iterate.
  for (const recipient of [...recipients]) {
    if (recipient.sendEncoded(payload)) sent += 1;
  }
  return sent;
}
// #endregion broadcast
