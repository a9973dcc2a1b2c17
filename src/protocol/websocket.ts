import type { ChannelEvent } from './events.ts';

/**
 * Messages on `GET /ws` (RFC 6455): JSON in text frames, one message per frame,
 * each with a `type`. Defined once here for the server, the browser client and the tests.
 */

/** A chat participant: one per connection. */
export interface Member {
  /** Server-assigned, unique per connection. */
  id: string;
  name: string;
}

export interface ChatMessage {
  /** Per-room, strictly increasing. */
  id: number;
  /** The sender's idempotency key: a resend with the same key is acknowledged again, never delivered twice. */
  clientId: string;
  from: Member;
  text: string;
  ts: number;
}

// ── client → server ─────────────────────────────────────────────────────────

export type ClientMessage =
  /** Receive the channel's events with `id > cursor` (the same events and ids as SSE and long polling), then live ones. */
  | { type: 'subscribe'; channel: string; cursor: number }
  | { type: 'unsubscribe'; channel: string }
  /** Enter a chat room (leaving the current one, if any). */
  | { type: 'join'; room: string; name: string }
  | { type: 'leave' }
  /** Send to the current room; answered by `ack` to the sender and `message` to everyone in the room. */
  | { type: 'message'; text: string; clientId: string }
  | { type: 'typing'; typing: boolean }
  /**
   * Demo faults for the lesson: `drop` cuts this socket with no close frame (as a
   * lost network would); `restart` closes every socket in the sender's room with
   * 1012 Service Restart (as a redeploy would).
   */
  | { type: 'simulate'; fault: 'drop' | 'restart' };

export type ClientMessageType = ClientMessage['type'];

// ── server → client ─────────────────────────────────────────────────────────

export type ServerMessage =
  /** First message on every connection. */
  | {
      type: 'hello';
      connectionId: string;
      heartbeatMs: number;
      limits: typeof WS_LIMITS;
      /** The opening handshake as the server saw it, for the lesson (selected headers only). */
      handshake: { request: Record<string, string>; response: Record<string, string> };
    }
  /** Answers `subscribe`; `cursor` is the one the client sent. A replay (or a `reset`) follows, then live events. */
  | { type: 'subscribed'; channel: string; cursor: number }
  /** Answers `unsubscribe` (also for a channel not subscribed): no `event` of that channel follows it. */
  | { type: 'unsubscribed'; channel: string }
  | { type: 'event'; channel: string; event: ChannelEvent }
  /**
   * The cursor could not be honoured (evicted, or ahead after a restart): refetch state; live events follow.
   * This server always sends `reason`.
   */
  | { type: 'reset'; channel: string; latestId: number; reason?: WsResetReason }
  | { type: 'joined'; room: string; you: Member; history: ChatMessage[]; members: Member[] }
  /** Sent to the room's other members when someone joins, and to everyone left when someone leaves or is cut off. */
  | { type: 'presence'; room: string; members: Member[] }
  /** Answers `leave`: no message of that room follows it. */
  | { type: 'left'; room: string }
  | { type: 'message'; room: string; message: ChatMessage }
  | { type: 'ack'; clientId: string; id: number }
  | { type: 'typing'; room: string; member: Member; typing: boolean }
  /**
   * A message the server could not act on (it was dropped); the socket stays open.
   * `field` names the offending member of an `invalid-message`.
   */
  | { type: 'error'; code: WsErrorCode; message: string; field?: string };

/** Why a `subscribe` got a `reset` instead of a replay. */
export type WsResetReason = 'cursor-evicted' | 'cursor-ahead';

export type WsErrorCode =
  | 'bad-json'
  | 'unknown-type'
  | 'invalid-message'
  | 'not-in-room'
  | 'rate-limited'
  | 'too-many-subscriptions'
  /** The shared backplane (Redis) cannot be reached: subscribe or send again shortly. */
  | 'backend-unavailable';

/** Close codes this server uses (RFC 6455 §7.4.1, IANA registry). */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  /** Invalid UTF-8 in a text frame (`ws` sends it for us). */
  invalidPayload: 1007,
  /** Persistent abuse, e.g. flooding past the rate limit. */
  policyViolation: 1008,
  /** A frame larger than `maxPayloadBytes`. */
  messageTooBig: 1009,
  internalError: 1011,
  /** Server restarting: reconnect after a short wait. */
  serviceRestart: 1012,
  /** Too slow a reader: the server will not buffer more; reconnect and resume by cursor. */
  tryAgainLater: 1013,
} as const;

export const WS_LIMITS = {
  /** Largest frame accepted; bigger closes with 1009. */
  maxPayloadBytes: 16 * 1024,
  /** Token bucket per connection: sustained messages per second… */
  ratePerSecond: 10,
  /** …and the burst allowed on top. */
  burst: 20,
  /** Messages refused within `abuseWindowMs` before the connection is closed with 1008. */
  abuseThreshold: 50,
  abuseWindowMs: 10_000,
  /** Bytes the server may buffer for a slow reader before closing it with 1013. */
  maxBufferedBytes: 1024 * 1024,
  /** Channels one connection may subscribe to. */
  maxSubscriptions: 10,
  maxNameLength: 32,
  maxTextLength: 500,
  /** Chat messages a joining member receives. */
  historySize: 50,
  /** Length of a `clientId`. */
  maxClientIdLength: 64,
} as const;

export const WS_PATH = '/ws';

/** A chat room name, like a channel name. */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A `clientId`: 1–`maxClientIdLength` of `A–Z a–z 0–9 _ -` (a UUID fits). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const WS_DEFAULTS = {
  /** Interval of the server's pings (configurable with WS_HEARTBEAT_MS); a socket silent for two of them is cut. */
  heartbeatMs: 15_000,
} as const;
