/**
 * How long the HTTP server waits on a client, chosen for this server's
 * traffic: request bodies are small (128 KiB at most: a progress import), so a request is
 * either in within seconds or never. Node's defaults let one client that
 * sends a byte now and then hold a connection and a request for 300 s.
 *
 * None of these cut a long-lived answer: Node times only the *receiving* of
 * a request (a long poll, an SSE stream or a WebSocket was received long
 * before it ends), and an upgraded socket leaves the HTTP server's watch.
 */
export interface ServerTimeouts {
  /** From the first byte of a request to its last header (Node's default: 60 s). */
  headersTimeoutMs: number;
  /** From the first byte of a request to the last byte of its body (Node's default: 300 s). */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this (Node's default, kept
   * on purpose: lesson 6 counts the connections a slow poller opens), plus
   * Node's `keepAliveTimeoutBuffer` of 1 s.
   */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two request timeouts (its default, 30 s, would let a slow client stay 30 s longer). */
  checkIntervalMs: number;
  /**
   * At a shutdown, how long a client still sending its request (or its
   * headers) may take before its connection is ended, so that it cannot
   * hold the shutdown until the grace period runs out.
   */
  stragglerMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  stragglerMs: 2_000,
};
