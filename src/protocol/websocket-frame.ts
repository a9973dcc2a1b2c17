/**
 * The size of the header of one WebSocket frame carrying `payloadBytes`
 * (RFC 6455 §5.2): 2 bytes up to 125 B of payload, 4 up to 64 KiB, 10 beyond;
 * frames from a client add a 4-byte masking key. So 2–14 B, assuming one
 * unfragmented frame and no extension (this server turns permessage-deflate off).
 */
export function frameHeaderBytes(payloadBytes: number, fromClient: boolean): number {
  const base = payloadBytes <= 125 ? 2 : payloadBytes <= 0xffff ? 4 : 10;
  return base + (fromClient ? 4 : 0);
}
