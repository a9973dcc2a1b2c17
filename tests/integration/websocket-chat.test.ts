import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WS_CLOSE, WS_LIMITS } from '../../src/protocol/websocket.ts';
import type { ServerConfig } from '../../server/config.ts';
import { assertTypingReachesOthersOnly } from './helpers/chat-checks.ts';
import { startTestRedis, type TestRedis } from '../harness/redis-server.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { TestSocket } from './helpers/websocket-client.ts';

// Started before the suites are declared: whether the Redis one skips depends on it.
const redis: TestRedis = await startTestRedis();
after(() => redis.stop());

/** One instance behaves the same whichever backend keeps the chat (two instances: websocket-chat-cluster.test.ts). */
const backends: { name: string; skip: string | undefined; config: () => Partial<ServerConfig> }[] = [
  { name: 'in memory', skip: undefined, config: () => ({}) },
  { name: 'in Redis', skip: redis.skip, config: () => ({ redisUrl: redis.url, redisPrefix: redis.prefix() }) },
];

for (const backend of backends) {
  describe(`the WebSocket chat (${backend.name})`, { skip: backend.skip }, () => {
    let server: RunningServer;
    const sockets: TestSocket[] = [];
    const connect = async () => {
      const socket = await TestSocket.connect(server.baseUrl);
      sockets.push(socket);
      return socket;
    };
    /** Connects and joins `room` as `name`, returning the socket and its `joined` message. */
    const member = async (room: string, name: string) => {
      const socket = await connect();
      const hello = socket.received[0] as { connectionId: string };
      socket.send({ type: 'join', room, name });
      return { socket, connectionId: hello.connectionId, joined: await socket.next('joined') };
    };
    const names = (members: { name: string }[]) => members.map(({ name }) => name);

    before(async () => {
      server = await startServer({ config: backend.config() });
      await waitUntil(async () => (await fetch(`${server.baseUrl}/readyz`)).ok, 'the server is ready');
    });
    after(async () => {
      for (const socket of sockets) socket.ws.terminate();
      await server.stop();
      assert.deepEqual(server.errors, []);
    });

    it('joins a room: the newcomer gets the members, the others a presence update', async () => {
      const ada = await member('lobby', '  Ada  ');
      assert.equal(ada.joined.room, 'lobby');
      assert.deepEqual(ada.joined.you, { id: ada.connectionId, name: 'Ada' }, 'the name is trimmed');
      assert.deepEqual(ada.joined.history, []);
      assert.deepEqual(names(ada.joined.members), ['Ada']);

      const bob = await member('lobby', 'Bob');
      assert.deepEqual(names(bob.joined.members), ['Ada', 'Bob']);
      const presence = await ada.socket.next('presence');
      assert.deepEqual(presence, { type: 'presence', room: 'lobby', members: bob.joined.members });
    });

    it('acknowledges a message to its sender and delivers it to everyone in the room, sender included', async () => {
      const ada = await member('talk', 'Ada');
      const bob = await member('talk', 'Bob');
      await ada.socket.next('presence');
      const outsider = await member('elsewhere', 'Eve');

      ada.socket.send({ type: 'message', text: 'Hello\nworld', clientId: 'ada-1' });
      const ack = await ada.socket.next('ack');
      assert.deepEqual(ack, { type: 'ack', clientId: 'ada-1', id: 1 });
      const mine = await ada.socket.next('message');
      const theirs = await bob.socket.next('message');
      assert.deepEqual(mine, theirs);
      assert.equal(mine.room, 'talk');
      assert.deepEqual({ ...mine.message, ts: 0 }, { id: 1, clientId: 'ada-1', from: ada.joined.you, text: 'Hello\nworld', ts: 0 });

      bob.socket.send({ type: 'message', text: 'Hi Ada', clientId: 'bob-1' });
      assert.equal((await bob.socket.next('ack')).id, 2, 'ids increase per room');
      assert.equal((await ada.socket.next('message')).message.text, 'Hi Ada');
      assert.deepEqual(outsider.socket.unread, [], 'other rooms hear nothing');

      const late = await member('talk', 'Cy');
      assert.deepEqual(
        late.joined.history.map(({ text }) => text),
        ['Hello\nworld', 'Hi Ada'],
      );
    });

    it('gives a newcomer the last historySize messages only', async () => {
      const senders = await Promise.all(['A', 'B', 'C', 'D'].map((name) => member('busy', name)));
      const total = WS_LIMITS.historySize + 7;
      for (let index = 0; index < total; index += 1) {
        // Spread over several senders: each stays within its burst.
        const { socket } = senders[index % senders.length]!;
        socket.send({ type: 'message', text: `m${index}`, clientId: `busy-${index}` });
        await socket.waitFor('ack');
      }
      const late = await member('busy', 'Late');
      assert.equal(late.joined.history.length, WS_LIMITS.historySize);
      assert.equal(late.joined.history[0]!.text, `m${total - WS_LIMITS.historySize}`);
      assert.equal(late.joined.history.at(-1)!.text, `m${total - 1}`);
    });

    it('tells the others who is typing, not the typist', async () => {
      const ada = await member('typing', 'Ada');
      const bob = await member('typing', 'Bob');
      await ada.socket.next('presence');

      await assertTypingReachesOthersOnly(ada, bob, 'bob-typing');
    });

    it('leaves a room: "left" for the leaver, presence for the others, and moving rooms leaves the old one', async () => {
      const ada = await member('leaving', 'Ada');
      const bob = await member('leaving', 'Bob');
      await ada.socket.next('presence');

      bob.socket.send({ type: 'leave' });
      assert.deepEqual(await bob.socket.next('left'), { type: 'left', room: 'leaving' });
      assert.deepEqual(names((await ada.socket.next('presence')).members), ['Ada']);

      const cy = await member('leaving', 'Cy');
      await ada.socket.next('presence');
      cy.socket.send({ type: 'join', room: 'other-room', name: 'Cy' });
      assert.equal((await cy.socket.next('joined')).room, 'other-room');
      assert.deepEqual(names((await ada.socket.next('presence')).members), ['Ada']);
    });

    it('delivers exactly once across a reconnect: a resend gets the same ack and no second broadcast', async () => {
      const ada = await member('once', 'Ada');
      const bob = await member('once', 'Bob');
      await ada.socket.next('presence');

      // Ada sends, and her connection drops before she reads the ack.
      ada.socket.send({ type: 'message', text: 'only once', clientId: 'ada-once-1' });
      ada.socket.ws.terminate();
      const delivered = await bob.socket.next('message');
      assert.equal(delivered.message.text, 'only once');
      assert.deepEqual(names((await bob.socket.next('presence')).members), ['Bob']);

      // She reconnects (a new connection, a new member id) and sends it again with the same clientId.
      const again = await member('once', 'Ada');
      again.socket.send({ type: 'message', text: 'only once', clientId: 'ada-once-1' });
      assert.deepEqual(await again.socket.next('ack'), {
        type: 'ack',
        clientId: 'ada-once-1',
        id: delivered.message.id,
      });
      assert.deepEqual(names((await bob.socket.next('presence')).members), ['Bob', 'Ada']);
      again.socket.send({ type: 'message', text: 'and this is new', clientId: 'ada-once-2' });
      assert.equal((await again.socket.next('ack')).id, delivered.message.id + 1);
      // Bob's next message is the new one: the resend was not broadcast.
      assert.equal((await bob.socket.next('message')).message.text, 'and this is new');
      assert.deepEqual(
        again.joined.history.map(({ clientId }) => clientId),
        ['ada-once-1'],
      );
    });

    it('simulates a dropped network: the socket is cut with no close frame, presence follows', async () => {
      const ada = await member('drop', 'Ada');
      const bob = await member('drop', 'Bob');
      await ada.socket.next('presence');

      bob.socket.send({ type: 'simulate', fault: 'drop' });
      // 1006: closed abnormally, no close frame received (RFC 6455 §7.1.5).
      assert.equal((await bob.socket.waitForClose()).code, 1006);
      assert.deepEqual(names((await ada.socket.next('presence')).members), ['Ada']);
    });

    it('simulates a restart: every socket in the room is closed with 1012, other rooms are untouched', async () => {
      const ada = await member('restart', 'Ada');
      const bob = await member('restart', 'Bob');
      await ada.socket.next('presence');
      const eve = await member('calm', 'Eve');

      ada.socket.send({ type: 'simulate', fault: 'restart' });
      const closes = await Promise.all([ada.socket.waitForClose(), bob.socket.waitForClose()]);
      assert.deepEqual(
        closes.map(({ code }) => code),
        [WS_CLOSE.serviceRestart, WS_CLOSE.serviceRestart],
      );
      assert.deepEqual(bob.socket.unread, [], 'no presence about the others closing at the same time');
      eve.socket.send({ type: 'typing', typing: false });
      eve.socket.send({ type: 'leave' });
      assert.equal((await eve.socket.next('left')).room, 'calm');
    });
  });
}
