import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { WS_CLOSE, WS_LIMITS, WS_PATH } from '../../src/protocol/websocket.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer } from '../harness/start-server.ts';
import { rawUpgrade, TestSocket, until, withTimeout } from './helpers/websocket-client.ts';

/** The TCP socket under a `ws` client (a private member of `ws`): pausing it makes a reader that stopped reading. */
const tcpSocketOf = (socket: TestSocket) => (socket.ws as unknown as { _socket: Socket })._socket;

describe('WebSocket connections over time', () => {
  it('cuts a half-open client that stops answering pings within two heartbeats, and updates presence', async () => {
    // Short, yet long enough that a busy test machine still answers in time.
    const server = await startServer({ config: { wsHeartbeatMs: 100 } });
    const sockets: TestSocket[] = [];
    try {
      const healthy = await TestSocket.connect(server.baseUrl);
      // ws ≥ 8.16: `autoPong: false` leaves answering pings to us; it answers until it has joined, then goes silent.
      const silent = await TestSocket.connect(server.baseUrl, { autoPong: false });
      sockets.push(healthy, silent);
      let answering = true;
      silent.ws.on('ping', () => answering && silent.ws.pong());
      healthy.send({ type: 'join', room: 'heartbeat', name: 'Healthy' });
      await healthy.next('joined');
      silent.send({ type: 'join', room: 'heartbeat', name: 'Silent' });
      await silent.next('joined');
      await healthy.next('presence');
      answering = false;
      const pingsBeforeSilence = silent.pings;

      // No close frame: the server terminates the TCP connection (1006 on this side).
      assert.equal((await silent.waitForClose()).code, 1006);
      assert.equal(silent.pings - pingsBeforeSilence, 1, 'pinged once, unanswered at the next tick, then cut');
      const presence = await healthy.next('presence');
      assert.deepEqual(
        presence.members.map(({ name }) => name),
        ['Healthy'],
      );

      // The client that answers survives tick after tick.
      const pingsToHealthy = healthy.pings;
      await until(() => healthy.pings >= pingsToHealthy + 2, 'two more pings to the healthy client');
      healthy.send({ type: 'leave' });
      assert.equal((await healthy.next('left')).room, 'heartbeat');
      assert.equal(server.app.openWebSockets(), 1);
    } finally {
      for (const socket of sockets) socket.ws.terminate();
      await server.stop();
    }
  });

  it('closes a reader that falls behind by more than maxBufferedBytes with 1013, releasing its subscription', async () => {
    const server = await startServer();
    const reader = await TestSocket.connect(server.baseUrl);
    try {
      reader.send({ type: 'subscribe', channel: 'firehose', cursor: 0 });
      await reader.next('subscribed');
      tcpSocketOf(reader).pause();

      // 15 KB events until the server gives up on the reader (kernel buffers absorb a few MB first).
      const data = { blob: 'x'.repeat(15_000) };
      let published = 0;
      while (server.app.bus.listenerCount('firehose') > 0) {
        await server.app.bus.publish('firehose', 'blob', data);
        published += 1;
        assert.ok(published < 20_000, 'the server never judged the reader too slow');
      }
      assert.equal(server.app.openWebSockets(), 0);

      tcpSocketOf(reader).resume();
      const closed = await reader.waitForClose();
      assert.equal(closed.code, WS_CLOSE.tryAgainLater);
      assert.match(closed.reason, /resume/);
      const received = reader.received.filter((message) => message.type === 'event');
      assert.ok(received.length < published, `${received.length} of ${published} events were sent`);
      // What did arrive is in order: the client resumes from the last id it read.
      assert.deepEqual(
        received.map((message) => message.event.id),
        received.map((_, index) => index + 1),
      );
      assert.ok(received.length * 15_000 > WS_LIMITS.maxBufferedBytes);
    } finally {
      reader.ws.terminate();
      await server.stop();
    }
  });

  it('while draining, closes open sockets with 1001 and refuses new upgrades with 503', async () => {
    const server = await startServer();
    const sockets = [await TestSocket.connect(server.baseUrl), await TestSocket.connect(server.baseUrl)];
    try {
      sockets[0]!.send({ type: 'join', room: 'drain', name: 'A' });
      sockets[1]!.send({ type: 'join', room: 'drain', name: 'B' });
      await sockets[0]!.next('joined');
      await sockets[1]!.next('joined');

      server.app.beginDraining();

      const closes = await Promise.all(sockets.map((socket) => socket.waitForClose()));
      assert.deepEqual(
        closes.map(({ code }) => code),
        [WS_CLOSE.goingAway, WS_CLOSE.goingAway],
      );
      assert.equal(server.app.openWebSockets(), 0);
      const refused = await rawUpgrade(server.baseUrl, WS_PATH, {});
      try {
        assert.equal(refused.statusCode, 503);
        assert.match(refused.response, /\r\nRetry-After: 1\r\n/);
        assert.match(refused.response, /"type":"tag:realtime-workbook,2026:draining"/);
      } finally {
        refused.socket.destroy();
      }
      await withTimeout(server.stop(), 'the server to close');
    } finally {
      for (const socket of sockets) socket.ws.terminate();
      await server.stop();
    }
  });

  it('answers a plain GET of /ws with 426 Upgrade Required, naming websocket', async () => {
    const server = await startServer();
    try {
      const response = await fetch(`${server.baseUrl}${WS_PATH}`);
      assert.equal(response.status, 426);
      assert.equal(response.headers.get('upgrade'), 'websocket');
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(((await response.json()) as { detail: string }).detail, /Upgrade: websocket/);
      assert.deepEqual(server.errors, []);
    } finally {
      await server.stop();
    }
  });

  it('accepts pages of the origins in ALLOWED_ORIGINS, and still refuses others', async () => {
    const server = await startServer({ config: { allowedOrigins: ['https://dev.example:8443'] } });
    try {
      const allowed = await TestSocket.connect(server.baseUrl, { origin: 'https://dev.example:8443' });
      allowed.ws.terminate();
      const refused = await rawUpgrade(server.baseUrl, WS_PATH, { Origin: 'https://dev.example' });
      refused.socket.destroy();
      assert.equal(refused.statusCode, 403);
    } finally {
      await server.stop();
    }
  });

  it('on SIGTERM, closes WebSockets with 1001 and exits 0 without waiting for the grace period', { timeout: 30_000 }, async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '60000' });
    try {
      const socket = await TestSocket.connect(server.baseUrl);
      socket.send({ type: 'subscribe', channel: 'shutdown', cursor: 0 });
      await socket.next('subscribed');

      server.child.kill('SIGTERM');

      assert.equal((await socket.waitForClose()).code, WS_CLOSE.goingAway);
      assert.equal(await server.exited, 0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
