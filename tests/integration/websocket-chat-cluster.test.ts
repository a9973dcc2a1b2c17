import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { WS_CLOSE, type Member, type ServerMessage } from '../../src/protocol/websocket.ts';
import { assertTypingReachesOthersOnly } from './helpers/chat-checks.ts';
import { startTestRedis, type TestRedis } from '../harness/redis-server.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { TestSocket, WAIT_MS, withTimeout } from './helpers/websocket-client.ts';

/** Short, so that a crashed instance's members expire within the test: renewed every 500 ms, re-read every 250 ms. */
const PRESENCE_TTL_MS = 1_500;

// Started before the suites are declared: whether they skip depends on it.
const redis: TestRedis = await startTestRedis();
after(() => redis.stop());

describe('the WebSocket chat across two instances sharing Redis', { skip: redis.skip }, () => {
  const prefix = redis.prefix();
  const config = { redisUrl: redis.url, redisPrefix: prefix, presenceTtlMs: PRESENCE_TTL_MS };
  let a: RunningServer;
  let b: RunningServer;
  const sockets: TestSocket[] = [];

  /** Connects to `server` and joins `room` as `name`. */
  const member = async (server: RunningServer, room: string, name: string) => {
    const socket = await TestSocket.connect(server.baseUrl);
    sockets.push(socket);
    socket.send({ type: 'join', room, name });
    return { socket, joined: await socket.next('joined') };
  };
  const names = (members: Member[]) => members.map(({ name }) => name);
  /**
   * Reads presence messages until one lists exactly `expected` (by name, in
   * join order; in any order when members were added back after an outage).
   */
  const untilPresence = async (socket: TestSocket, expected: string[], { anyOrder = false, ms = WAIT_MS } = {}) => {
    const shown = (list: string[]) => (anyOrder ? [...list].sort() : list).join();
    return withTimeout(
      (async () => {
        for (;;) {
          const presence = await socket.waitFor('presence');
          if (shown(names(presence.members)) === shown(expected)) return presence;
        }
      })(),
      `presence ${expected.join(', ')}`,
      ms,
    );
  };
  const messagesOf = (socket: TestSocket) =>
    socket.received.filter((message): message is Extract<ServerMessage, { type: 'message' }> => message.type === 'message');

  before(async () => {
    [a, b] = await Promise.all([startServer({ config }), startServer({ config })]);
    await waitUntil(
      async () => (await fetch(`${b.baseUrl}/readyz`)).ok && (await fetch(`${a.baseUrl}/readyz`)).ok,
      'both instances reach Redis',
    );
  });
  after(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await Promise.all([a.stop(), b.stop()]);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  it('shows one member list, in join order, to members on either instance', async () => {
    const ada = await member(a, 'one-list', 'Ada');
    const bob = await member(b, 'one-list', 'Bob');
    assert.deepEqual(names(bob.joined.members), ['Ada', 'Bob']);
    assert.deepEqual((await ada.socket.next('presence')).members, bob.joined.members);

    const cy = await member(a, 'one-list', 'Cy');
    assert.deepEqual(names(cy.joined.members), ['Ada', 'Bob', 'Cy']);
    assert.deepEqual((await bob.socket.next('presence')).members, cy.joined.members);
    assert.deepEqual((await ada.socket.next('presence')).members, cy.joined.members);

    bob.socket.send({ type: 'leave' });
    assert.equal((await bob.socket.next('left')).room, 'one-list');
    assert.deepEqual(names((await ada.socket.next('presence')).members), ['Ada', 'Cy']);
    assert.deepEqual(names((await cy.socket.next('presence')).members), ['Ada', 'Cy']);
  });

  it("delivers a message from one instance's member to the other's once, with the same id", async () => {
    const ada = await member(a, 'relay', 'Ada');
    const bob = await member(b, 'relay', 'Bob');
    const eve = await member(b, 'elsewhere', 'Eve');
    await ada.socket.next('presence');

    ada.socket.send({ type: 'message', text: 'across', clientId: 'relay-1' });
    const ack = await ada.socket.next('ack');
    const mine = await ada.socket.next('message');
    const theirs = await bob.socket.next('message');
    assert.deepEqual(mine, theirs);
    assert.equal(theirs.message.id, ack.id);
    assert.deepEqual(theirs.message.from, ada.joined.you);
    assert.equal(theirs.message.text, 'across');

    // Bob answers from the other instance: the next id of the same room.
    bob.socket.send({ type: 'message', text: 'back', clientId: 'relay-2' });
    assert.equal((await bob.socket.next('ack')).id, ack.id + 1);
    assert.equal((await ada.socket.next('message')).message.id, ack.id + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(messagesOf(bob.socket).length, 2, 'each message once');
    assert.deepEqual(eve.socket.unread, [], 'other rooms hear nothing');
  });

  it('numbers messages posted on both instances at once strictly increasing, in the same order for everyone', async () => {
    const senders = [
      await member(a, 'busy', 'A1'),
      await member(a, 'busy', 'A2'),
      await member(b, 'busy', 'B1'),
      await member(b, 'busy', 'B2'),
    ];
    const perSender = 15; // within a connection's burst of 20
    const total = perSender * senders.length;
    for (let n = 0; n < perSender; n += 1) {
      for (const [index, { socket }] of senders.entries()) {
        socket.send({ type: 'message', text: `s${index} m${n}`, clientId: `busy-${index}-${n}` });
      }
    }
    await waitUntil(
      () => senders.every(({ socket }) => messagesOf(socket).length >= total),
      () => `${total} messages each, got ${senders.map(({ socket }) => messagesOf(socket).length)}`,
    );
    const expected = Array.from({ length: total }, (_, n) => n + 1);
    for (const { socket } of senders) {
      assert.deepEqual(
        messagesOf(socket).map(({ message }) => message.id),
        expected,
      );
    }
    const acked = senders.flatMap(({ socket }) => socket.received.filter((message) => message.type === 'ack').map(({ id }) => id));
    assert.deepEqual(
      acked.sort((x, y) => x - y),
      expected,
    );
    const texts = (socket: TestSocket) => messagesOf(socket).map(({ message }) => message.text);
    assert.deepEqual(texts(senders[0]!.socket), texts(senders[3]!.socket));
  });

  it('recognises a resend on the other instance: the original id again, no second broadcast', async () => {
    const ada = await member(a, 'once', 'Ada');
    const bob = await member(b, 'once', 'Bob');
    await ada.socket.next('presence');

    // Ada sends on A, and her connection drops before she reads the ack.
    ada.socket.send({ type: 'message', text: 'only once', clientId: 'once-1' });
    ada.socket.ws.terminate();
    const delivered = await bob.socket.next('message');
    await untilPresence(bob.socket, ['Bob']);

    // The load balancer sends her reconnect to B, where she resends it.
    const again = await member(b, 'once', 'Ada');
    again.socket.send({ type: 'message', text: 'only once', clientId: 'once-1' });
    assert.deepEqual(await again.socket.next('ack'), { type: 'ack', clientId: 'once-1', id: delivered.message.id });
    again.socket.send({ type: 'message', text: 'new', clientId: 'once-2' });
    assert.equal((await again.socket.next('ack')).id, delivered.message.id + 1);
    assert.equal((await bob.socket.waitFor('message')).message.text, 'new', 'the resend was not broadcast');
    assert.deepEqual(
      again.joined.history.map(({ clientId }) => clientId),
      ['once-1'],
    );
  });

  it('tells members on the other instance who is typing, not the typist', async () => {
    const ada = await member(a, 'typing', 'Ada');
    const bob = await member(b, 'typing', 'Bob');
    await ada.socket.next('presence');

    await assertTypingReachesOthersOnly(ada, bob, 'typing-1');
  });

  it('gives a newcomer on one instance the history posted on the other', async () => {
    const ada = await member(a, 'history', 'Ada');
    for (const n of [1, 2, 3]) {
      ada.socket.send({ type: 'message', text: `h${n}`, clientId: `history-${n}` });
      await ada.socket.waitFor('ack');
    }
    const late = await member(b, 'history', 'Late');
    assert.deepEqual(
      late.joined.history.map(({ id, text }) => `${id} ${text}`),
      ['1 h1', '2 h2', '3 h3'],
    );
  });

  it('restarts a room on both instances: every member closed with 1012', async () => {
    const ada = await member(a, 'restart', 'Ada');
    const bob = await member(b, 'restart', 'Bob');
    await ada.socket.next('presence');
    const eve = await member(b, 'calm', 'Eve');

    ada.socket.send({ type: 'simulate', fault: 'restart' });
    const closes = await Promise.all([ada.socket.waitForClose(), bob.socket.waitForClose()]);
    assert.deepEqual(
      closes.map(({ code }) => code),
      [WS_CLOSE.serviceRestart, WS_CLOSE.serviceRestart],
    );
    eve.socket.send({ type: 'leave' });
    assert.equal((await eve.socket.next('left')).room, 'calm');
  });

  it('delivers what Pub/Sub lost while its connection was cut, once, in order', async () => {
    const ada = await member(a, 'gap', 'Ada');
    const bob = await member(b, 'gap', 'Bob');
    await ada.socket.next('presence');
    ada.socket.send({ type: 'message', text: 'before', clientId: 'gap-0' });
    await bob.socket.next('message');

    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      // Cut every Pub/Sub connection: B misses what A's member posts until its subscription is back.
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      for (const n of [1, 2, 3]) {
        ada.socket.send({ type: 'message', text: `during ${n}`, clientId: `gap-${n}` });
        await ada.socket.waitFor('ack');
      }
    } finally {
      await admin.close();
    }
    await waitUntil(
      () => messagesOf(bob.socket).length === 4,
      () => `4 messages, got ${messagesOf(bob.socket).length}`,
      10_000,
    );
    assert.deepEqual(
      messagesOf(bob.socket).map(({ message }) => message.id),
      [1, 2, 3, 4],
    );
  });

  it('goes on after Redis lost its data: members come back, new messages get through', async () => {
    const ada = await member(a, 'flushed', 'Ada');
    const bob = await member(b, 'flushed', 'Bob');
    await ada.socket.next('presence');
    for (const n of [1, 2, 3]) {
      bob.socket.send({ type: 'message', text: `old ${n}`, clientId: `flushed-${n}` });
      await bob.socket.waitFor('ack');
    }
    await waitUntil(() => messagesOf(ada.socket).length === 3, 'the old messages');

    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      // Every key of these instances gone, as after a restart without persistence (only ours: TEST_REDIS_URL may be shared).
      let cursor = '0';
      do {
        const [next, keys] = (await admin.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
        if (keys.length > 0) await admin.sendCommand(['DEL', ...keys]);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await admin.close();
    }
    // Each instance adds its members back with its next renewal, and notices the counters starting over.
    await untilPresence(ada.socket, ['Ada', 'Bob'], { anyOrder: true });
    let sent = 0;
    await waitUntil(async () => {
      bob.socket.send({ type: 'message', text: 'new', clientId: `flushed-new-${(sent += 1)}` });
      await bob.socket.waitFor('ack');
      await new Promise((resolve) => setTimeout(resolve, 100));
      return messagesOf(ada.socket).some(({ message }) => message.text === 'new');
    }, 'a new message reaches Ada');
    const fresh = messagesOf(ada.socket).filter(({ message }) => message.text === 'new');
    assert.ok(fresh.length >= 1 && fresh.at(-1)!.message.id <= sent, 'ids started over');
  });

  it("drops the members of an instance killed with SIGKILL from the other's list within the TTL", async () => {
    const doomed = await spawnServer({
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    });
    try {
      await waitUntil(async () => (await fetch(`${doomed.baseUrl}/readyz`)).ok, 'the child reaches Redis');
      const ada = await member(a, 'crash', 'Ada');
      const socket = await TestSocket.connect(doomed.baseUrl);
      sockets.push(socket);
      socket.send({ type: 'join', room: 'crash', name: 'Doomed' });
      await socket.next('joined');
      await untilPresence(ada.socket, ['Ada', 'Doomed']);

      // No leave, no close frame, no goodbye: the process is gone.
      const killedAt = Date.now();
      doomed.child.kill('SIGKILL');
      await untilPresence(ada.socket, ['Ada'], { ms: PRESENCE_TTL_MS * 3 });
      const elapsed = Date.now() - killedAt;
      // Expired at most a TTL after its last renewal, noticed within one re-read (250 ms); the rest is slack for a busy machine.
      assert.ok(elapsed <= PRESENCE_TTL_MS + 1_500, `gone after ${elapsed} ms`);
    } finally {
      doomed.child.kill('SIGKILL');
      await doomed.exited;
    }
  });

  it('answers backend-unavailable while Redis is down, and works again once it is back', async () => {
    const ada = await member(a, 'outage', 'Ada');
    const restarted = redis.restart({ downMs: 1_500 });
    await waitUntil(async () => (await fetch(`${a.baseUrl}/readyz`)).status === 503, 'A notices the outage', 10_000);

    ada.socket.send({ type: 'message', text: 'lost?', clientId: 'outage-1' });
    const refused = await ada.socket.next('error');
    assert.equal(refused.code, 'backend-unavailable');
    const late = await TestSocket.connect(a.baseUrl);
    sockets.push(late);
    late.send({ type: 'join', room: 'outage', name: 'Late' });
    assert.equal((await late.next('error')).code, 'backend-unavailable');

    await restarted;
    await waitUntil(
      async () => (await fetch(`${a.baseUrl}/readyz`)).ok && (await fetch(`${b.baseUrl}/readyz`)).ok,
      'Redis is back',
      15_000,
    );
    ada.socket.send({ type: 'message', text: 'lost?', clientId: 'outage-1' });
    // (Skipping the presence that says she is back, if her key expired meanwhile.)
    assert.equal((await ada.socket.waitFor('ack')).id, 1, 'the refused message was not stored');
    late.send({ type: 'join', room: 'outage', name: 'Late' });
    const joined = await late.next('joined');
    // Ada's presence may have expired during the outage: A adds her again with its next renewal.
    if (names(joined.members).length < 2) await untilPresence(late, ['Ada', 'Late'], { anyOrder: true });
    assert.deepEqual(
      joined.history.map(({ text }) => text),
      ['lost?'],
    );
  });
});
