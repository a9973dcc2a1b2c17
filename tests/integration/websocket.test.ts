import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket, type ClientOptions } from 'ws';
import { PROBLEM_CONTENT_TYPE } from '../../src/protocol/problem.ts';
import { WS_CLOSE, WS_LIMITS, WS_PATH } from '../../src/protocol/websocket.ts';
import { publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { clientFrame, closeFramePayload, rawUpgrade, TestSocket, until, withTimeout } from './helpers/websocket-client.ts';

describe('the WebSocket endpoint', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];
  const connect = async (options?: ClientOptions) => {
    const socket = await TestSocket.connect(server.baseUrl, options ?? {});
    sockets.push(socket);
    return socket;
  };
  const publish = (channel: string, type: string, data: unknown = null) => publishEvent(server.baseUrl, channel, type, data);

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await server.stop();
    assert.deepEqual(server.errors, [], 'bad input is not a server error');
  });

  describe('the opening handshake', () => {
    it('says hello first, showing the handshake with the RFC 6455 accept value', async () => {
      const socket = await TestSocket.open(server.baseUrl, { headers: { 'User-Agent': 'workbook-test' } });
      sockets.push(socket);
      const hello = await socket.next('hello');

      assert.match(hello.connectionId, /^[0-9a-f-]{36}$/);
      assert.equal(hello.heartbeatMs, 15_000);
      assert.deepEqual(hello.limits, WS_LIMITS);
      const { request, response } = hello.handshake;
      assert.equal(request.upgrade, 'websocket');
      assert.equal(request['sec-websocket-version'], '13');
      assert.equal(request['user-agent'], 'workbook-test');
      assert.equal(request.host, new URL(server.baseUrl).host);
      assert.equal(request.origin, undefined, 'a Node client sends no Origin');
      const key = request['sec-websocket-key']!;
      assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
      // RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
      const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      assert.deepEqual(response, { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': expected });
      assert.equal(socket.upgradeHeaders['sec-websocket-accept'], expected, 'what hello shows is what was sent');
    });

    it('computes the accept value of the RFC 6455 example key, as sent on the wire', async () => {
      const raw = await rawUpgrade(server.baseUrl, WS_PATH, {});
      try {
        assert.equal(raw.statusCode, 101);
        // RFC 6455 §1.3: "dGhlIHNhbXBsZSBub25jZQ==" → "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        assert.match(raw.response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
      } finally {
        raw.socket.destroy();
      }
    });

    it('accepts pages of its own origin, on http or https', async () => {
      const host = new URL(server.baseUrl).host;
      for (const origin of [`http://${host}`, `https://${host}`]) {
        const socket = await connect({ origin });
        assert.equal(socket.received[0]!.type, 'hello');
      }
    });

    it('refuses a foreign Origin with a complete 403 and no upgrade', async () => {
      const refused = await rawUpgrade(server.baseUrl, WS_PATH, { Origin: 'https://evil.example' });
      try {
        assert.equal(refused.statusCode, 403);
        assert.match(refused.response, /^HTTP\/1\.1 403 Forbidden\r\n/);
        assert.match(refused.response, new RegExp(`\r\nContent-Type: ${PROBLEM_CONTENT_TYPE.replace('+', '\\+')}\r\n`));
        assert.match(refused.response, /\r\nConnection: close\r\n/);
        assert.doesNotMatch(refused.response, /Sec-WebSocket-Accept/i);
        const body = JSON.parse(refused.response.slice(refused.response.indexOf('\r\n\r\n') + 4)) as {
          status: number;
          detail: string;
        };
        assert.equal(body.status, 403);
        assert.match(body.detail, /evil\.example/);
        // The server closes the connection after the answer.
        await withTimeout(new Promise((resolve) => refused.socket.once('close', resolve)), 'the socket to close');
      } finally {
        refused.socket.destroy();
      }

      // A browser-like client sees the refusal as a failed handshake.
      const status = await withTimeout(
        new Promise<number | undefined>((resolve) => {
          const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${WS_PATH}`, { origin: 'null' });
          ws.on('error', () => {});
          ws.once('unexpected-response', (_request, response) => {
            resolve(response.statusCode);
            response.destroy();
          });
        }),
        'the refusal',
      );
      assert.equal(status, 403);
    });

    it('answers 404 to an upgrade of any other path', async () => {
      const refused = await rawUpgrade(server.baseUrl, '/api/ws', {});
      try {
        assert.equal(refused.statusCode, 404);
        assert.match(refused.response, /WebSockets are served at \/ws only/);
      } finally {
        refused.socket.destroy();
      }
    });

    it('answers 400 to a malformed handshake, naming the version it speaks', async () => {
      const refused = await rawUpgrade(server.baseUrl, WS_PATH, { 'Sec-WebSocket-Version': '12' });
      try {
        // The helper already sent version 13; a second header makes it "13, 12", which is invalid.
        assert.equal(refused.statusCode, 400);
        assert.match(refused.response, /\r\nSec-WebSocket-Version: 13\r\n/);
      } finally {
        refused.socket.destroy();
      }
    });

    it('negotiates neither compression nor a subprotocol', async () => {
      const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${WS_PATH}`, 'chat.v1', {
        perMessageDeflate: true,
      });
      ws.on('error', () => {});
      const outcome = await withTimeout(
        new Promise<string>((resolve) => {
          ws.once('open', () => resolve(`open ${ws.extensions} ${ws.protocol}`));
          ws.once('error', (error) => resolve(error.message));
        }),
        'the handshake',
      );
      ws.terminate();
      // RFC 6455 §4.1: a client that asked for a subprotocol fails the connection when the server picks none.
      assert.match(outcome, /Server sent no subprotocol/);
    });
  });

  describe('bad input', () => {
    it('answers bad JSON, unknown types and invalid fields with an error, and stays usable', async () => {
      let socket = await connect();

      socket.send('{"type": "join", ');
      const badJson = await socket.next('error');
      assert.equal(badJson.code, 'bad-json');

      socket.send({ type: 'shout', text: 'hi' });
      const unknown = await socket.next('error');
      assert.equal(unknown.code, 'unknown-type');
      assert.match(unknown.message, /"shout"/);

      const invalid: [unknown, string][] = [
        [[1, 2], 'type'],
        [{ text: 'no type' }, 'type'],
        [{ type: 'join', name: 'Ada' }, 'room'],
        [{ type: 'join', room: 'a room with spaces', name: 'Ada' }, 'room'],
        [{ type: 'join', room: 'lobby' }, 'name'],
        [{ type: 'join', room: 'lobby', name: '   ' }, 'name'],
        [{ type: 'join', room: 'lobby', name: 'x'.repeat(WS_LIMITS.maxNameLength + 1) }, 'name'],
        [{ type: 'join', room: 'lobby', name: 'Ada\u0007' }, 'name'],
        [{ type: 'subscribe', channel: 'news' }, 'cursor'],
        [{ type: 'subscribe', channel: 'news', cursor: -1 }, 'cursor'],
        [{ type: 'subscribe', channel: 'news', cursor: 1.5 }, 'cursor'],
        [{ type: 'subscribe', cursor: 0 }, 'channel'],
        [{ type: 'unsubscribe' }, 'channel'],
        [{ type: 'message', clientId: 'c1' }, 'text'],
        [{ type: 'message', text: 'x'.repeat(WS_LIMITS.maxTextLength + 1), clientId: 'c1' }, 'text'],
        [{ type: 'message', text: 'hi' }, 'clientId'],
        [{ type: 'message', text: 'hi', clientId: 'not ok!' }, 'clientId'],
        [{ type: 'typing', typing: 'yes' }, 'typing'],
        [{ type: 'simulate', fault: 'fire' }, 'fault'],
      ];
      for (const [index, [message, field]] of invalid.entries()) {
        // A fresh socket now and then: this test is about validation, not the rate limit.
        if (index === 15) socket = await connect();
        socket.send(message);
        const error = await socket.next('error');
        assert.equal(error.code, 'invalid-message', JSON.stringify(message));
        assert.equal(error.field, field, JSON.stringify(message));
        assert.match(error.message, new RegExp(field), JSON.stringify(message));
      }

      socket.send(Buffer.from('{"type":"leave"}'), { binary: true });
      const binary = await socket.next('error');
      assert.equal(binary.code, 'invalid-message');
      assert.match(binary.message, /Binary frames/);

      socket.send({ type: 'join', room: 'still-usable', name: 'Ada' });
      assert.equal((await socket.next('joined')).room, 'still-usable');
    });

    it('requires joining a room before chatting', async () => {
      const socket = await connect();
      for (const message of [
        { type: 'message', text: 'hi', clientId: 'c1' },
        { type: 'typing', typing: true },
        { type: 'leave' },
        { type: 'simulate', fault: 'restart' },
      ]) {
        socket.send(message);
        assert.equal((await socket.next('error')).code, 'not-in-room');
      }
    });

    it('closes with 1009 on a frame larger than maxPayloadBytes', async () => {
      const socket = await connect();
      socket.send('x'.repeat(WS_LIMITS.maxPayloadBytes + 1));
      assert.equal((await socket.waitForClose()).code, WS_CLOSE.messageTooBig);
    });

    it('accepts a frame of exactly maxPayloadBytes', async () => {
      const socket = await connect();
      const padding = 'x'.repeat(WS_LIMITS.maxPayloadBytes - '{"type":"leave","p":""}'.length);
      socket.send(`{"type":"leave","p":"${padding}"}`);
      assert.equal((await socket.next('error')).code, 'not-in-room');
    });

    it('closes with 1007 on a text frame that is not UTF-8', async () => {
      const raw = await rawUpgrade(server.baseUrl, WS_PATH, {});
      try {
        assert.equal(raw.statusCode, 101);
        let frames = raw.rest;
        const closeFrame = withTimeout(
          new Promise<Buffer>((resolve) => {
            const look = () => {
              const payload = closeFramePayload(frames);
              if (payload) resolve(payload);
            };
            raw.socket.on('data', (chunk: Buffer) => {
              frames = Buffer.concat([frames, chunk]);
              look();
            });
            look();
          }),
          'a close frame',
        );
        raw.socket.write(clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
        assert.equal((await closeFrame).readUInt16BE(0), WS_CLOSE.invalidPayload);
      } finally {
        raw.socket.destroy();
      }
    });

    it('drops messages over the rate limit with an error, then closes a flood with 1008', async () => {
      const socket = await connect();
      const total = WS_LIMITS.burst + WS_LIMITS.abuseThreshold + 10;
      // Sent in one go: the bucket refills by ratePerSecond, far slower than the server reads them.
      for (let index = 0; index < total; index += 1) socket.send({ type: 'typing', typing: true });

      const closed = await socket.waitForClose();
      assert.equal(closed.code, WS_CLOSE.policyViolation);
      const errors = socket.received.filter((message) => message.type === 'error');
      assert.ok(errors.length >= WS_LIMITS.abuseThreshold, `${errors.length} errors`);
      assert.ok(errors.every((error) => error.code === 'rate-limited' || error.code === 'not-in-room'));
      const limited = errors.filter((error) => error.code === 'rate-limited').length;
      // Each refusal is answered until the one past the threshold, which closes instead.
      assert.equal(limited, WS_LIMITS.abuseThreshold);
    });

    it('closes a ping flood with 1008 too', async () => {
      const socket = await connect();
      for (let index = 0; index < WS_LIMITS.burst + WS_LIMITS.abuseThreshold + 10; index += 1) socket.ws.ping();
      assert.equal((await socket.waitForClose()).code, WS_CLOSE.policyViolation);
    });
  });

  describe('channel subscriptions', () => {
    it('replays after the cursor, then delivers live events, with the ids POST returned', async () => {
      const published = [];
      for (const n of [1, 2, 3]) published.push(await publish('ws-feed', 'count', { n }));
      const socket = await connect();

      socket.send({ type: 'subscribe', channel: 'ws-feed', cursor: 1 });
      assert.deepEqual(await socket.next('subscribed'), { type: 'subscribed', channel: 'ws-feed', cursor: 1 });
      const replayed = [await socket.next('event'), await socket.next('event')];
      assert.deepEqual(
        replayed.map(({ event }) => event.id),
        [published[1]!.id, published[2]!.id],
      );
      assert.deepEqual(replayed[0]!.event, {
        id: published[1]!.id,
        type: 'count',
        data: { n: 2 },
        ts: published[1]!.ts,
      });

      const live = await publish('ws-feed', 'count', { n: 4 });
      const event = await socket.next('event');
      assert.deepEqual(event, {
        type: 'event',
        channel: 'ws-feed',
        event: { id: live.id, type: 'count', data: { n: 4 }, ts: live.ts },
      });
    });

    it('resumes on a new connection from the last id seen, with no gap and no duplicate', async () => {
      const first = await connect();
      first.send({ type: 'subscribe', channel: 'ws-resume', cursor: 0 });
      await first.next('subscribed');
      const seen = (await publish('ws-resume', 'count')).id;
      assert.equal((await first.next('event')).event.id, seen);
      first.ws.terminate();
      await first.waitForClose();

      const missed = [await publish('ws-resume', 'count'), await publish('ws-resume', 'count')];
      const second = await connect();
      second.send({ type: 'subscribe', channel: 'ws-resume', cursor: seen });
      await second.next('subscribed');
      const replay = [await second.next('event'), await second.next('event')];
      assert.deepEqual(
        replay.map(({ event }) => event.id),
        missed.map(({ id }) => id),
      );
    });

    it('sends reset when the cursor is ahead of the log, then live events', async () => {
      await publish('ws-ahead', 'count');
      const socket = await connect();
      socket.send({ type: 'subscribe', channel: 'ws-ahead', cursor: 99 });
      await socket.next('subscribed');
      assert.deepEqual(await socket.next('reset'), {
        type: 'reset',
        channel: 'ws-ahead',
        latestId: 1,
        reason: 'cursor-ahead',
      });
      const live = await publish('ws-ahead', 'count');
      assert.equal((await socket.next('event')).event.id, live.id);
    });

    it('sends reset when the events after the cursor were evicted from the log', async () => {
      // The log keeps the newest 500 events per channel: write past it in-process (the HTTP path is tested above).
      for (let index = 0; index < 510; index += 1) await server.app.bus.publish('ws-evicted', 'count', index);
      const socket = await connect();
      socket.send({ type: 'subscribe', channel: 'ws-evicted', cursor: 3 });
      await socket.next('subscribed');
      assert.deepEqual(await socket.next('reset'), {
        type: 'reset',
        channel: 'ws-evicted',
        latestId: 510,
        reason: 'cursor-evicted',
      });
    });

    it('stops after unsubscribe, and releases every bus listener when the socket closes', async () => {
      const socket = await connect();
      socket.send({ type: 'subscribe', channel: 'ws-a', cursor: 0 });
      socket.send({ type: 'subscribe', channel: 'ws-b', cursor: 0 });
      await socket.next('subscribed');
      await socket.next('subscribed');
      const other = await connect();
      other.send({ type: 'subscribe', channel: 'ws-a', cursor: 0 });
      await other.next('subscribed');
      // One bus listener per channel, however many sockets follow it.
      assert.equal(server.app.bus.listenerCount('ws-a'), 1);
      assert.equal(server.app.bus.listenerCount('ws-b'), 1);

      socket.send({ type: 'unsubscribe', channel: 'ws-b' });
      assert.deepEqual(await socket.next('unsubscribed'), { type: 'unsubscribed', channel: 'ws-b' });
      assert.equal(server.app.bus.listenerCount('ws-b'), 0);
      await publish('ws-b', 'count');
      const a = await publish('ws-a', 'count');
      assert.equal((await socket.next('event')).event.id, a.id, 'ws-b is not delivered any more');

      const open = server.app.openWebSockets();
      await socket.close();
      await until(() => server.app.openWebSockets() === open - 1, 'the server to see the close');
      assert.equal(server.app.bus.listenerCount('ws-a'), 1, 'the other socket still follows ws-a');
      await other.close();
      await until(() => server.app.bus.listenerCount('ws-a') === 0, 'the last listener of ws-a to go');
    });

    it('refuses more than maxSubscriptions channels, and counts a resubscription once', async () => {
      const socket = await connect();
      for (let index = 0; index < WS_LIMITS.maxSubscriptions; index += 1) {
        socket.send({ type: 'subscribe', channel: `ws-many-${index}`, cursor: 0 });
        await socket.next('subscribed');
      }
      socket.send({ type: 'subscribe', channel: 'ws-many-0', cursor: 0 });
      await socket.next('subscribed');
      socket.send({ type: 'subscribe', channel: 'ws-one-too-many', cursor: 0 });
      assert.equal((await socket.next('error')).code, 'too-many-subscriptions');
      assert.equal(server.app.bus.listenerCount('ws-one-too-many'), 0);
    });
  });
});
