import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomClientId } from '../../../src/widgets/websocket/client-id.ts';
import type { ConnectionState } from '../../../src/widgets/websocket/connection-state.ts';
import { frameHeaderBytes } from '../../../src/protocol/websocket-frame.ts';
import { MAX_FRAMES } from '../../../src/widgets/websocket/frame-log.ts';
import { ACK_TIMEOUT_MS } from '../../../src/widgets/websocket/outbox.ts';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  ReconnectingSocket,
  backoffCeiling,
  backoffDelay,
  type ReconnectingSocketOptions,
} from '../../../src/widgets/websocket/reconnecting-socket.ts';
import { defaultSocketUrl } from '../../../src/widgets/websocket/socket-url.ts';
import { closeCodeName, isRetryable } from '../../../src/widgets/websocket/close-codes.ts';
import { FakeWebSocket } from './fake-websocket.ts';

const T0 = 1_800_000_000_000;
let socket: ReconnectingSocket;

function makeSocket(options: ReconnectingSocketOptions = {}): ReconnectingSocket {
  let next = 0;
  socket = new ReconnectingSocket({
    url: 'ws://server.test/ws',
    WebSocket: FakeWebSocket,
    random: () => 0.5,
    newClientId: () => `client-${++next}`,
    ...options,
  });
  return socket;
}

/** A joined room: open, hello, join acknowledged. */
function joinRoom(ws: FakeWebSocket, name = 'Ada'): void {
  ws.serverSend({ type: 'joined', room: 'ws-room', you: { id: 'm1', name }, history: [], members: [{ id: 'm1', name }] });
}

beforeEach(() => {
  FakeWebSocket.instances = [];
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
});

afterEach(() => {
  socket?.dispose();
  mock.timers.reset();
});

describe('backoff with full jitter', () => {
  it('doubles the ceiling from 500 ms and caps it at 15 s', () => {
    assert.equal(BACKOFF_BASE_MS, 500);
    assert.equal(BACKOFF_CAP_MS, 15_000);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 30].map((attempt) => backoffCeiling(attempt)),
      [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000],
    );
  });

  it('waits a uniformly random time in [0, ceiling)', () => {
    assert.equal(
      backoffDelay(3, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, () => 0.5),
      2_000,
    );
    assert.equal(
      backoffDelay(3, () => 0.999_999),
      3_999,
    );
    assert.equal(
      backoffDelay(40, () => 0.999_999),
      14_999,
    );
  });

  it('jitters: forty clients cut off together do not wait the same', () => {
    const delays = new Set<number>();
    for (let run = 0; run < 40; run++) {
      makeSocket({ random: Math.random });
      socket.connect();
      for (let attempt = 0; attempt < 7; attempt++) {
        FakeWebSocket.last.drop();
        const state: ConnectionState = socket.state.value;
        assert.equal(state.status, 'reconnecting');
        if (state.status !== 'reconnecting') return;
        assert.ok(state.delayMs >= 0 && state.delayMs < backoffCeiling(attempt), `attempt ${attempt}: ${state.delayMs}`);
        if (attempt === 3) delays.add(state.delayMs);
        mock.timers.tick(state.delayMs);
      }
      socket.dispose();
    }
    assert.ok(delays.size > 20, 'jittered: 40 clients do not wait the same');
  });

  it('reconnects after each failure with a growing, jittered, capped wait', () => {
    const randoms = [0.9, 0.1, 0.5, 0.99, 0.3, 0.7, 0.8, 0.2];
    let calls = 0;
    makeSocket({ random: () => randoms[calls++ % randoms.length]! });
    socket.connect();
    assert.deepEqual(socket.state.value, { status: 'connecting', attempt: 0 });

    const delays: number[] = [];
    for (let failure = 0; failure < 8; failure++) {
      FakeWebSocket.last.drop(); // connection refused: never opened
      const state: ConnectionState = socket.state.value;
      assert.equal(state.status, 'reconnecting');
      if (state.status !== 'reconnecting') return;
      assert.equal(state.attempt, failure + 1);
      assert.equal(state.at, Date.now() + state.delayMs);
      delays.push(state.delayMs);
      const sockets = FakeWebSocket.instances.length;
      if (state.delayMs > 0) {
        mock.timers.tick(state.delayMs - 1);
        assert.equal(FakeWebSocket.instances.length, sockets, 'no new socket before the wait is over');
        mock.timers.tick(1);
      } else {
        mock.timers.tick(0);
      }
      assert.equal(FakeWebSocket.instances.length, sockets + 1, 'a new socket once it is');
      assert.deepEqual(socket.state.value, { status: 'connecting', attempt: failure + 1 });
    }
    const expected = randoms.map((random, attempt) => Math.floor(random * Math.min(15_000, 500 * 2 ** attempt)));
    assert.deepEqual(delays, expected);
    assert.ok(delays.every((delay) => delay < 15_000));
    assert.equal(socket.attempts.value, 8);
    assert.equal(socket.lastClose.value?.code, 1006);
    assert.equal(socket.lastClose.value?.by, 'network');
  });

  it('starts again from the smallest wait once a connection got hello', () => {
    makeSocket({ random: () => 0.5 });
    socket.connect();
    for (let attempt = 0; attempt < 4; attempt++) {
      FakeWebSocket.last.drop();
      mock.timers.tick(backoffCeiling(attempt));
    }
    FakeWebSocket.last.accept();
    assert.deepEqual(socket.state.value, { status: 'open' });
    FakeWebSocket.last.serverClose(1012, 'restart');
    const state = socket.state.value;
    assert.equal(state.status, 'reconnecting');
    assert.equal(state.status === 'reconnecting' && state.delayMs, 250, 'half of the 500 ms base: attempt 1 again');
    assert.equal(state.status === 'reconnecting' && state.attempt, 1);
  });
});

describe('which closes are retried', () => {
  for (const code of [1001, 1006, 1011, 1012, 1013]) {
    it(`reconnects after ${code} ${closeCodeName(code)}`, () => {
      makeSocket();
      socket.connect();
      FakeWebSocket.last.accept();
      FakeWebSocket.last.serverClose(code, 'bye', code !== 1006);
      assert.equal(socket.state.value.status, 'reconnecting');
      assert.equal(socket.lastClose.value?.retried, true);
      mock.timers.tick(BACKOFF_BASE_MS);
      assert.equal(FakeWebSocket.instances.length, 2);
    });
  }

  for (const code of [1008, 1009]) {
    it(`stops after ${code} ${closeCodeName(code)} and says why`, () => {
      makeSocket();
      socket.connect();
      FakeWebSocket.last.accept();
      FakeWebSocket.last.serverClose(code, 'nope');
      const state = socket.state.value;
      assert.equal(state.status, 'closed');
      assert.match(state.status === 'closed' ? state.reason : '', /Not reconnecting by itself/);
      assert.equal(socket.lastClose.value?.retried, false);
      assert.equal(socket.lastClose.value?.by, 'server');
      mock.timers.tick(60_000);
      assert.equal(FakeWebSocket.instances.length, 1, 'no reconnect');
      socket.connect(); // by hand
      assert.equal(FakeWebSocket.instances.length, 2);
    });
  }

  it('knows the codes', () => {
    assert.equal(isRetryable(1006), true);
    assert.equal(isRetryable(1008), false);
    assert.equal(isRetryable(1009), false);
    assert.equal(closeCodeName(1012), 'Service Restart');
    assert.equal(closeCodeName(4321), 'Close code 4321');
  });
});

describe('a deliberate close', () => {
  it('never reconnects', () => {
    makeSocket();
    socket.connect();
    FakeWebSocket.last.accept();
    socket.close();
    assert.deepEqual(FakeWebSocket.last.closedWith, { code: 1000, reason: 'bye' });
    assert.equal(socket.state.value.status, 'closed');
    assert.equal(socket.lastClose.value?.by, 'client');
    mock.timers.tick(120_000); // the fake's own close event fires meanwhile: it must be ignored
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(socket.state.value.status, 'closed');
  });

  it('cancels a pending reconnect', () => {
    makeSocket();
    socket.connect();
    FakeWebSocket.last.drop();
    assert.equal(socket.state.value.status, 'reconnecting');
    socket.close();
    mock.timers.tick(120_000);
    assert.equal(FakeWebSocket.instances.length, 1);
  });

  it('dispose releases the socket and its timers', () => {
    makeSocket();
    const seen: string[] = [];
    socket.onMessage((message) => seen.push(message.type));
    socket.connect();
    FakeWebSocket.last.accept();
    socket.sendMessage('unacked');
    socket.dispose();
    assert.equal(FakeWebSocket.last.closedWith?.code, 1000);
    FakeWebSocket.last.serverSend({ type: 'presence', room: 'r', members: [] });
    mock.timers.tick(120_000);
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.deepEqual(seen, ['hello']);
    socket.connect();
    assert.equal(FakeWebSocket.instances.length, 1, 'a disposed socket stays closed');
  });
});

describe('resume by cursor', () => {
  it('re-subscribes from the last event received, and re-joins under the same name', () => {
    makeSocket();
    socket.connect();
    socket.subscribe('news', 0);
    socket.join('ws-room', 'Ada');
    const first = FakeWebSocket.last;
    first.accept();
    assert.deepEqual(first.messages(), [
      { type: 'subscribe', channel: 'news', cursor: 0 },
      { type: 'join', room: 'ws-room', name: 'Ada' },
    ]);
    for (const id of [1, 2, 3]) first.serverSend({ type: 'event', channel: 'news', event: { id, type: 'note', data: id, ts: Date.now() } });
    first.serverSend({ type: 'event', channel: 'other', event: { id: 99, type: 'note', data: null, ts: Date.now() } });
    assert.equal(socket.cursorOf('news'), 3);
    assert.equal(socket.cursorOf('other'), undefined, 'events of channels we did not subscribe to move nothing');

    first.drop();
    mock.timers.tick(BACKOFF_BASE_MS);
    const second = FakeWebSocket.last;
    assert.notEqual(second, first);
    second.accept('c2');
    assert.deepEqual(second.messages(), [
      { type: 'subscribe', channel: 'news', cursor: 3 },
      { type: 'join', room: 'ws-room', name: 'Ada' },
    ]);
  });

  it('takes the latest id after a reset, and forgets an unsubscribed channel', () => {
    makeSocket();
    socket.connect();
    FakeWebSocket.last.accept();
    socket.subscribe('a', 40);
    socket.subscribe('b', 7);
    FakeWebSocket.last.serverSend({ type: 'reset', channel: 'a', latestId: 12 });
    assert.equal(socket.cursorOf('a'), 12);
    socket.unsubscribe('b');
    assert.deepEqual(FakeWebSocket.last.messages().at(-1), { type: 'unsubscribe', channel: 'b' });
    FakeWebSocket.last.drop();
    mock.timers.tick(BACKOFF_BASE_MS);
    FakeWebSocket.last.accept();
    assert.deepEqual(FakeWebSocket.last.messages(), [{ type: 'subscribe', channel: 'a', cursor: 12 }]);
  });
});

describe('the outbox', () => {
  it('keeps each message until its ack, and after a reconnect re-sends the unacked ones with the same clientId', () => {
    makeSocket();
    socket.connect();
    socket.join('ws-room', 'Ada');
    const first = FakeWebSocket.last;
    first.accept();
    joinRoom(first);
    assert.equal(socket.inRoom.value, true);

    const one = socket.sendMessage('one');
    const two = socket.sendMessage('two');
    assert.deepEqual(
      first.messages().filter((m) => m.type === 'message'),
      [
        { type: 'message', text: 'one', clientId: one },
        { type: 'message', text: 'two', clientId: two },
      ],
    );
    first.serverSend({ type: 'ack', clientId: one, id: 1 });
    assert.deepEqual(
      socket.outbox.value.map((entry) => entry.clientId),
      [two],
      'an acked message leaves the outbox',
    );

    first.drop(); // "two" may or may not have reached the server: we cannot know
    const three = socket.sendMessage('three'); // while disconnected: queued only
    assert.equal(socket.outbox.value.length, 2);
    assert.equal(socket.outbox.value[1]!.sends, 0);

    mock.timers.tick(BACKOFF_BASE_MS);
    const second = FakeWebSocket.last;
    second.accept('c2');
    assert.deepEqual(second.messages(), [{ type: 'join', room: 'ws-room', name: 'Ada' }], 'nothing is sent before joined');
    joinRoom(second);
    assert.deepEqual(second.messages().slice(1), [
      { type: 'message', text: 'two', clientId: two },
      { type: 'message', text: 'three', clientId: three },
    ]);
    assert.equal(socket.outbox.value[0]!.sends, 2);

    second.serverSend({ type: 'ack', clientId: two, id: 2 });
    second.serverSend({ type: 'ack', clientId: three, id: 3 });
    assert.deepEqual(socket.outbox.value, []);

    second.drop();
    mock.timers.tick(BACKOFF_BASE_MS);
    FakeWebSocket.last.accept('c3');
    joinRoom(FakeWebSocket.last);
    assert.deepEqual(
      FakeWebSocket.last.messages().filter((m) => m.type === 'message'),
      [],
      'acked messages are never sent again',
    );
  });

  it('re-sends on the same connection when no ack came (a rate-limited refusal), a few times at most', () => {
    makeSocket();
    socket.connect();
    socket.join('ws-room', 'Ada');
    FakeWebSocket.last.accept();
    joinRoom(FakeWebSocket.last);
    const id = socket.sendMessage('refused');
    FakeWebSocket.last.serverSend({ type: 'error', code: 'rate-limited', message: 'slow down' });
    const sends = () => FakeWebSocket.last.messages().filter((m) => m.type === 'message' && m.clientId === id).length;
    mock.timers.tick(ACK_TIMEOUT_MS - 1);
    assert.equal(sends(), 1);
    mock.timers.tick(1);
    assert.equal(sends(), 2, 'the same clientId again');
    mock.timers.tick(ACK_TIMEOUT_MS * 10);
    assert.equal(sends(), 3, 'then it waits for the next connection');
  });

  it('sendMessageOnce bypasses the outbox', () => {
    makeSocket();
    socket.connect();
    assert.equal(socket.sendMessageOnce('early'), null, 'not in a room yet');
    socket.join('ws-room', 'Ada');
    FakeWebSocket.last.accept();
    joinRoom(FakeWebSocket.last);
    const id = socket.sendMessageOnce('flood');
    assert.ok(id);
    assert.deepEqual(socket.outbox.value, []);
    FakeWebSocket.last.drop();
    mock.timers.tick(BACKOFF_BASE_MS);
    FakeWebSocket.last.accept();
    joinRoom(FakeWebSocket.last);
    assert.equal(FakeWebSocket.last.messages().filter((m) => m.type === 'message').length, 0);
  });
});

describe('going offline', () => {
  it('closes with 4000, refuses to reconnect until the time is up, and queues messages meanwhile', () => {
    makeSocket();
    socket.connect();
    socket.join('ws-room', 'Ada');
    FakeWebSocket.last.accept();
    joinRoom(FakeWebSocket.last);

    socket.goOffline(10_000);
    const offline = FakeWebSocket.last;
    assert.deepEqual(offline.closedWith, { code: 4000, reason: 'offline' });
    assert.deepEqual(socket.state.value, { status: 'offline', until: T0 + 10_000 });
    assert.equal(socket.lastClose.value?.code, 4000);
    assert.equal(socket.inRoom.value, false);

    const queued = socket.sendMessage('while away');
    assert.equal(offline.messages().filter((m) => m.type === 'message').length, 0);
    assert.equal(socket.send({ type: 'typing', typing: true }), false, 'other messages are dropped, not queued');

    mock.timers.tick(9_999);
    assert.equal(FakeWebSocket.instances.length, 1, 'still offline');
    assert.equal(socket.state.value.status, 'offline');
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.instances.length, 2);
    FakeWebSocket.last.accept('c2');
    joinRoom(FakeWebSocket.last);
    assert.deepEqual(FakeWebSocket.last.messages().at(-1), { type: 'message', text: 'while away', clientId: queued });
  });

  it('also holds back a reconnect that was already scheduled', () => {
    makeSocket();
    socket.connect();
    FakeWebSocket.last.drop();
    assert.equal(socket.state.value.status, 'reconnecting');
    socket.goOffline(5_000);
    mock.timers.tick(4_999);
    assert.equal(FakeWebSocket.instances.length, 1);
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.instances.length, 2);
  });
});

describe('the frame log', () => {
  it('records direction, type and UTF-8 payload size, with the RFC 6455 header size', () => {
    makeSocket();
    socket.connect();
    socket.join('ws-room', 'Zoë'); // ë is two bytes in UTF-8
    FakeWebSocket.last.accept();
    const [join, hello] = socket.frames.value;
    assert.equal(join!.direction, 'up');
    assert.equal(join!.type, 'join');
    const text = JSON.stringify({ type: 'join', room: 'ws-room', name: 'Zoë' });
    assert.equal(join!.bytes, text.length + 1);
    assert.equal(join!.headerBytes, 6, '2 B header + 4 B mask from a client');
    assert.equal(hello!.direction, 'down');
    assert.equal(hello!.type, 'hello');
    assert.equal(hello!.headerBytes, hello!.bytes <= 125 ? 2 : 4);
    assert.equal(socket.totals.value.framesUp, 1);
    assert.equal(socket.totals.value.framesDown, 1);

    FakeWebSocket.last.drop();
    assert.equal(socket.frames.value.at(-1)!.type, 'lost');
    assert.equal(socket.totals.value.framesDown, 1, 'a lost connection is not a frame');
  });

  it('keeps the last 100 frames', () => {
    makeSocket();
    socket.connect();
    FakeWebSocket.last.accept();
    for (let i = 0; i < 150; i++) socket.send({ type: 'typing', typing: i % 2 === 0 });
    assert.equal(socket.frames.value.length, MAX_FRAMES);
    assert.equal(socket.frames.value.at(-1)!.seq, 151);
    assert.equal(socket.totals.value.framesUp, 150);
  });

  it('knows the header sizes of RFC 6455 §5.2', () => {
    assert.equal(frameHeaderBytes(125, false), 2);
    assert.equal(frameHeaderBytes(126, false), 4);
    assert.equal(frameHeaderBytes(65_535, false), 4);
    assert.equal(frameHeaderBytes(65_536, false), 10);
    assert.equal(frameHeaderBytes(0, true), 6);
    assert.equal(frameHeaderBytes(70_000, true), 14);
  });
});

describe('addresses and ids', () => {
  it('derives ws: or wss: from the page', () => {
    assert.equal(defaultSocketUrl({ protocol: 'http:', host: 'localhost:4321' }), 'ws://localhost:4321/ws');
    assert.equal(defaultSocketUrl({ protocol: 'https:', host: 'workbook.example' }), 'wss://workbook.example/ws');
  });

  it('makes UUID-shaped client ids, even without crypto.randomUUID', () => {
    const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    assert.match(randomClientId(), pattern);
    // A crypto without randomUUID, as on a page served over plain HTTP (no secure context). Not by removing
    // the global's: while this test did, the runner now and then left this whole suite out of its report.
    const insecure = { getRandomValues: <T extends ArrayBufferView>(array: T) => crypto.getRandomValues(array as never) as T };
    assert.match(randomClientId(insecure), pattern);
  });

  it('connects to the URL it was given, and ignores non-JSON frames', () => {
    makeSocket();
    socket.connect();
    assert.equal(FakeWebSocket.last.url, 'ws://server.test/ws');
    FakeWebSocket.last.accept();
    FakeWebSocket.last.onmessage?.({ data: 'not json' });
    assert.equal(socket.frames.value.at(-1)!.type, '(not JSON)');
    assert.equal(socket.state.value.status, 'open');
  });
});
