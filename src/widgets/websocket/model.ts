import { batch, computed, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { WS_LIMITS, type ChatMessage, type Member, type ServerMessage } from '../../protocol/websocket.ts';
import { formatMs } from '../shared/format.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { ReconnectingSocket, type CloseInfo, type ConnectionState } from './reconnecting-socket.ts';

/**
 * The chat demo's state, with no DOM and no JSX: two panes, each with its own
 * {@link ReconnectingSocket} in the same room, and the lesson's exercise.
 * node:test drives it with fake sockets and fake timers.
 */

export type PaneId = 'a' | 'b';

export const DEFAULT_NAMES: Readonly<Record<PaneId, string>> = { a: 'Ada', b: 'Grace' };

/** "Go offline for 10 s". */
export const OFFLINE_MS = 10_000;

/** Messages "Flood" sends at once: twice the server's burst, so about half are refused. */
export const FLOOD_COUNT = 40;

/** A flood's report is final when every message was answered, or this long after it started. */
export const FLOOD_SETTLE_MS = 3_000;

export const TYPING = {
  /** The sender says "stopped typing" after this long without a keystroke. */
  idleMs: 3_000,
  /** While typing goes on, "typing" is repeated at most this often (so the others' indicator does not time out). */
  refreshMs: 2_000,
  /** The receiver hides an indicator nobody refreshed for this long (a lost "stopped" must not leave it forever). */
  expireMs: 5_000,
} as const;

/**
 * The lesson's exercise: go offline in one pane, send at least two messages
 * while it is offline, come back. It passes when the other pane has each of
 * them exactly once — counted by clientId, and with the id the server
 * acknowledged — after the outbox re-sent them on the new connection.
 */
export const EXERCISE = {
  lesson: 'websockets',
  id: 'exactly-once-offline',
  minMessages: 2,
} as const;

export type Delivery = 'sending' | 'delivered';

/** One line of a pane's message list. */
export interface ChatItem {
  key: string;
  /** The server's per-room id; null while the message waits in the outbox. */
  id: number | null;
  clientId: string;
  from: string;
  text: string;
  ts: number;
  /** Sent from this pane. */
  own: boolean;
  /** For own messages: in the outbox, or acknowledged by the server. */
  delivery: Delivery | null;
}

export interface FloodReport {
  sent: number;
  /** Acknowledged: stored and broadcast. */
  delivered: number;
  /** Answered `rate-limited`. */
  refused: number;
  startedAt: number;
  /** Every message answered, the socket closed, or {@link FLOOD_SETTLE_MS} passed. */
  done: boolean;
}

export interface ExerciseCheck {
  /** The pane the check follows (the one with the most messages sent while offline), or null. */
  pane: PaneId | null;
  wentOffline: boolean;
  /** Messages sent while that pane was offline. */
  sentWhileOffline: number;
  /** That pane is connected and back in the room. */
  back: boolean;
  /** Of those messages: acknowledged by the server. */
  acked: number;
  /** Of those messages: in the other pane exactly once, with the acknowledged id. */
  deliveredOnce: number;
  /** Of those messages: in the other pane more than once (a broken dedupe would show here). */
  duplicates: number;
  passed: boolean;
}

interface SentRecord {
  clientId: string;
  text: string;
  at: number;
  /** From the `ack`; null until then. */
  id: number | null;
  /** In the outbox (resent until acked), or sent once (the flood). */
  reliable: boolean;
}

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

export function createChatPane(options: ChatPaneOptions): ChatPane {
  const { id, socket } = options;
  const clock = options.clock ?? systemClock;
  const name = signal(options.name ?? DEFAULT_NAMES[id]);
  const room = signal<string | null>(null);
  const joinWanted = signal(false);
  const me = signal<Member | null>(null);
  const members = signal<readonly Member[]>([]);
  const received = signal<readonly ChatMessage[]>([]);
  const sent = signal<ReadonlyMap<string, SentRecord>>(new Map());
  const typers = signal<ReadonlyMap<string, string>>(new Map());
  const flood = signal<FloodReport | null>(null);
  const notice = signal<string | null>(null);
  const wentOffline = signal(false);
  const sentWhileOffline = signal<readonly string[]>([]);

  const typerTimers = new Map<string, unknown>();
  let floodIds = new Set<string>();
  let floodTimer: unknown = null;
  let typingIdleTimer: unknown = null;
  /** When "typing: true" last went out, or null when we last said we stopped. */
  let typingSince: number | null = null;

  const displayName = computed(() => me.value?.name ?? (name.value.trim() || DEFAULT_NAMES[id]));

  const items = computed<readonly ChatItem[]>(() => {
    const mine = sent.value;
    const list: ChatItem[] = [];
    const shown = new Set<string>();
    for (const message of received.value) {
      const own = mine.get(message.clientId);
      shown.add(message.clientId);
      list.push({
        key: `m${message.id}`,
        id: message.id,
        clientId: message.clientId,
        from: message.from.name,
        text: message.text,
        ts: message.ts,
        own: own !== undefined,
        delivery: own ? (own.id !== null ? 'delivered' : 'sending') : null,
      });
    }
    // Acknowledged messages whose broadcast we missed (the socket dropped in between):
    // the ack is proof enough; placed by their id.
    const pending: ChatItem[] = [];
    for (const record of mine.values()) {
      if (shown.has(record.clientId)) continue;
      if (record.id !== null) {
        list.push({
          key: `m${record.id}`,
          id: record.id,
          clientId: record.clientId,
          from: displayName.value,
          text: record.text,
          ts: record.at,
          own: true,
          delivery: 'delivered',
        });
      } else if (record.reliable) {
        pending.push({
          key: `c${record.clientId}`,
          id: null,
          clientId: record.clientId,
          from: displayName.value,
          text: record.text,
          ts: record.at,
          own: true,
          delivery: 'sending',
        });
      }
    }
    list.sort((x, y) => x.id! - y.id!);
    return [...list, ...pending];
  });

  const typingNames = computed(() => {
    const self = me.value?.id;
    return [...typers.value].filter(([memberId]) => memberId !== self).map(([, memberName]) => memberName);
  });

  const acks = computed(() => new Map([...sent.value].map(([clientId, record]) => [clientId, record.id])));

  // Whatever we knew about the room is stale once the connection is gone.
  const disposeStateEffect = effect(() => {
    const status = socket.state.value.status;
    if (status === 'open') return;
    batch(() => {
      me.value = null;
      members.value = [];
      clearTypers();
      settleFlood();
      if (status === 'offline') wentOffline.value = true;
    });
    typingSince = null; // A new connection starts with nobody thinking we type.
  });

  const removeListener = socket.onMessage((message) => batch(() => onServerMessage(message)));

  function onServerMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'joined':
        me.value = message.you;
        members.value = message.members;
        received.value = merge(received.peek(), message.history);
        clearTypers();
        notice.value = null;
        break;
      case 'presence':
        members.value = message.members;
        // Someone who left stops typing.
        for (const memberId of typers.peek().keys()) {
          if (!message.members.some((member) => member.id === memberId)) setTyper(memberId, null);
        }
        break;
      case 'message':
        received.value = merge(received.peek(), [message.message]);
        setTyper(message.message.from.id, null);
        break;
      case 'ack': {
        const record = sent.peek().get(message.clientId);
        if (record) sent.value = new Map(sent.peek()).set(message.clientId, { ...record, id: message.id });
        if (floodIds.has(message.clientId)) updateFlood({ delivered: 1 });
        break;
      }
      case 'typing':
        if (message.member.id !== me.peek()?.id) setTyper(message.member.id, message.typing ? message.member.name : null);
        break;
      case 'error': {
        const current = flood.peek();
        if (message.code === 'rate-limited' && current && !current.done) {
          updateFlood({ refused: 1 });
        } else {
          notice.value = `The server answered “${message.code}”: ${message.message}`;
        }
        break;
      }
    }
  }

  function merge(list: readonly ChatMessage[], more: readonly ChatMessage[]): readonly ChatMessage[] {
    const byId = new Map(list.map((message) => [message.id, message]));
    let changed = false;
    for (const message of more) {
      if (!byId.has(message.id)) {
        byId.set(message.id, message);
        changed = true;
      }
    }
    return changed ? [...byId.values()].sort((x, y) => x.id - y.id) : list;
  }

  function setTyper(memberId: string, memberName: string | null): void {
    const timer = typerTimers.get(memberId);
    if (timer !== undefined) clock.clearTimeout(timer);
    typerTimers.delete(memberId);
    const next = new Map(typers.peek());
    if (memberName === null) {
      if (!next.delete(memberId)) return;
    } else {
      next.set(memberId, memberName);
      typerTimers.set(
        memberId,
        clock.setTimeout(() => {
          typerTimers.delete(memberId);
          setTyper(memberId, null);
        }, TYPING.expireMs),
      );
    }
    typers.value = next;
  }

  function clearTypers(): void {
    for (const timer of typerTimers.values()) clock.clearTimeout(timer);
    typerTimers.clear();
    if (typers.peek().size > 0) typers.value = new Map();
  }

  function updateFlood(change: { delivered?: number; refused?: number }): void {
    const current = flood.peek();
    if (!current) return;
    const next = {
      ...current,
      delivered: current.delivered + (change.delivered ?? 0),
      refused: current.refused + (change.refused ?? 0),
    };
    flood.value = next;
    if (next.delivered + next.refused >= next.sent) settleFlood();
  }

  function settleFlood(): void {
    if (floodTimer !== null) clock.clearTimeout(floodTimer);
    floodTimer = null;
    const current = flood.peek();
    if (current && !current.done) flood.value = { ...current, done: true };
  }

  function stopTyping(): void {
    if (typingIdleTimer !== null) clock.clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingSince !== null) {
      typingSince = null;
      socket.send({ type: 'typing', typing: false });
    }
  }

  function start(roomName: string): void {
    room.value = roomName;
    socket.connect();
  }

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
    stopTyping();
    socket.leave();
    batch(() => {
      joinWanted.value = false;
      me.value = null;
      members.value = [];
      clearTypers();
    });
  }

  function send(text: string): boolean {
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
    stopTyping();
    const offline = socket.state.peek().status === 'offline';
    const clientId = socket.sendMessage(message);
    batch(() => {
      sent.value = new Map(sent.peek()).set(clientId, { clientId, text: message, at: clock.now(), id: null, reliable: true });
      if (offline) sentWhileOffline.value = [...sentWhileOffline.peek(), clientId];
      notice.value = null;
    });
    return true;
  }

  function input(text: string): void {
    if (!socket.inRoom.peek()) return;
    if (text.trim().length === 0) {
      stopTyping();
      return;
    }
    const now = clock.now();
    // Say "typing" once, then again only every refreshMs: one frame per keystroke would be chatty.
    if (typingSince === null || now - typingSince >= TYPING.refreshMs) {
      if (socket.send({ type: 'typing', typing: true })) typingSince = now;
    }
    if (typingIdleTimer !== null) clock.clearTimeout(typingIdleTimer);
    typingIdleTimer = clock.setTimeout(() => {
      typingIdleTimer = null;
      stopTyping();
    }, TYPING.idleMs);
  }

  function sendFlood(count = FLOOD_COUNT): boolean {
    if (!socket.inRoom.peek()) return false;
    stopTyping();
    settleFlood();
    floodIds = new Set();
    const records = new Map(sent.peek());
    let sentCount = 0;
    for (let index = 1; index <= count; index++) {
      const text = `Flood ${index}/${count}`;
      const clientId = socket.sendMessageOnce(text);
      if (!clientId) break;
      floodIds.add(clientId);
      records.set(clientId, { clientId, text, at: clock.now(), id: null, reliable: false });
      sentCount++;
    }
    batch(() => {
      sent.value = records;
      flood.value = { sent: sentCount, delivered: 0, refused: 0, startedAt: clock.now(), done: sentCount === 0 };
    });
    floodTimer = clock.setTimeout(() => {
      floodTimer = null;
      settleFlood();
    }, FLOOD_SETTLE_MS);
    return sentCount > 0;
  }

  function dispose(): void {
    stopTyping();
    clearTypers();
    settleFlood();
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
    flood,
    notice,
    wentOffline,
    sentWhileOffline,
    acks,
    start,
    join,
    leave,
    send,
    input,
    kill: () => socket.simulate('drop'),
    goOffline: (ms = OFFLINE_MS) => {
      stopTyping();
      socket.goOffline(ms);
    },
    sendFlood,
    restart: () => socket.simulate('restart'),
    reconnect: () => socket.connect(),
    dispose,
  };
}

/** Checks the exercise for the pane that went offline (see {@link EXERCISE}). Pure, for tests and the view. */
export function checkExercise(panes: readonly [ChatPane, ChatPane]): ExerciseCheck {
  const [a, b] = panes;
  const candidates = [
    { pane: a, other: b },
    { pane: b, other: a },
  ];
  const scored = candidates
    .map(({ pane, other }) => ({ pane, other, check: checkPane(pane, other) }))
    .sort(
      (x, y) =>
        Number(y.check.passed) - Number(x.check.passed) ||
        y.check.sentWhileOffline - x.check.sentWhileOffline ||
        Number(y.check.wentOffline) - Number(x.check.wentOffline),
    );
  const best = scored[0]!;
  return best.check.wentOffline || best.check.sentWhileOffline > 0 ? best.check : { ...best.check, pane: null };
}

function checkPane(pane: ChatPane, other: ChatPane): ExerciseCheck {
  const ids = pane.sentWhileOffline.value;
  const acks = pane.acks.value;
  const copies = new Map<string, ChatMessage[]>();
  for (const message of other.received.value) {
    if (!ids.includes(message.clientId)) continue;
    copies.set(message.clientId, [...(copies.get(message.clientId) ?? []), message]);
  }
  let acked = 0;
  let deliveredOnce = 0;
  let duplicates = 0;
  for (const clientId of ids) {
    const ackedId = acks.get(clientId) ?? null;
    if (ackedId !== null) acked++;
    const found = copies.get(clientId) ?? [];
    if (found.length > 1) duplicates++;
    else if (found.length === 1 && found[0]!.id === ackedId) deliveredOnce++;
  }
  const back = pane.socket.state.value.status === 'open' && pane.socket.inRoom.value;
  return {
    pane: pane.id,
    wentOffline: pane.wentOffline.value,
    sentWhileOffline: ids.length,
    back,
    acked,
    deliveredOnce,
    duplicates,
    passed: ids.length >= EXERCISE.minMessages && back && acked === ids.length && deliveredOnce === ids.length && duplicates === 0,
  };
}

export interface ChatDemoModel {
  readonly panes: readonly [ChatPane, ChatPane];
  readonly room: ReadonlySignal<string | null>;
  /** Some pane is connected and in the room, so it can ask for a restart. */
  readonly canRestart: ReadonlySignal<boolean>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  /** True once the exercise passed (in this model's life). */
  readonly exerciseDone: ReadonlySignal<boolean>;
  /** Connects both panes to `room`. */
  start(room: string): void;
  /** "Restart the server side": 1012 to every socket in the room. */
  restart(): boolean;
  dispose(): void;
}

export interface ChatDemoOptions {
  /** Makes each pane's socket; default a {@link ReconnectingSocket} to the page's `/ws`. */
  createSocket?: (id: PaneId) => ReconnectingSocket;
  clock?: Clock;
  /** Called once, the first time the exercise passes. */
  onExerciseComplete?: () => void;
}

/** Creates both panes. Touches no browser API until `start()`. */
export function createChatDemo(options: ChatDemoOptions = {}): ChatDemoModel {
  const createSocket = options.createSocket ?? (() => new ReconnectingSocket({ clock: options.clock }));
  const panes = [
    createChatPane({ id: 'a', socket: createSocket('a'), clock: options.clock }),
    createChatPane({ id: 'b', socket: createSocket('b'), clock: options.clock }),
  ] as const;
  const room = signal<string | null>(null);
  const exerciseDone = signal(false);
  const exercise = computed(() => checkExercise(panes));
  const canRestart = computed(() => panes.some((pane) => pane.socket.inRoom.value));

  const disposeExerciseEffect = effect(() => {
    if (!exercise.value.passed || exerciseDone.peek()) return;
    exerciseDone.value = true;
    options.onExerciseComplete?.();
  });

  return {
    panes,
    room,
    canRestart,
    exercise,
    exerciseDone,
    start(name) {
      room.value = name;
      for (const pane of panes) pane.start(name);
    },
    restart() {
      const pane = panes.find((candidate) => candidate.socket.inRoom.peek());
      return pane ? pane.restart() : false;
    },
    dispose() {
      disposeExerciseEffect();
      for (const pane of panes) pane.dispose();
    },
  };
}

const BADGE: Record<ConnectionState['status'], string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Open',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  closed: 'Closed',
};

/** The connection badge's word. */
export function badgeLabel(state: ConnectionState): string {
  return BADGE[state.status];
}

/** `1012 Service Restart` (and the reason, when the server gave one). */
export function describeClose(close: CloseInfo): string {
  const reason = close.reason && close.reason !== close.name ? ` (“${close.reason}”)` : '';
  // "close code" in words: a bare 4000 next to "after" reads like a duration.
  return `close code ${close.code} ${close.name}${reason}`;
}

/**
 * The sentence under the badge. It changes only when the state does (it sits in
 * a live region: a ticking countdown there would be read out every second);
 * {@link describeCountdown} gives the countdown.
 */
export function describeConnection(state: ConnectionState, close: CloseInfo | null): string {
  switch (state.status) {
    case 'idle':
      return 'Not connected yet.';
    case 'connecting':
      return state.attempt === 0 ? 'Opening the WebSocket (HTTP Upgrade)…' : `Reconnecting now (attempt ${state.attempt})…`;
    case 'open':
      return close ? `Connected again after ${describeClose(close)}.` : 'Connected.';
    case 'reconnecting': {
      const why = close ? `Closed (${describeClose(close)}). ` : '';
      return `${why}Reconnecting after a random wait of ${formatMs(state.delayMs)} (attempt ${state.attempt}).`;
    }
    case 'offline':
      return 'Offline (simulated): no connection, no reconnecting. Messages you send wait in the outbox.';
    case 'closed':
      return close ? `Closed (${describeClose(close)}). ${state.reason}` : state.reason;
  }
}

/** What is left of a wait at time `now`: `in 0.4 s` while reconnecting, `back in 7 s` while offline; '' otherwise. */
export function describeCountdown(state: ConnectionState, now: number): string {
  if (state.status === 'reconnecting') return `in ${formatMs(Math.max(0, state.at - now))}`;
  if (state.status === 'offline') return `back in ${Math.max(0, Math.ceil((state.until - now) / 1000))} s`;
  return '';
}

/** "Grace is typing…", "Ada and Grace are typing…", or "" when nobody is. */
export function describeTyping(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
}

/** The flood's result in a sentence. */
export function describeFlood(report: FloodReport, limits: { ratePerSecond: number; burst: number } = WS_LIMITS): string {
  const unanswered = report.sent - report.delivered - report.refused;
  const tail = report.done ? (unanswered > 0 ? `; ${unanswered} got no answer (the connection ended).` : '.') : ', waiting for the rest…';
  return (
    `Flood: ${report.sent} messages sent at once → ${report.delivered} got through, ${report.refused} refused as rate-limited` +
    `${tail} The server allows a burst of ${limits.burst}, then ${limits.ratePerSecond} per second.`
  );
}
