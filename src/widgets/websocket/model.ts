import { batch, computed, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { WS_LIMITS, type ChatMessage, type Member, type ServerMessage } from '../../protocol/websocket.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { chatItems, mergeMessages, type ChatItem, type SentRecord } from './chat-items.ts';
import { createFloodTracker, FLOOD_COUNT, type FloodReport, type FloodTracker } from './flood.ts';
import type { ReconnectingSocket } from './reconnecting-socket.ts';
import { createTypers, createTypingSender, type Typers, type TypingSender } from './typing.ts';

/**
 * One pane of the chat demo, with no DOM and no JSX: its own
 * {@link ReconnectingSocket} in the demo's room (chat-demo.ts holds both
 * panes and the exercise). node:test drives it with fake sockets and fake timers.
 */

export type PaneId = 'a' | 'b';

export const DEFAULT_NAMES: Readonly<Record<PaneId, string>> = { a: 'Ada', b: 'Grace' };

/** "Go offline for 10 s". */
export const OFFLINE_MS = 10_000;

export interface ChatPane {
  readonly id: PaneId;
  readonly socket: ReconnectingSocket;
  /** The name field; used when joining. */
  readonly name: Signal<string>;
  /** The name to show for this pane: the joined name, else the field, else the default. */
  readonly displayName: ReadonlySignal<string>;
  /** The reader pressed Join (and not Leave): the socket joins on every connection. */
  readonly joinWanted: ReadonlySignal<boolean>;
  /** This connection's member, once `joined`. */
  readonly me: ReadonlySignal<Member | null>;
  /** Who is in the room, as the server last said (empty while disconnected: we cannot know). */
  readonly members: ReadonlySignal<readonly Member[]>;
  /** Every chat message received (broadcasts and history), by id, once per id. */
  readonly received: ReadonlySignal<readonly ChatMessage[]>;
  /** What the message list shows: received messages, and own ones still in the outbox. */
  readonly items: ReadonlySignal<readonly ChatItem[]>;
  /** Names of the others typing now. */
  readonly typingNames: ReadonlySignal<readonly string[]>;
  readonly flood: ReadonlySignal<FloodReport | null>;
  /** The latest problem (a server `error`, a refused input), or null. */
  readonly notice: ReadonlySignal<string | null>;
  /** For the exercise: the pane has been offline (went offline by the reader's hand). */
  readonly wentOffline: ReadonlySignal<boolean>;
  /** For the exercise: clientIds of messages sent while offline. */
  readonly sentWhileOffline: ReadonlySignal<readonly string[]>;
  /** Client ids of this pane's messages, mapped to the acknowledged id (null until the ack). */
  readonly acks: ReadonlySignal<ReadonlyMap<string, number | null>>;

  /** Connects (to `room`, which it will join when the reader says so). */
  start(room: string): void;
  /** Joins with the name in the field; false (and a notice) when the name is not acceptable. */
  join(): boolean;
  leave(): void;
  /** Queues a message (sent at once when connected); false when refused (empty, too long, not joined). */
  send(text: string): boolean;
  /** The composer's text changed: drives the typing indicator the others see. */
  input(text: string): void;
  /** Asks the server to cut this socket with no close frame. */
  kill(): boolean;
  goOffline(ms?: number): void;
  /** Sends `count` messages at once, outside the outbox. */
  sendFlood(count?: number): boolean;
  /** Asks the server to restart (1012) every socket in the room. */
  restart(): boolean;
  /** Reconnects now (after a close that is not retried, e.g. 1008). */
  reconnect(): void;
  dispose(): void;
}

export interface ChatPaneOptions {
  id: PaneId;
  socket: ReconnectingSocket;
  name?: string;
  clock?: Clock;
}

/** A pane's own state: what the server said, and what the pane sent. */
interface PaneState {
  socket: ReconnectingSocket;
  clock: Clock;
  me: Signal<Member | null>;
  members: Signal<readonly Member[]>;
  received: Signal<readonly ChatMessage[]>;
  sent: Signal<ReadonlyMap<string, SentRecord>>;
  notice: Signal<string | null>;
  joinWanted: Signal<boolean>;
  sentWhileOffline: Signal<readonly string[]>;
  typers: Typers;
  typing: TypingSender;
  flood: FloodTracker;
}

export function createChatPane(options: ChatPaneOptions): ChatPane {
  const { id, socket } = options;
  const clock = options.clock ?? systemClock;
  const name = signal(options.name ?? DEFAULT_NAMES[id]);
  const room = signal<string | null>(null);
  const wentOffline = signal(false);
  const state: PaneState = {
    socket,
    clock,
    me: signal(null),
    members: signal([]),
    received: signal([]),
    sent: signal(new Map()),
    notice: signal(null),
    joinWanted: signal(false),
    sentWhileOffline: signal([]),
    typers: createTypers(clock),
    typing: createTypingSender((on) => socket.send({ type: 'typing', typing: on }), clock),
    flood: createFloodTracker(clock),
  };
  const { me, members, received, sent, notice, joinWanted, sentWhileOffline, typers, typing, flood } = state;

  const displayName = computed(() => me.value?.name ?? (name.value.trim() || DEFAULT_NAMES[id]));
  const items = computed<readonly ChatItem[]>(() => chatItems(received.value, sent.value, displayName.value));
  const typingNames = computed(() => {
    const self = me.value?.id;
    return [...typers.byMember.value].filter(([memberId]) => memberId !== self).map(([, memberName]) => memberName);
  });
  const acks = computed(() => new Map([...sent.value].map(([clientId, record]) => [clientId, record.id])));

  // Whatever we knew about the room is stale once the connection is gone.
  const disposeStateEffect = effect(() => {
    const status = socket.state.value.status;
    if (status === 'open') return;
    batch(() => {
      me.value = null;
      members.value = [];
      typers.clear();
      flood.settle();
      if (status === 'offline') wentOffline.value = true;
    });
    typing.forget();
  });

  const removeListener = socket.onMessage((message) => batch(() => applyServerMessage(state, message)));

  function join(): boolean {
    const wanted = name.peek().trim();
    if (wanted.length === 0 || wanted.length > WS_LIMITS.maxNameLength) {
      notice.value = `Choose a name of 1 to ${WS_LIMITS.maxNameLength} characters.`;
      return false;
    }
    const roomName = room.peek();
    if (!roomName) return false;
    batch(() => {
      name.value = wanted;
      joinWanted.value = true;
      notice.value = null;
    });
    socket.join(roomName, wanted);
    return true;
  }

  function leave(): void {
    typing.stop();
    socket.leave();
    batch(() => {
      joinWanted.value = false;
      me.value = null;
      members.value = [];
      typers.clear();
    });
  }

  function dispose(): void {
    typing.stop();
    typers.clear();
    flood.settle();
    removeListener();
    disposeStateEffect();
    socket.dispose();
  }

  return {
    id,
    socket,
    name,
    displayName,
    joinWanted,
    me,
    members,
    received,
    items,
    typingNames,
    flood: flood.report,
    notice,
    wentOffline,
    sentWhileOffline,
    acks,
    start(roomName) {
      room.value = roomName;
      socket.connect();
    },
    join,
    leave,
    send: (text) => sendChat(state, text),
    input(text) {
      if (socket.inRoom.peek()) typing.input(text);
    },
    kill: () => socket.simulate('drop'),
    goOffline: (ms = OFFLINE_MS) => {
      typing.stop();
      socket.goOffline(ms);
    },
    sendFlood: (count) => sendFlood(state, count),
    restart: () => socket.simulate('restart'),
    reconnect: () => socket.connect(),
    dispose,
  };
}

/** What a message from the server changes in the pane. */
function applyServerMessage(state: PaneState, message: ServerMessage): void {
  const { me, members, received, sent, notice, typers, flood } = state;
  switch (message.type) {
    case 'joined':
      me.value = message.you;
      members.value = message.members;
      received.value = mergeMessages(received.peek(), message.history);
      typers.clear();
      notice.value = null;
      break;
    case 'presence':
      members.value = message.members;
      // Someone who left stops typing.
      for (const memberId of typers.byMember.peek().keys()) {
        if (!message.members.some((member) => member.id === memberId)) typers.set(memberId, null);
      }
      break;
    case 'message':
      received.value = mergeMessages(received.peek(), [message.message]);
      typers.set(message.message.from.id, null);
      break;
    case 'ack': {
      const record = sent.peek().get(message.clientId);
      if (record) sent.value = new Map(sent.peek()).set(message.clientId, { ...record, id: message.id });
      if (flood.has(message.clientId)) flood.count('delivered');
      break;
    }
    case 'typing':
      if (message.member.id !== me.peek()?.id) typers.set(message.member.id, message.typing ? message.member.name : null);
      break;
    case 'error':
      if (message.code === 'rate-limited' && flood.running) flood.count('refused');
      else notice.value = `The server answered “${message.code}”: ${message.message}`;
      break;
  }
}

/** Queues a chat message in the socket's outbox; false (with a notice) when refused. */
function sendChat(state: PaneState, text: string): boolean {
  const { socket, clock, sent, notice, joinWanted, sentWhileOffline, typing } = state;
  const message = text.trim();
  if (!joinWanted.peek()) {
    notice.value = 'Join the room first.';
    return false;
  }
  if (message.length === 0) return false;
  if (message.length > WS_LIMITS.maxTextLength) {
    notice.value = `A message is at most ${WS_LIMITS.maxTextLength} characters.`;
    return false;
  }
  typing.stop();
  const offline = socket.state.peek().status === 'offline';
  const clientId = socket.sendMessage(message);
  batch(() => {
    sent.value = new Map(sent.peek()).set(clientId, { clientId, text: message, at: clock.now(), id: null, reliable: true });
    if (offline) sentWhileOffline.value = [...sentWhileOffline.peek(), clientId];
    notice.value = null;
  });
  return true;
}

/** Sends `count` messages at once, outside the outbox, and follows their answers. */
function sendFlood(state: PaneState, count = FLOOD_COUNT): boolean {
  const { socket, clock, sent, typing, flood } = state;
  if (!socket.inRoom.peek()) return false;
  typing.stop();
  flood.settle();
  const records = new Map(sent.peek());
  const ids: string[] = [];
  for (let index = 1; index <= count; index++) {
    const text = `Flood ${index}/${count}`;
    const clientId = socket.sendMessageOnce(text);
    if (!clientId) break;
    ids.push(clientId);
    records.set(clientId, { clientId, text, at: clock.now(), id: null, reliable: false });
  }
  batch(() => {
    sent.value = records;
    flood.start(ids);
  });
  return ids.length > 0;
}
