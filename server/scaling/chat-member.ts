import WebSocket from 'ws';
import type { DemoMember, InstanceName } from '../../src/protocol/scaling.ts';
import { WS_PATH, type ClientMessage, type ServerMessage } from '../../src/protocol/websocket.ts';

/**
 * One of lesson 8's demo members: a real WebSocket client, held by the
 * companion server, in lesson 5's chat on one demo instance. It joins the
 * demo's room and keeps the member list its instance last sent, so the page
 * can see each instance's view of the room. Its presence in Redis is renewed
 * by its instance, not by it: when the instance dies or is paused, the key
 * runs out.
 */
export class ChatMember {
  readonly name: string;
  readonly instance: InstanceName;
  readonly #room: string;
  #socket: WebSocket | undefined;
  #state: DemoMember['state'] = 'disconnected';
  #memberId: string | null = null;
  #list: string[] | null = null;

  constructor(name: string, instance: InstanceName, room: string) {
    this.name = name;
    this.instance = instance;
    this.#room = room;
  }

  /** The names in its instance's member list, as last heard; null while not joined. */
  get list(): string[] | null {
    return this.#list ? [...this.#list] : null;
  }

  view(): DemoMember {
    return { name: this.name, instance: this.instance, state: this.#state, memberId: this.#memberId };
  }

  /** Connects to the instance on `port` and joins the room (dropping any earlier connection). */
  connect(port: number): void {
    this.close();
    const socket = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`);
    this.#socket = socket;
    this.#state = 'connecting';
    socket.on('message', (data) => {
      if (this.#socket !== socket) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(String(data)) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'hello') {
        const join: ClientMessage = { type: 'join', room: this.#room, name: this.name };
        socket.send(JSON.stringify(join));
      } else if (message.type === 'joined') {
        this.#state = 'joined';
        this.#memberId = message.you.id;
        this.#list = message.members.map((member) => member.name);
      } else if (message.type === 'presence') {
        this.#list = message.members.map((member) => member.name);
      }
    });
    // Its instance was killed, or the demo closed it: the member is gone from this side.
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#state = 'disconnected';
      this.#list = null;
    });
    socket.on('error', () => {}); // 'close' follows
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#state = 'disconnected';
    this.#list = null;
    socket?.terminate();
  }
}
