import { WS_LIMITS, type ChatMessage, type Member } from '../../src/protocol/websocket.ts';

/** Anything that can sit in a room: a connection, in the server; a plain object, in unit tests. */
export interface ChatParticipant {
  readonly member: Member;
}

/** Bounds of {@link ChatRooms}: how much chat state one server keeps. */
export interface ChatRoomsOptions {
  /** Messages each room keeps for newcomers. Default `WS_LIMITS.historySize` (50). */
  historySize?: number;
  /**
   * `clientId`s each room remembers to recognise a resend (idempotency).
   * A resend older than this many messages is delivered again. Default 1000.
   */
  rememberedClientIds?: number;
  /** Rooms kept; past this the least recently used *empty* rooms are forgotten. Default 10 000. */
  maxRooms?: number;
  /** An empty room's history is forgotten after this long (by {@link ChatRooms.sweep}). Default 10 min. */
  emptyRoomTtlMs?: number;
  /** The clock; default `Date.now` (message `ts` are wall-clock times). */
  now?: () => number;
}

export const CHAT_ROOM_DEFAULTS = {
  rememberedClientIds: 1000,
  maxRooms: 10_000,
  emptyRoomTtlMs: 10 * 60_000,
} as const;

/** What {@link ChatRooms.post} did with a message. */
export interface PostResult {
  message: ChatMessage;
  /** True when the room had this `clientId` already: `message` is the original, not to be broadcast again. */
  duplicate: boolean;
}

class ChatRoom<P extends ChatParticipant> {
  /** Join order: the member list everyone sees. */
  readonly participants = new Map<string, P>();
  readonly history: ChatMessage[] = [];
  /** `clientId` → the message it created, oldest first. */
  readonly byClientId = new Map<string, ChatMessage>();
  nextId = 1;
  /** When the last member left; undefined while someone is in. */
  emptySince: number | undefined;

  members(): Member[] {
    return [...this.participants.values()].map((participant) => participant.member);
  }
}

/**
 * The chat rooms of one server: who is in each room, its recent history, and
 * the `clientId`s it has seen. Bounded: an empty room is forgotten after a
 * while, or sooner when too many rooms exist (least recently used first); a
 * room someone is in is never forgotten. A forgotten room starts over (ids
 * from 1, no history), as the channel log does.
 */
export class ChatRooms<P extends ChatParticipant> {
  readonly #historySize: number;
  readonly #rememberedClientIds: number;
  readonly #maxRooms: number;
  readonly #emptyRoomTtlMs: number;
  readonly #now: () => number;
  /** Insertion order is use order: the least recently used room comes first. */
  readonly #rooms = new Map<string, ChatRoom<P>>();

  constructor(options: ChatRoomsOptions = {}) {
    this.#historySize = options.historySize ?? WS_LIMITS.historySize;
    this.#rememberedClientIds = options.rememberedClientIds ?? CHAT_ROOM_DEFAULTS.rememberedClientIds;
    this.#maxRooms = options.maxRooms ?? CHAT_ROOM_DEFAULTS.maxRooms;
    this.#emptyRoomTtlMs = options.emptyRoomTtlMs ?? CHAT_ROOM_DEFAULTS.emptyRoomTtlMs;
    this.#now = options.now ?? Date.now;
  }

  /** Rooms remembered now, empty ones included. */
  get size(): number {
    return this.#rooms.size;
  }

  /**
   * Puts `participant` in `room` (again, with its new name, if it is in already).
   * @returns the room's history and members, the newcomer included.
   */
  join(room: string, participant: P): { history: ChatMessage[]; members: Member[] } {
    let state = this.#touch(room);
    const created = !state;
    if (!state) {
      state = new ChatRoom<P>();
      this.#rooms.set(room, state);
    }
    state.participants.set(participant.member.id, participant);
    state.emptySince = undefined;
    // After adding the member: the new room is not empty, so it cannot be the one forgotten.
    if (created) this.#forgetExcessRooms();
    return { history: [...state.history], members: state.members() };
  }

  /** Takes the member out of `room`; returns the members left, or undefined if it was not in. */
  leave(room: string, memberId: string): Member[] | undefined {
    const state = this.#rooms.get(room);
    if (!state?.participants.delete(memberId)) return undefined;
    if (state.participants.size === 0) state.emptySince = this.#now();
    return state.members();
  }

  /** The participants of `room`, in join order (a copy: safe to iterate while some leave). */
  participants(room: string): P[] {
    return [...(this.#rooms.get(room)?.participants.values() ?? [])];
  }

  members(room: string): Member[] {
    return this.#rooms.get(room)?.members() ?? [];
  }

  // #region idempotent-post
  /**
   * Adds a message from `from` to `room` — unless the room has seen its
   * `clientId`: a client that lost the `ack` (the connection dropped) sends
   * the same message again, and must get the same id, not a second copy.
   */
  post(room: string, from: Member, text: string, clientId: string): PostResult {
    const state = this.#touch(room);
    if (!state) throw new Error(`No room ${room}: join it first.`);
    const seen = state.byClientId.get(clientId);
    if (seen) return { message: seen, duplicate: true };

    const message: ChatMessage = { id: state.nextId++, clientId, from, text, ts: this.#now() };
    state.history.push(message);
    if (state.history.length > this.#historySize) state.history.shift();
    state.byClientId.set(clientId, message);
    if (state.byClientId.size > this.#rememberedClientIds) {
      state.byClientId.delete(state.byClientId.keys().next().value!);
    }
    return { message, duplicate: false };
  }
  // #endregion idempotent-post

  /** Forgets the rooms that have been empty for longer than the TTL; returns how many. */
  sweep(): number {
    const cutoff = this.#now() - this.#emptyRoomTtlMs;
    let forgotten = 0;
    for (const [name, state] of this.#rooms) {
      if (state.emptySince !== undefined && state.emptySince <= cutoff) {
        this.#rooms.delete(name);
        forgotten += 1;
      }
    }
    return forgotten;
  }

  #touch(room: string): ChatRoom<P> | undefined {
    const state = this.#rooms.get(room);
    if (state) {
      this.#rooms.delete(room);
      this.#rooms.set(room, state);
    }
    return state;
  }

  #forgetExcessRooms(): void {
    if (this.#rooms.size <= this.#maxRooms) return;
    for (const [name, state] of this.#rooms) {
      if (this.#rooms.size <= this.#maxRooms) break;
      if (state.participants.size === 0) this.#rooms.delete(name);
    }
  }
}
