import type { ServerMessage } from '../../src/protocol/websocket.ts';
import type { EncodedRecipient } from './broadcast.ts';
import type { ChatParticipant } from './chat-rooms.ts';

/** A member the chat can talk to: a connection, in the server; a recording fake, in unit tests. */
export interface ChatRecipient extends ChatParticipant, EncodedRecipient {
  /** Sends one message to this member only; false when it was not sent (closed, or too slow). */
  send(message: ServerMessage): boolean;
}

/**
 * The chat of lesson 5 — rooms, presence, history, ids, `clientId`
 * de-duplication, typing — behind one interface, so that one server keeps it
 * in memory (`InMemoryChatBackend`) and several instances share it through
 * Redis (`RedisChatBackend`).
 *
 * A backend does its own sending: what it tells a member about its own
 * request (`joined`, `ack`) must come before the room traffic that follows
 * it, and with Redis that traffic arrives on another connection, at any time.
 * The WebSocket endpoint hands it one request of a connection at a time.
 */
export interface ChatBackend<P extends ChatRecipient> {
  /**
   * Puts `participant` in `room` (or renames it, if it is in already), sends
   * it `joined` (history and members), then the room's traffic; the other
   * members get `presence`.
   * @throws {BackplaneUnavailableError} (Redis is down) nothing changed and nothing was sent.
   */
  join(room: string, participant: P): Promise<void>;
  /**
   * Takes `participant` out of `room`: nothing of the room reaches it after
   * this call; the members left get `presence`. Never rejects: if the shared
   * state cannot be reached, the member's presence expires by itself.
   */
  leave(room: string, participant: P): Promise<void>;
  /**
   * Sends the sender `ack {clientId, id}`, then `message` to every member,
   * sender included — unless the room has seen this `clientId`: then only the
   * `ack`, with the original id (a resend after a lost ack).
   * @throws {BackplaneUnavailableError} (Redis is down) the message was not stored, nobody got it.
   */
  post(room: string, participant: P, text: string, clientId: string): Promise<void>;
  /** Tells the other members that `participant` started or stopped typing. @throws {BackplaneUnavailableError} */
  typing(room: string, participant: P, typing: boolean): Promise<void>;
  /** Closes every member of `room`, wherever it is connected, with the endpoint's restart close (a fault to inject). */
  restart(room: string): Promise<void>;
  /** Housekeeping on the WebSocket heartbeat's timer: forgets expired state kept in this process. */
  sweep(): void;
  /** Stops timers and subscriptions. Idempotent. */
  close(): void;
}

/** What a backend needs from the endpoint besides its own settings. */
export interface ChatBackendHooks<P extends ChatRecipient> {
  /** Closes these members because their room was restarted (`simulate restart`). */
  closeForRestart(participants: P[]): void;
}
