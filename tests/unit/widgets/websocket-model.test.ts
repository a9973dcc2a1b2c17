import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WS_LIMITS, type ChatMessage, type ClientMessage, type Member } from '../../../src/protocol/websocket.ts';
import { ReconnectingSocket } from '../../../src/widgets/websocket/reconnecting-socket.ts';
import { createChatDemo, type ChatDemoModel } from '../../../src/widgets/websocket/chat-demo.ts';
import { EXERCISE } from '../../../src/widgets/websocket/chat-exercise.ts';
import { describeConnection, describeCountdown, describeFlood, describeTyping } from '../../../src/widgets/websocket/chat-text.ts';
import { FLOOD_COUNT } from '../../../src/widgets/websocket/flood.ts';
import { OFFLINE_MS, type ChatPane, type PaneId } from '../../../src/widgets/websocket/model.ts';
import { TYPING } from '../../../src/widgets/websocket/typing.ts';
import { FakeWebSocket, fakeHello, type FakeServerSide } from './fake-websocket.ts';
import { advance, type Steps } from '../support/fake-time.ts';

/**
 * A small in-memory chat server with the real one's rules (rooms, presence,
 * acks, dedupe by clientId, a token bucket), answering the fake sockets.
 */

interface Connection {
  ws: FakeWebSocket;
  member: Member;
  room: string | null;
  tokens: number;
}

/**
 * The real server's chat rules, in memory. Answers arrive 1 ms after the
 * request (a mocked timer), never inside `send()`, as on a network.
 */
export class FakeChatServer implements FakeServerSide {
  readonly rooms = new Map<string, { nextId: number; history: ChatMessage[]; byClientId: Map<string, ChatMessage> }>();
  readonly connections = new Map<FakeWebSocket, Connection>();
  /** Messages stored (not counting deduped resends). */
  stored = 0;
  /** Resends answered from the dedupe table. */
  deduped = 0;
  /** Token bucket size; no refill (the tests freeze time around a flood). */
  burst: number = WS_LIMITS.burst;
  /** When true, the next stored message's ack is lost: the sender's connection dies right after storing and broadcasting. */
  loseNextAck = false;
  /** When false, new sockets never open (connection refused: they fail with 1006). */
  accepting = true;
  #connectionSeq = 0;

  attach(ws: FakeWebSocket): void {
    setTimeout(() => {
      if (!this.accepting) {
        ws.drop();
        return;
      }
      const id = `m${++this.#connectionSeq}`;
      this.connections.set(ws, { ws, member: { id, name: '' }, room: null, tokens: this.burst });
      ws.serverOpen();
      ws.serverSend(fakeHello(id));
    }, 1);
  }

  detach(ws: FakeWebSocket): void {
    const connection = this.connections.get(ws);
    if (!connection) return;
    this.connections.delete(ws);
    if (connection.room) this.#presence(connection.room);
  }

  receive(ws: FakeWebSocket, data: string): void {
    setTimeout(() => this.#handle(ws, JSON.parse(data) as ClientMessage), 1);
  }

  /** Sends `code` to every open socket, as a restart would. */
  closeAll(code: number, reason = ''): void {
    for (const { ws } of [...this.connections.values()]) ws.serverClose(code, reason);
  }

  #handle(ws: FakeWebSocket, message: ClientMessage): void {
    const connection = this.connections.get(ws);
    if (!connection || ws.readyState !== 1) return;
    if (connection.tokens <= 0) {
      ws.serverSend({ type: 'error', code: 'rate-limited', message: 'Too many messages.' });
      return;
    }
    connection.tokens--;
    switch (message.type) {
      case 'join': {
        const previous = connection.room;
        connection.room = message.room;
        connection.member = { ...connection.member, name: message.name };
        if (previous && previous !== message.room) this.#presence(previous);
        const room = this.#room(message.room);
        ws.serverSend({
          type: 'joined',
          room: message.room,
          you: connection.member,
          history: room.history,
          members: this.#members(message.room),
        });
        this.#presence(message.room, ws);
        break;
      }
      case 'leave': {
        const room = connection.room;
        connection.room = null;
        if (room) this.#presence(room);
        break;
      }
      case 'message': {
        if (!connection.room) {
          ws.serverSend({ type: 'error', code: 'not-in-room', message: 'Join a room first.' });
          return;
        }
        const room = this.#room(connection.room);
        const known = room.byClientId.get(message.clientId);
        if (known) {
          this.deduped++;
          ws.serverSend({ type: 'ack', clientId: message.clientId, id: known.id });
          return;
        }
        const stored: ChatMessage = {
          id: room.nextId++,
          clientId: message.clientId,
          from: connection.member,
          text: message.text,
          ts: Date.now(),
        };
        room.history.push(stored);
        room.byClientId.set(stored.clientId, stored);
        this.stored++;
        if (this.loseNextAck) {
          this.loseNextAck = false;
          for (const other of this.#inRoom(connection.room))
            if (other !== connection) other.ws.serverSend({ type: 'message', room: connection.room, message: stored });
          ws.drop();
          return;
        }
        ws.serverSend({ type: 'ack', clientId: message.clientId, id: stored.id });
        for (const other of this.#inRoom(connection.room)) other.ws.serverSend({ type: 'message', room: connection.room, message: stored });
        break;
      }
      case 'typing':
        if (!connection.room) return;
        for (const other of this.#inRoom(connection.room)) {
          if (other !== connection)
            other.ws.serverSend({ type: 'typing', room: connection.room, member: connection.member, typing: message.typing });
        }
        break;
      case 'simulate':
        if (message.fault === 'drop') ws.drop();
        else if (connection.room) for (const other of this.#inRoom(connection.room)) other.ws.serverClose(1012, 'restart');
        break;
      default:
        break;
    }
  }

  #room(name: string) {
    let room = this.rooms.get(name);
    if (!room) {
      room = { nextId: 1, history: [], byClientId: new Map() };
      this.rooms.set(name, room);
    }
    return room;
  }

  #inRoom(room: string): Connection[] {
    return [...this.connections.values()].filter((connection) => connection.room === room);
  }

  #members(room: string): Member[] {
    return this.#inRoom(room).map((connection) => connection.member);
  }

  #presence(room: string, except?: FakeWebSocket): void {
    const members = this.#members(room);
    for (const connection of this.#inRoom(room)) {
      if (connection.ws !== except) connection.ws.serverSend({ type: 'presence', room, members });
    }
  }
}

// ── the story ───────────────────────────────────────────────────────────────

const T0 = 1_800_000_000_000;
const ROOM = 'ws-test0001';
let server: FakeChatServer;
let demo: ChatDemoModel;
let completions = 0;

function makeDemo(random: (id: PaneId) => () => number = () => () => 0.5): ChatDemoModel {
  completions = 0;
  demo = createChatDemo({
    createSocket: (id) => new ReconnectingSocket({ url: 'ws://server.test/ws', WebSocket: FakeWebSocket, random: random(id) }),
    onExerciseComplete: () => completions++,
  });
  return demo;
}

/** Both panes connected and joined, as Ada and Grace. */
async function joinBoth(): Promise<[ChatPane, ChatPane]> {
  makeDemo();
  demo.start(ROOM);
  await advance(5, ONE_MS);
  const [ada, grace] = demo.panes;
  assert.ok(ada.join());
  assert.ok(grace.join());
  await advance(5, ONE_MS);
  return [ada, grace];
}

/**
 * Time moves 1 ms at a time: mock.timers.tick(n) runs only the timers already
 * due, not those the callbacks schedule on the way (a reconnect timer that
 * opens a socket whose answer comes 1 ms later). The fake sockets answer
 * through timers and await nothing, so there is nothing to settle.
 */
const ONE_MS: Steps = { stepMs: 1, settleTurns: 0 };

const names = (members: readonly Member[]) => members.map((member) => member.name).sort();
const texts = (pane: ChatPane) => pane.received.value.map((message) => message.text);
const copiesOf = (pane: ChatPane, clientId: string) => pane.received.value.filter((message) => message.clientId === clientId);

beforeEach(() => {
  FakeWebSocket.reset();
  server = new FakeChatServer();
  FakeWebSocket.server = server;
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
});

afterEach(() => {
  demo?.dispose();
  mock.timers.reset();
});

describe('two panes in one room', () => {
  it('connect, join, and see each other in the room', async () => {
    const [ada, grace] = await joinBoth();
    assert.equal(FakeWebSocket.instances.length, 2, 'two real sockets');
    assert.equal(ada.socket.state.value.status, 'open');
    assert.equal(ada.me.value?.name, 'Ada');
    assert.deepEqual(names(ada.members.value), ['Ada', 'Grace']);
    assert.deepEqual(names(grace.members.value), ['Ada', 'Grace']);
    assert.equal(demo.canRestart.value, true);
  });

  it('deliver a message to both panes, ticking "sending" then "delivered" for the sender', async () => {
    const [ada, grace] = await joinBoth();
    assert.ok(ada.send('  hello Grace  '));
    const pending = ada.items.value.at(-1)!;
    assert.deepEqual([pending.text, pending.own, pending.delivery, pending.id], ['hello Grace', true, 'sending', null]);
    await advance(5, ONE_MS);
    const mine = ada.items.value.at(-1)!;
    assert.deepEqual([mine.text, mine.delivery, mine.id], ['hello Grace', 'delivered', 1]);
    const theirs = grace.items.value.at(-1)!;
    assert.deepEqual([theirs.text, theirs.from, theirs.own, theirs.delivery], ['hello Grace', 'Ada', false, null]);
    assert.equal(ada.items.value.length, 1, 'the broadcast back to the sender is not a second line');
  });

  it('refuse empty, too long, and not-joined messages', async () => {
    makeDemo();
    demo.start(ROOM);
    await advance(5, ONE_MS);
    const [ada] = demo.panes;
    assert.equal(ada.send('too early'), false);
    assert.match(ada.notice.value ?? '', /Join/);
    ada.join();
    assert.equal(ada.send('   '), false);
    assert.equal(ada.send('x'.repeat(WS_LIMITS.maxTextLength + 1)), false);
    assert.match(ada.notice.value ?? '', /at most/);
    ada.name.value = ' ';
    ada.leave();
    assert.equal(ada.join(), false, 'a blank name is refused');
  });

  it('show who is typing, and stop after 3 s without a keystroke', async () => {
    const [ada, grace] = await joinBoth();
    ada.input('h');
    ada.input('he');
    await advance(5, ONE_MS);
    assert.deepEqual(grace.typingNames.value, ['Ada']);
    assert.equal(describeTyping(grace.typingNames.value), 'Ada is typing…');
    assert.deepEqual(ada.typingNames.value, [], 'not to yourself');
    const typingFrames = () => ada.socket.frames.value.filter((frame) => frame.direction === 'up' && frame.type === 'typing').length;
    assert.equal(typingFrames(), 1, 'one frame, not one per keystroke');
    await advance(TYPING.idleMs + 5, ONE_MS);
    assert.deepEqual(grace.typingNames.value, []);
    assert.equal(typingFrames(), 2, '"stopped" went out');
  });

  it('clear the typing indicator when the message arrives', async () => {
    const [ada, grace] = await joinBoth();
    ada.input('hi');
    await advance(5, ONE_MS);
    assert.deepEqual(grace.typingNames.value, ['Ada']);
    ada.send('hi');
    await advance(5, ONE_MS);
    assert.deepEqual(grace.typingNames.value, []);
  });
});

describe('faults', () => {
  it('kill my socket: 1006, reconnect with backoff, rejoin, presence again', async () => {
    const [ada, grace] = await joinBoth();
    ada.kill();
    await advance(2, ONE_MS);
    assert.equal(ada.socket.state.value.status, 'reconnecting');
    assert.equal(ada.socket.lastClose.value?.code, 1006);
    assert.deepEqual(ada.members.value, [], 'presence is unknown while disconnected');
    assert.deepEqual(names(grace.members.value), ['Grace']);
    await advance(500, ONE_MS);
    assert.equal(ada.socket.state.value.status, 'open');
    assert.equal(ada.socket.inRoom.value, true);
    assert.deepEqual(names(grace.members.value), ['Ada', 'Grace']);
  });

  it('restart the server side: both get 1012 and come back after different random waits', async () => {
    const randoms: Record<PaneId, number> = { a: 0.2, b: 0.9 };
    makeDemo((id) => () => randoms[id]);
    demo.start(ROOM);
    await advance(5, ONE_MS);
    const [ada, grace] = demo.panes;
    ada.join();
    grace.join();
    await advance(5, ONE_MS);
    assert.ok(demo.restart());
    await advance(2, ONE_MS);
    const states = demo.panes.map((pane) => pane.socket.state.value);
    assert.deepEqual(
      states.map((state) => state.status === 'reconnecting' && state.delayMs),
      [100, 450],
    );
    assert.deepEqual(
      demo.panes.map((pane) => pane.socket.lastClose.value?.code),
      [1012, 1012],
    );
    await advance(110, ONE_MS);
    assert.equal(ada.socket.state.value.status, 'open');
    assert.equal(grace.socket.state.value.status, 'reconnecting');
    await advance(400, ONE_MS);
    assert.equal(grace.socket.state.value.status, 'open');
    assert.deepEqual(names(ada.members.value), ['Ada', 'Grace']);
    assert.match(describeConnection(ada.socket.state.value, ada.socket.lastClose.value), /after close code 1012 Service Restart/);
  });

  it('flood: about half get through, the rest are refused as rate-limited and never resent', async () => {
    server.burst = 20 + 1; // the join uses one token
    const [ada, grace] = await joinBoth();
    ada.sendFlood();
    await advance(5, ONE_MS);
    const report = ada.flood.value!;
    assert.deepEqual([report.sent, report.delivered, report.refused, report.done], [FLOOD_COUNT, 20, 20, true]);
    assert.match(describeFlood(report), /40 messages sent at once → 20 got through, 20 refused as rate-limited\./);
    assert.equal(grace.received.value.length, 20);
    assert.equal(ada.items.value.length, 20, 'refused messages are not shown as pending');
    assert.ok(ada.items.value.every((item) => item.delivery === 'delivered'));
    assert.deepEqual(ada.socket.outbox.value, []);
    assert.equal(ada.notice.value, null, 'the refusals are counted, not shown as errors');
  });

  it('a flood cut short by the connection settles at once', async () => {
    const [ada] = await joinBoth();
    ada.sendFlood(5);
    ada.socket.goOffline(1_000);
    assert.equal(ada.flood.value?.done, true);
    assert.match(describeFlood(ada.flood.value!), /5 got no answer/);
  });
});

describe('exactly once', () => {
  it('a lost ack: the resend after reconnect is acknowledged with the same id and not delivered twice', async () => {
    const [ada, grace] = await joinBoth();
    server.loseNextAck = true;
    ada.send('did it arrive?');
    await advance(2, ONE_MS);
    assert.equal(ada.socket.state.value.status, 'reconnecting');
    assert.equal(ada.items.value.at(-1)?.delivery, 'sending', 'no ack: the sender cannot know');
    assert.deepEqual(texts(grace), ['did it arrive?'], 'yet it was stored and delivered');

    await advance(500, ONE_MS);
    assert.equal(server.deduped, 1, 'the outbox sent it again, with the same clientId');
    assert.equal(server.stored, 1);
    const clientId = ada.items.value.at(-1)!.clientId;
    assert.equal(copiesOf(grace, clientId).length, 1);
    assert.deepEqual(
      ada.items.value.map((item) => [item.text, item.delivery, item.id]),
      [['did it arrive?', 'delivered', 1]],
    );
  });

  it('the exercise: offline, two messages, back: each exactly once in the other pane', async () => {
    const [ada, grace] = await joinBoth();
    assert.equal(demo.exercise.value.pane, null);
    ada.goOffline(OFFLINE_MS);
    await advance(5, ONE_MS);
    assert.equal(ada.socket.state.value.status, 'offline');
    assert.deepEqual(names(grace.members.value), ['Grace'], 'Ada left the room');
    assert.match(describeConnection(ada.socket.state.value, ada.socket.lastClose.value), /Offline/);
    assert.equal(describeCountdown(ada.socket.state.value, Date.now()), 'back in 10 s');
    assert.equal(describeCountdown(ada.socket.state.value, Date.now() + 2_500), 'back in 8 s');

    ada.send('first while offline');
    ada.send('second while offline');
    assert.deepEqual(
      ada.items.value.map((item) => item.delivery),
      ['sending', 'sending'],
    );
    let check = demo.exercise.value;
    assert.deepEqual([check.pane, check.wentOffline, check.sentWhileOffline, check.back, check.passed], ['a', true, 2, false, false]);
    assert.deepEqual(texts(grace), []);

    await advance(OFFLINE_MS, ONE_MS);
    check = demo.exercise.value;
    assert.equal(check.passed, true);
    assert.deepEqual([check.acked, check.deliveredOnce, check.duplicates], [2, 2, 0]);
    assert.equal(demo.exerciseDone.value, true);
    assert.equal(completions, 1);
    assert.deepEqual(texts(grace), ['first while offline', 'second while offline']);
    for (const clientId of ada.sentWhileOffline.value) assert.equal(copiesOf(grace, clientId).length, 1);
    assert.deepEqual(
      ada.items.value.map((item) => item.delivery),
      ['delivered', 'delivered'],
    );

    // Another round does not complete it twice.
    ada.goOffline(OFFLINE_MS);
    ada.send('third');
    await advance(OFFLINE_MS + 5, ONE_MS);
    assert.equal(completions, 1);
  });

  it('one message while offline is not enough', async () => {
    const [ada, grace] = await joinBoth();
    grace.goOffline(OFFLINE_MS);
    grace.send('only one');
    await advance(OFFLINE_MS + 5, ONE_MS);
    const check = demo.exercise.value;
    assert.deepEqual([check.pane, check.sentWhileOffline, check.back, check.passed], ['b', 1, true, false]);
    assert.deepEqual(texts(ada), ['only one']);
    assert.equal(completions, 0);
  });

  it('a server that delivered twice would fail the exercise', async () => {
    const [ada, grace] = await joinBoth();
    ada.goOffline(OFFLINE_MS);
    ada.send('one');
    ada.send('two');
    await advance(OFFLINE_MS + 5, ONE_MS);
    assert.equal(completions, 1);
    // Simulate a broken dedupe: the same clientId stored again under a new id.
    const [first] = ada.sentWhileOffline.value;
    const copy = grace.received.value.find((message) => message.clientId === first)!;
    const duplicate: ChatMessage = { ...copy, id: 99 };
    FakeWebSocket.instances
      .find((ws) => ws.readyState === 1 && ws !== FakeWebSocket.instances.at(-1))
      ?.serverSend({ type: 'message', room: ROOM, message: duplicate });
    assert.equal(grace.items.value.filter((item) => item.clientId === first).length, 2, 'a duplicate shows as a second line');
    const check = demo.exercise.value;
    assert.equal(check.passed, false);
    assert.equal(check.duplicates, 1);
  });
});

describe('cleaning up', () => {
  it('dispose closes both sockets and leaves no timer behind', async () => {
    const [ada, grace] = await joinBoth();
    ada.input('typing…'); // an idle timer
    ada.goOffline(OFFLINE_MS); // an offline timer
    grace.sendFlood(3); // a flood timer
    demo.dispose();
    const sockets = FakeWebSocket.instances.length;
    assert.ok(FakeWebSocket.instances.every((ws) => ws.closedWith !== null || ws.readyState === 3));
    await advance(60_000, ONE_MS);
    assert.equal(FakeWebSocket.instances.length, sockets, 'nothing reconnects');
    assert.equal(ada.socket.state.value.status, 'closed');
    assert.equal(grace.socket.state.value.status, 'closed');
  });
});

describe('words', () => {
  it('describe the connection for the reader', () => {
    const now = T0;
    assert.equal(describeConnection({ status: 'idle' }, null), 'Not connected yet.');
    const reconnecting = { status: 'reconnecting', attempt: 2, delayMs: 700, at: now + 400 } as const;
    assert.equal(describeConnection(reconnecting, null), 'Reconnecting after a random wait of 700 ms (attempt 2).');
    assert.equal(describeCountdown(reconnecting, now), 'in 400 ms');
    assert.equal(describeCountdown({ status: 'open' }, now), '');
    assert.equal(describeTyping(['Ada', 'Grace']), 'Ada and Grace are typing…');
    assert.equal(describeTyping([]), '');
    assert.equal(EXERCISE.lesson, 'websockets');
    assert.equal(EXERCISE.id, 'exactly-once-offline');
  });
});
