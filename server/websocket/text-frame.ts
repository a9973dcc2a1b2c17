// #region text-frame
/**
 * A whole message as one WebSocket text frame, the way a server sends it
 * (RFC 6455 §5.2): FIN set, opcode 1 (text), no mask (only clients mask), the
 * payload length in 7 bits, or 126 then 16 bits, or 127 then 64 bits, then
 * the payload. `ws`'s `send()` builds this header again for every socket; a
 * frame built once can be written as is to every socket of a broadcast.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + text
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
// #endregion text-frame
