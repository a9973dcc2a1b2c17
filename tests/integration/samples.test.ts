/**
 * The minimal samples at the top of lessons 2–5 (content/samples/) are shown to
 * readers as complete programs: each server runs here on port 0 and each client
 * talks to it with the runtime's own fetch, WebSocket and an EventSource.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EventSource } from 'eventsource';
import { WebSocket as WsClient } from 'ws';
import { server as shortPollingServer } from '../../content/samples/short-polling/server.ts';
import { pollScore, type Score } from '../../content/samples/short-polling/client.ts';
import { server as longPollingServer } from '../../content/samples/long-polling/server.ts';
import { receiveMessages, type Message } from '../../content/samples/long-polling/client.ts';
import { server as sseServer } from '../../content/samples/server-sent-events/server.ts';
import { followMessages } from '../../content/samples/server-sent-events/client.ts';
import { server as answerServer } from '../../content/samples/server-sent-events/answer-server.ts';
import { postForEvents, type StreamEvent } from '../../content/samples/server-sent-events/fetch-client.ts';
import { server as chatServer } from '../../content/samples/websockets/server.ts';
import { joinRoom, type Cursor } from '../../content/samples/websockets/client.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';

// The browser's EventSource, for the SSE client (Node has one only behind a flag).
(globalThis as { EventSource?: unknown }).EventSource = EventSource;

const started = new Set<Server>();
after(() => {
  for (const server of started) {
    server.closeAllConnections();
    server.close();
  }
});

/** The server's base URL, listening on an ephemeral port from its first use on (a sample module has one server). */
async function listen(server: Server, scheme = 'http'): Promise<string> {
  if (!started.has(server)) {
    started.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the short-polling sample', () => {
  it('shows each new score once, and answers an unchanged one with a bodiless 304', async () => {
    const url = `${await listen(shortPollingServer)}/api/score`;
    const shown: Score[] = [];
    const stop = pollScore(url, (score) => shown.push(score), 20);
    try {
      await waitUntil(() => shown.length === 1, 'the first score is shown');
      assert.equal((await fetch(url, postJson({ home: 2, away: 1 }))).status, 204);
      await waitUntil(() => shown.length === 2, 'the new score is shown');
      await delay(100); // several more polls, all 304
      assert.deepEqual(
        shown.map(({ home, away }) => [home, away]),
        [
          [0, 0],
          [2, 1],
        ],
      );

      const first = await fetch(url);
      const again = await fetch(url, { headers: { 'If-None-Match': first.headers.get('ETag')! } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), '');
      assert.equal((await fetch(url, postJson({ home: 'two' }))).status, 400, 'a bad score is refused');
    } finally {
      stop();
    }
  });
});

describe('the long-polling sample', () => {
  it('holds the request until a message comes, then delivers every message once, in order', async () => {
    const url = `${await listen(longPollingServer)}/api/messages`;
    const received: Message[] = [];
    const reading = new AbortController();
    const loop = receiveMessages(url, (message) => received.push(message), reading.signal);
    try {
      const held = fetch(`${url}?after=0`);
      const early = await Promise.race([held.then(() => 'answered'), delay(200, 'held')]);
      assert.equal(early, 'held', 'nothing to say yet: the server holds the request');
      for (const text of ['one', 'two', 'three']) await fetch(url, postJson({ text }));
      assert.equal((await held).status, 200);
      await waitUntil(() => received.length === 3, 'all three messages arrive');
      assert.deepEqual(
        received.map((message) => message.text),
        ['one', 'two', 'three'],
      );
      assert.equal((await fetch(url, postJson({ text: 4 }))).status, 400);
    } finally {
      reading.abort();
      await loop;
    }
  });
});

describe('the Server-Sent Events samples', () => {
  it('EventSource gets every message, and after a dropped connection resumes from Last-Event-ID with nothing lost', async () => {
    const base = await listen(sseServer);
    const shown: string[] = [];
    const stop = followMessages(`${base}/api/events`, (message) => shown.push(message.text));
    try {
      await fetch(`${base}/api/messages`, postJson({ text: 'before' }));
      await waitUntil(() => shown.length === 1, 'the first message arrives');
      sseServer.closeAllConnections(); // the network drops
      await fetch(`${base}/api/messages`, postJson({ text: 'while away' }));
      // The EventSource reconnects by itself (3 s by default) and sends Last-Event-ID: 1.
      await waitUntil(() => shown.length === 2, 'the missed message is replayed', 15_000);
      await fetch(`${base}/api/messages`, postJson({ text: 'after' }));
      await waitUntil(() => shown.length === 3, 'live messages flow again');
      assert.deepEqual(shown, ['before', 'while away', 'after']);
    } finally {
      stop();
    }
  });

  it('fetch with a stream reader reads the events of a POST', async () => {
    const base = await listen(answerServer);
    const events: StreamEvent[] = [];
    await postForEvents(`${base}/api/answer`, { question: 'how do  streams work' }, (event) => events.push(event));
    assert.deepEqual(events, [
      { event: 'message', data: '"how"' },
      { event: 'message', data: '"do"' },
      { event: 'message', data: '"streams"' },
      { event: 'message', data: '"work"' },
      { event: 'done', data: '{}' },
    ]);
    await assert.rejects(
      postForEvents(`${base}/api/answer`, { question: 7 }, () => {}),
      /HTTP 400/,
    );
  });

  it('the stream reader parses the format as the spec does, however the bytes are split', async () => {
    // CRLF split between two chunks, CR alone, comments, multi-line data, a field without a colon.
    const chunks = [
      ': hello\r\n',
      'data: a\r',
      '\ndata: a2\r\n\r\nevent: ping\ndata\ndata:  b\r\r',
      'data: c\n',
      'data: d\n\n',
      'data: unfinished',
    ];
    const raw = createServer(async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const chunk of chunks) {
        res.write(chunk);
        await delay(10);
      }
      res.end();
    });
    const base = await listen(raw);
    const events: StreamEvent[] = [];
    await postForEvents(base, {}, (event) => events.push(event));
    assert.deepEqual(events, [
      { event: 'message', data: 'a\na2' },
      { event: 'ping', data: '\n b' },
      { event: 'message', data: 'c\nd' },
    ]);
  });
});

describe('the WebSocket sample', () => {
  it('negotiates chat.v1, relays text as text and a cursor as 4 binary bytes', async () => {
    const url = `${await listen(chatServer, 'ws')}/chat`;
    const heard: string[] = [];
    const moved: Cursor[] = [];
    const ada = await joinRoom(
      url,
      () => {},
      () => {},
    );
    const grace = await joinRoom(
      url,
      (text) => heard.push(text),
      (cursor) => moved.push(cursor),
    );
    // A third member with the ws package sees the frames themselves.
    const frames: { bytes: number; isBinary: boolean }[] = [];
    const observer = new WsClient(url, 'chat.v1');
    observer.on('message', (data: Buffer, isBinary) => frames.push({ bytes: data.length, isBinary }));
    await new Promise((resolve) => observer.once('open', resolve));
    try {
      assert.equal(ada.protocol, 'chat.v1', 'the server picked the one it speaks');
      ada.say('hello');
      ada.moveTo({ x: -3, y: 500 });
      await waitUntil(() => heard.length === 1 && moved.length === 1 && frames.length === 2, 'both messages arrive');
      assert.deepEqual(heard, ['hello']);
      assert.deepEqual(moved, [{ x: -3, y: 500 }]);
      assert.deepEqual(frames, [
        { bytes: 5, isBinary: false },
        { bytes: 4, isBinary: true },
      ]);
    } finally {
      ada.leave();
      grace.leave();
      observer.close();
    }
  });

  it('fails the connection of a client that offers no protocol the server speaks', async () => {
    const url = `${await listen(chatServer, 'ws')}/chat`;
    const socket = new WebSocket(url, ['chat.v9']);
    const outcome = await new Promise<string>((resolve) => {
      socket.onopen = () => resolve('open');
      socket.onerror = () => resolve('error');
    });
    assert.equal(outcome, 'error', 'the handshake named no protocol, so the client fails the connection');
  });
});
