import type { ChatMessage, ServerMessage } from '../../src/protocol/websocket.ts';
import { broadcast } from './broadcast.ts';
import type { ChatRecipient } from './chat-backend.ts';
import type { RoomNews } from './room-news.ts';

/** What a {@link LocalRoom} needs besides its members. */
export interface LocalRoomOptions<P extends ChatRecipient> {
  room: string;
  /** This instance: a restart it announced, it has acted on already. */
  instanceId: string;
  /** The room's retained messages, oldest first: read to fill a gap in what Pub/Sub delivered. */
  readHistory: () => Promise<ChatMessage[]>;
  closeForRestart: (participants: P[]) => void;
  /** Wait before reading the history again when it could not be read. Default 500 ms. */
  retryMs?: number;
}

/** One member connected here, and how far it has been told. */
interface Entry<P> {
  participant: P;
  /** News that arrived before its join was answered; they wait so that `joined` goes first. Undefined once joined. */
  waiting: RoomNews[] | undefined;
  /** Id of the newest message it has (sent, or in the history it was given). */
  lastMessageId: number;
  /** Version of the newest member list it has. */
  presenceVersion: number;
}

/**
 * The members of one room that are connected to this instance, and what each
 * has been told. The room's news come from Pub/Sub, on another connection
 * than the answers to this instance's own requests, so they can arrive
 * before or after those answers; this class puts every member's messages in
 * the order the protocol promises:
 *
 * - a newcomer gets `joined` first; news published before its join (already
 *   in `joined`) are dropped, those after it follow;
 * - a sender gets `ack` before its own `message`, whichever Redis answered first;
 * - every message once, in id order: a message whose id skips one means
 *   Pub/Sub lost some (it is at-most-once); the missing ones are read from the
 *   room's history first;
 * - a member list never older than the last one sent.
 */
export class LocalRoom<P extends ChatRecipient> {
  readonly #options: LocalRoomOptions<P>;
  readonly #entries = new Map<string, Entry<P>>();
  /** `<member id> <clientId>` of posts whose `ack` is not sent yet → the sender. */
  readonly #awaitingAck = new Map<string, P>();
  /** Id of the newest message that came through, to notice a gap. */
  #lastMessageId: number | undefined;
  /**
   * The newest member list version and message id that came through Pub/Sub
   * (not from the history): a re-read, published in order with them, can
   * only be lower if Redis lost the room.
   */
  #streamPresenceVersion = 0;
  #streamMessageId = 0;
  /** News held while the history is read to fill a gap, in arrival order. */
  #catchingUp: RoomNews[] | undefined;
  #readAgain = false;
  #closed = false;

  constructor(options: LocalRoomOptions<P>) {
    this.#options = options;
  }

  /** Members connected here, joined or joining. */
  get size(): number {
    return this.#entries.size;
  }

  /** Everyone connected here, joining or joined. */
  participants(): P[] {
    return [...this.#entries.values()].map((entry) => entry.participant);
  }

  /** Those whose join was answered: whose presence this instance renews. */
  joinedParticipants(): P[] {
    return [...this.#entries.values()].filter((entry) => !entry.waiting).map((entry) => entry.participant);
  }

  /** Starts holding the room's news for a newcomer. @returns false if it was here already (a rename). */
  add(participant: P): boolean {
    if (this.#entries.has(participant.member.id)) return false;
    this.#entries.set(participant.member.id, { participant, waiting: [], lastMessageId: 0, presenceVersion: 0 });
    return true;
  }

  /**
   * Its join was answered and `joined` sent, with the messages up to
   * `lastMessageId` and the member list of `presenceVersion`: what waited
   * after those goes out now, then news as they come.
   */
  open(participant: P, lastMessageId: number, presenceVersion: number): void {
    const entry = this.#entries.get(participant.member.id);
    if (!entry) return;
    entry.presenceVersion = Math.max(entry.presenceVersion, presenceVersion);
    const waiting = entry.waiting;
    if (!waiting) return; // a rename: it was receiving already
    entry.waiting = undefined;
    entry.lastMessageId = lastMessageId;
    for (const news of waiting) {
      const message = this.#toServerMessage(news);
      if (message && this.#accepts(entry, news)) participant.send(message);
    }
  }

  /** Nothing more of the room reaches it. @returns whether it was here. */
  remove(memberId: string): boolean {
    for (const [key, sender] of this.#awaitingAck) if (sender.member.id === memberId) this.#awaitingAck.delete(key);
    return this.#entries.delete(memberId);
  }

  /** A post of `participant` is on its way to Redis: its `ack` must precede its `message`. */
  expectAck(participant: P, clientId: string): void {
    this.#awaitingAck.set(ackKey(participant.member.id, clientId), participant);
  }

  /** The post failed: no ack is owed. */
  forgetAck(participant: P, clientId: string): void {
    this.#awaitingAck.delete(ackKey(participant.member.id, clientId));
  }

  /** Redis answered the post: sends the `ack`, unless it went out already, just before the message it acknowledges. */
  acknowledge(participant: P, clientId: string, id: number): void {
    if (this.#awaitingAck.delete(ackKey(participant.member.id, clientId))) participant.send({ type: 'ack', clientId, id });
  }

  /** A Pub/Sub message about the room, in the order Redis published it. */
  receive(news: RoomNews): void {
    if (this.#closed) return;
    if (this.#catchingUp) {
      this.#catchingUp.push(news);
      return;
    }
    const last = this.#lastMessageId;
    if (news.kind === 'message' && last !== undefined && news.message.id > last + 1) {
      this.#catchingUp = [news];
      this.#readHistory();
      return;
    }
    this.#dispatch(news);
  }

  /** Pub/Sub may have lost news (its connection was re-established): sends what the history has that members lack. */
  resync(): void {
    if (this.#closed) return;
    if (this.#catchingUp) {
      this.#readAgain = true;
      return;
    }
    this.#catchingUp = [];
    this.#readHistory();
  }

  /** Stops delivering and retrying. */
  close(): void {
    this.#closed = true;
    this.#catchingUp = undefined;
  }

  #readHistory(): void {
    this.#readAgain = false;
    this.#options.readHistory().then(
      (history) => {
        if (this.#closed) return;
        const held = this.#catchingUp ?? [];
        this.#catchingUp = undefined;
        // Each member skips what it has: the history may overlap what was delivered, and the held news too.
        for (const message of history) this.#dispatch({ kind: 'message', message }, 'history');
        for (const news of held) this.#dispatch(news);
        if (this.#readAgain) this.resync();
      },
      () => {
        // Redis is out of reach: keep holding (delivering now would skip the gap) and try again.
        setTimeout(() => {
          if (!this.#closed) this.#readHistory();
        }, this.#options.retryMs ?? 500).unref();
      },
    );
  }

  #dispatch(news: RoomNews, source: 'pub/sub' | 'history' = 'pub/sub'): void {
    if (news.kind === 'restart') {
      if (news.origin !== this.#options.instanceId) this.#options.closeForRestart(this.participants());
      return;
    }
    if (news.kind === 'presence') {
      if (news.lastMessageId !== undefined) this.#startOverIfCountersWentBack(news.version, news.lastMessageId);
      this.#streamPresenceVersion = Math.max(this.#streamPresenceVersion, news.version);
    }
    if (news.kind === 'message') {
      this.#lastMessageId = Math.max(this.#lastMessageId ?? 0, news.message.id);
      if (source === 'pub/sub') this.#streamMessageId = Math.max(this.#streamMessageId, news.message.id);
      const sender = this.#awaitingAck.get(ackKey(news.message.from.id, news.message.clientId));
      if (sender) this.acknowledge(sender, news.message.clientId, news.message.id);
    }
    const message = this.#toServerMessage(news);
    if (!message) return;
    const recipients: P[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.waiting) entry.waiting.push(news);
      else if (this.#accepts(entry, news)) recipients.push(entry.participant);
    }
    broadcast(recipients, message);
  }

  /**
   * A re-read of the room (in order with its news) found counters lower than
   * ones that came through: Redis lost the room (restarted without
   * persistence, flushed). Its ids and versions start over, so each member
   * goes on from the re-read rather than waiting for the old numbers.
   */
  #startOverIfCountersWentBack(version: number, lastMessageId: number): void {
    if (version >= this.#streamPresenceVersion && lastMessageId >= this.#streamMessageId) return;
    this.#streamPresenceVersion = version;
    this.#streamMessageId = lastMessageId;
    this.#lastMessageId = lastMessageId;
    for (const entry of this.#entries.values()) {
      if (entry.waiting) continue;
      entry.lastMessageId = lastMessageId;
      entry.presenceVersion = version - 1; // so that the re-read list itself goes out
    }
  }

  /** Whether `entry` is to be sent `news`; records that it was. */
  #accepts(entry: Entry<P>, news: RoomNews): boolean {
    const self = entry.participant.member.id;
    switch (news.kind) {
      case 'message':
        if (news.message.id <= entry.lastMessageId) return false;
        entry.lastMessageId = news.message.id;
        return true;
      case 'presence':
        if (news.version <= entry.presenceVersion) return false;
        entry.presenceVersion = news.version;
        return news.cause !== self; // the newcomer has its `joined`
      case 'typing':
        return news.member.id !== self;
      case 'restart':
        return false;
    }
  }

  #toServerMessage(news: RoomNews): ServerMessage | undefined {
    const room = this.#options.room;
    switch (news.kind) {
      case 'message':
        return { type: 'message', room, message: news.message };
      case 'presence':
        return { type: 'presence', room, members: news.members };
      case 'typing':
        return { type: 'typing', room, member: news.member, typing: news.typing };
      case 'restart':
        return undefined;
    }
  }
}

function ackKey(memberId: string, clientId: string): string {
  return `${memberId} ${clientId}`;
}
