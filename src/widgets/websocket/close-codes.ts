import { WS_CLOSE } from '../../protocol/websocket.ts';

/**
 * WebSocket close codes in words, and which of them a client should retry.
 * Names are the IANA "WebSocket Close Code Number" registry's (RFC 6455 §7.4.1, §11.7).
 */

/** The code this client closes with when the reader simulates losing the network (4000–4999: private use, RFC 6455 §7.4.2). */
export const OFFLINE_CLOSE_CODE = 4000;

/** The code of a deliberate `close()`. */
export const NORMAL_CLOSE_CODE = WS_CLOSE.normal;

const NAMES: Record<number, string> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol Error',
  1003: 'Unsupported Data',
  1005: 'No Status Received',
  1006: 'Abnormal Closure',
  1007: 'Invalid Frame Payload Data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Extension',
  1011: 'Internal Error',
  1012: 'Service Restart',
  1013: 'Try Again Later',
  1015: 'TLS Handshake',
  [OFFLINE_CLOSE_CODE]: 'Offline (simulated)',
};

/** `1012` → `Service Restart`; unknown codes → `Close code 4321`. */
export function closeCodeName(code: number): string {
  return NAMES[code] ?? `Close code ${code}`;
}

/**
 * Codes after which reconnecting cannot help: the server objected to what this
 * client sent (flooding, a frame too big, a malformed frame). Reconnecting at
 * once would only repeat the offence, so the client stops and says why; the
 * reader reconnects by hand. Every other code (1001 going away, 1006 lost,
 * 1011, 1012 restart, 1013 try again later…) is retried with backoff.
 */
const NOT_RETRIED = new Set<number>([1002, 1003, 1007, WS_CLOSE.policyViolation, WS_CLOSE.messageTooBig]);

/** True when the client should reconnect by itself after the server (or the network) closed with `code`. */
export function isRetryable(code: number): boolean {
  return !NOT_RETRIED.has(code);
}

/** One sentence for the reader: what the code means here, and what the client does next. */
export function explainClose(code: number): string {
  switch (code) {
    case WS_CLOSE.normal:
      return 'Closed normally.';
    case WS_CLOSE.goingAway:
      return 'The server is shutting down (draining): reconnecting, most likely to another instance.';
    case 1006:
      return 'The connection was lost without a close frame (1006 is never sent: the browser reports it). Reconnecting.';
    case WS_CLOSE.policyViolation:
      return 'The server closed the socket for abuse (too many messages refused by the rate limit). Not reconnecting by itself: it would only happen again.';
    case WS_CLOSE.messageTooBig:
      return 'A frame was larger than the server accepts. Not reconnecting by itself: resending it would fail again.';
    case WS_CLOSE.internalError:
      return 'The server hit an error. Reconnecting with backoff.';
    case WS_CLOSE.serviceRestart:
      return 'The server is restarting. Reconnecting after a random wait, so that not everyone comes back at once.';
    case WS_CLOSE.tryAgainLater:
      return 'The server shed this connection (it could not keep up with it). Reconnecting later and resuming where it left off.';
    case OFFLINE_CLOSE_CODE:
      return 'You took this pane offline. It will not reconnect until the time is up; messages wait in the outbox.';
    default:
      return isRetryable(code) ? 'Reconnecting with backoff.' : 'Not reconnecting by itself.';
  }
}
