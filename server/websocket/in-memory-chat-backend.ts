import { broadcast } from './broadcast.ts';
import type { ChatBackend, ChatBackendHooks, ChatRecipient } from './chat-backend.ts';
import { ChatRooms, type ChatRoomsOptions } from './chat-rooms.ts';

/**
 * The chat of one server (no `REDIS_URL`): the state is a {@link ChatRooms}
 * in this process, and every member it can reach is connected here. All of it
 * happens synchronously; the promises are only there to fit the interface.
 */
export class InMemoryChatBackend<P extends ChatRecipient> implements ChatBackend<P> {
  readonly #rooms: ChatRooms<P>;
  readonly #hooks: ChatBackendHooks<P>;

  constructor(hooks: ChatBackendHooks<P>, options: ChatRoomsOptions = {}) {
    this.#rooms = new ChatRooms<P>(options);
    this.#hooks = hooks;
  }

  async join(room: string, participant: P): Promise<void> {
    const { history, members } = this.#rooms.join(room, participant);
    participant.send({ type: 'joined', room, you: participant.member, history, members });
    broadcast(this.#others(room, participant), { type: 'presence', room, members });
  }

  async leave(room: string, participant: P): Promise<void> {
    const members = this.#rooms.leave(room, participant.member.id);
    if (members && members.length > 0) broadcast(this.#rooms.participants(room), { type: 'presence', room, members });
  }

  async post(room: string, participant: P, text: string, clientId: string): Promise<void> {
    const { message, duplicate } = this.#rooms.post(room, participant.member, text, clientId);
    participant.send({ type: 'ack', clientId, id: message.id });
    // A resend (the first ack was lost): acknowledged again, delivered once.
    if (!duplicate) broadcast(this.#rooms.participants(room), { type: 'message', room, message });
  }

  async typing(room: string, participant: P, typing: boolean): Promise<void> {
    broadcast(this.#others(room, participant), { type: 'typing', room, member: participant.member, typing });
  }

  async restart(room: string): Promise<void> {
    this.#hooks.closeForRestart(this.#rooms.participants(room));
  }

  sweep(): void {
    this.#rooms.sweep();
  }

  close(): void {}

  #others(room: string, participant: P): P[] {
    return this.#rooms.participants(room).filter((each) => each !== participant);
  }
}
