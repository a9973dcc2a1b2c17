import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { labQuery, type CreateLabResponse, type LabStats, type LabTechnique, type LabTraffic } from '../../src/protocol/lab.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { WS_PATH } from '../../src/protocol/websocket.ts';
import { publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';

/** One HTTP response as the client read it off the wire. */
interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes of the whole response: status line, headers, body and chunk framing. */
  bytes: number;
}

/**
 * A TCP connection that counts every byte it writes and reads itself, and
 * speaks just enough HTTP/1.1 to send requests and read whole responses
 * (Content-Length, chunked, or none for 204/304). Keep-alive: many requests
 * one after the other on one connection, as a browser does.
 */
class CountingConnection {
  readonly socket: Socket;
  written = 0;
  read = 0;
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.read += chunk.length;
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
  }

  static open(port: number): Promise<CountingConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new CountingConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `GET target` with a browser-like set of headers; returns the bytes sent. */
  get(target: string, headers: Record<string, string> = {}): number {
    const lines = [
      `GET ${target} HTTP/1.1`,
      `Host: ${this.socket.remoteAddress}:${this.socket.remotePort}`,
      'Accept: application/json',
      'User-Agent: lab-bytes-test/1.0 (counting every byte)',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    this.written += request.length;
    this.socket.write(request);
    return request.length;
  }

  /** Reads the next whole response. */
  async response(): Promise<RawResponse> {
    const headEnd = await this.#until(() => {
      const at = this.#buffer.indexOf('\r\n\r\n');
      return at < 0 ? undefined : at + 4;
    });
    const head = this.#buffer.subarray(0, headEnd).toString('latin1');
    const [statusLine, ...headerLines] = head.trimEnd().split('\r\n');
    const status = Number(statusLine!.split(' ')[1]);
    const headers = Object.fromEntries(
      headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    let end = headEnd;
    let body = '';
    if (status === 204 || status === 304) {
      // No body, whatever the headers say (RFC 9110 §6.4.1).
    } else if (headers['content-length'] !== undefined) {
      end = headEnd + Number(headers['content-length']);
      await this.#until(() => (this.#buffer.length >= end ? end : undefined));
      body = this.#buffer.subarray(headEnd, end).toString('utf8');
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = await this.#until(() => {
          const at = this.#buffer.indexOf('\r\n', end);
          return at < 0 ? undefined : at;
        });
        const size = parseInt(this.#buffer.subarray(end, sizeEnd).toString('latin1'), 16);
        const chunkEnd = sizeEnd + 2 + size + 2;
        await this.#until(() => (this.#buffer.length >= chunkEnd ? chunkEnd : undefined));
        body += this.#buffer.subarray(sizeEnd + 2, sizeEnd + 2 + size).toString('utf8');
        end = chunkEnd;
        if (size === 0) break;
      }
    }
    this.#buffer = this.#buffer.subarray(end);
    return { status, headers, body, bytes: end };
  }

  /** Everything received so far and not yet read as a response, as text (for a stream). */
  text(): string {
    return this.#buffer.toString('utf8');
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  async #until<T>(found: () => T | undefined, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      if (Date.now() > deadline || this.socket.destroyed) throw new Error('No complete response arrived');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }
}

describe('lab byte accounting', () => {
  let server: RunningServer;
  let port: number;
  const url = (path: string) => `${server.baseUrl}${path}`;

  before(async () => {
    server = await startServer();
    port = Number(new URL(server.baseUrl).port);
  });
  after(() => server.stop());

  const createLab = async (): Promise<CreateLabResponse> => {
    const response = await fetch(url(apiRoutes.labs.path()), { method: 'POST' });
    assert.equal(response.status, 201);
    return (await response.json()) as CreateLabResponse;
  };
  const stats = async (labId: string): Promise<LabStats> => {
    const response = await fetch(url(apiRoutes.labStats.path({ id: labId })));
    assert.equal(response.status, 200);
    return (await response.json()) as LabStats;
  };
  const traffic = async (labId: string, via: LabTechnique): Promise<LabTraffic> => (await stats(labId)).traffic[via];
  const publish = (channel: string, data: unknown) => publishEvent(server.baseUrl, channel, 'count', data);

  it('counts keep-alive short polls exactly as the client sent and read them, and not the requests between them', async () => {
    const lab = await createLab();
    await publish(lab.channel, { seq: 1, publishedAt: Date.now() });
    const connection = await CountingConnection.open(port);
    const latest = apiRoutes.channelLatest.path({ channel: lab.channel });
    const counted = { plain: { up: 0, down: 0 }, etag: { up: 0, down: 0 } };

    // Without ETag: two full 200s.
    for (let poll = 0; poll < 2; poll++) {
      counted.plain.up += connection.get(`${latest}?${labQuery(lab.id, 'short-polling')}`);
      const answer = await connection.response();
      assert.equal(answer.status, 200);
      counted.plain.down += answer.bytes;
    }
    // Not lab traffic, on the same connection: must not be counted anywhere.
    connection.get(apiRoutes.labStats.path({ id: lab.id }));
    assert.equal((await connection.response()).status, 200);

    // With ETag: a 200, then a 304.
    counted.etag.up += connection.get(`${latest}?${labQuery(lab.id, 'short-polling-etag')}`);
    const first = await connection.response();
    counted.etag.down += first.bytes;
    counted.etag.up += connection.get(`${latest}?${labQuery(lab.id, 'short-polling-etag')}`, { 'If-None-Match': first.headers.etag! });
    const second = await connection.response();
    assert.equal(second.status, 304);
    counted.etag.down += second.bytes;

    assert.deepEqual(await traffic(lab.id, 'short-polling'), {
      requests: 2,
      bytesUp: counted.plain.up,
      bytesDown: counted.plain.down,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });
    assert.deepEqual(await traffic(lab.id, 'short-polling-etag'), {
      requests: 2,
      bytesUp: counted.etag.up,
      bytesDown: counted.etag.down,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });
    // What the connection carried in all is more: the stats request and its answer.
    assert.ok(connection.read > counted.plain.down + counted.etag.down);
    await connection.close();
  });

  it('counts a held long poll while it waits, and exactly once it is answered', async () => {
    const lab = await createLab();
    const connection = await CountingConnection.open(port);
    const tag = labQuery(lab.id, 'long-polling');

    // A 204: held 0 ms, nothing to say.
    let up = connection.get(`${apiRoutes.longPoll.path({ channel: lab.channel }, { cursor: 0, timeout: 0 })}&${tag}`);
    const timeout = await connection.response();
    assert.equal(timeout.status, 204);
    let down = timeout.bytes;

    // Held until an event is published: only the request so far, and one connection held.
    up += connection.get(`${apiRoutes.longPoll.path({ channel: lab.channel }, { cursor: 0, timeout: 10_000 })}&${tag}`);
    await waitUntil(() => server.app.heldPolls(lab.channel) === 1, 'the poll is held');
    assert.deepEqual(await traffic(lab.id, 'long-polling'), {
      requests: 2,
      bytesUp: up,
      bytesDown: down,
      connectionsHeld: 1,
      connectionsUsed: 1,
    });
    await publish(lab.channel, { seq: 1, publishedAt: Date.now() });
    const answer = await connection.response();
    assert.equal(answer.status, 200);
    down += answer.bytes;
    assert.deepEqual(await traffic(lab.id, 'long-polling'), {
      requests: 2,
      bytesUp: up,
      bytesDown: down,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });

    // The client gives up on a held poll: its request still counts, nothing came down.
    up += connection.get(`${apiRoutes.longPoll.path({ channel: lab.channel }, { cursor: 1, timeout: 10_000 })}&${tag}`);
    await waitUntil(() => server.app.heldPolls(lab.channel) === 1, 'the poll is held');
    await connection.close();
    await waitUntil(() => server.app.heldPolls(lab.channel) === 0, 'the server let go of the poll');
    assert.deepEqual(await traffic(lab.id, 'long-polling'), {
      requests: 3,
      bytesUp: up,
      bytesDown: down,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });
  });

  it('counts an SSE stream live while it is open, and in full once it closes', async () => {
    const lab = await createLab();
    const connection = await CountingConnection.open(port);
    connection.get(`${apiRoutes.sse.path({ channel: lab.channel })}?${labQuery(lab.id, 'sse')}`, { Accept: 'text/event-stream' });
    await waitUntil(() => connection.text().includes('retry:'), 'the stream started');
    await publish(lab.channel, { seq: 1, publishedAt: Date.now() });
    await publish(lab.channel, { seq: 2, publishedAt: Date.now() });
    await waitUntil(() => connection.text().includes('"seq":2'), 'both events arrived');

    // Everything the server wrote has arrived: its count must be the client's, to the byte.
    const live = await traffic(lab.id, 'sse');
    assert.deepEqual(live, {
      requests: 1,
      bytesUp: connection.written,
      bytesDown: connection.read,
      connectionsHeld: 1,
      connectionsUsed: 1,
    });
    // Headers, `retry:`, the `id:` line and two events, in chunked framing: a few hundred bytes, not a few kB.
    assert.ok(live.bytesDown > 200 && live.bytesDown < 1_000, `${live.bytesDown} bytes down`);

    await connection.close();
    await waitUntil(() => server.app.openStreams(lab.channel) === 0, 'the stream closed on the server');
    assert.deepEqual(await traffic(lab.id, 'sse'), {
      requests: 1,
      bytesUp: connection.written,
      bytesDown: connection.read,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });
  });

  it('counts a WebSocket — handshake and every frame — as its raw socket counted it', async () => {
    const lab = await createLab();
    let raw: Socket | undefined;
    const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}${WS_PATH}?${labQuery(lab.id, 'websocket')}`, {
      // Our own TCP socket, so that the test reads the client side's counters. (Counting 'data'
      // events would not do: the HTTP client hands bytes after the 101 back with unshift, and they
      // are emitted twice.)
      createConnection: (options: { port?: number | string | null }) => {
        raw = connect({ host: '127.0.0.1', port: Number(options.port) });
        return raw;
      },
    });
    const events: number[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: { id: number } };
      if (message.type === 'event') events.push(message.event!.id);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', channel: lab.channel, cursor: 0 }));
    await waitUntil(() => server.app.openWebSockets() === 1, 'the socket is open');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await publish(lab.channel, { seq: 1, publishedAt: Date.now() });
    await publish(lab.channel, { seq: 2, publishedAt: Date.now() });
    await waitUntil(() => events.length === 2, 'both events arrived');
    const socket = raw!;

    assert.deepEqual(await traffic(lab.id, 'websocket'), {
      requests: 1,
      bytesUp: socket.bytesWritten,
      bytesDown: socket.bytesRead,
      connectionsHeld: 1,
      connectionsUsed: 1,
    });

    // The closing handshake adds a close frame each way (2 + 2 bytes of payload, plus headers and the client's mask).
    ws.close(1000);
    await new Promise((resolve) => ws.once('close', resolve));
    await waitUntil(() => server.app.openWebSockets() === 0, 'the server closed its side');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await traffic(lab.id, 'websocket'), {
      requests: 1,
      bytesUp: socket.bytesWritten,
      bytesDown: socket.bytesRead,
      connectionsHeld: 0,
      connectionsUsed: 1,
    });
  });

  it('does not count requests of unknown labs, and forgets nothing of the others', async () => {
    const lab = await createLab();
    const connection = await CountingConnection.open(port);
    connection.get(`${apiRoutes.channelLatest.path({ channel: lab.channel })}?${labQuery('NoSuchLab123', 'short-polling')}`);
    assert.equal((await connection.response()).status, 200);
    await connection.close();
    const counted = await stats(lab.id);
    assert.ok(Object.values(counted.traffic).every((lane) => lane.requests === 0 && lane.bytesUp === 0));
  });

  it('serves many labs on one keep-alive connection without piling up listeners', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const connection = await CountingConnection.open(port);
    try {
      for (let run = 0; run < 15; run++) {
        const lab = await createLab();
        connection.get(`${apiRoutes.channelLatest.path({ channel: lab.channel })}?${labQuery(lab.id, 'short-polling')}`);
        assert.equal((await connection.response()).status, 200);
        assert.equal((await traffic(lab.id, 'short-polling')).requests, 1);
      }
    } finally {
      await connection.close();
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  it('cuts every connection of the lab on demand, and the clients see it', async () => {
    const lab = await createLab();
    const stream = await CountingConnection.open(port);
    stream.get(`${apiRoutes.sse.path({ channel: lab.channel })}?${labQuery(lab.id, 'sse')}`);
    await waitUntil(() => stream.text().includes('retry:'), 'the stream started');
    const poll = await CountingConnection.open(port);
    poll.get(`${apiRoutes.longPoll.path({ channel: lab.channel }, { cursor: 0, timeout: 10_000 })}&${labQuery(lab.id, 'long-polling')}`);
    await waitUntil(() => server.app.heldPolls(lab.channel) === 1, 'the poll is held');

    const response = await fetch(url(apiRoutes.labDropConnections.path({ id: lab.id })), { method: 'POST' });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { dropped: 2 });
    await Promise.all([stream.closed, poll.closed]);
    const counted = await stats(lab.id);
    assert.equal(counted.traffic.sse.connectionsHeld, 0);
    assert.equal(counted.traffic['long-polling'].connectionsHeld, 0);
  });

  it('cuts only connections whose latest request was the lab’s: a proxy’s connection may carry another reader next', async () => {
    const [mine, theirs] = [await createLab(), await createLab()];
    // As nginx's keep-alive pool would: my short poll, then another reader's long poll, on one connection…
    const shared = await CountingConnection.open(port);
    shared.get(`${apiRoutes.channelLatest.path({ channel: mine.channel })}?${labQuery(mine.id, 'short-polling')}`);
    assert.equal((await shared.response()).status, 200);
    shared.get(
      `${apiRoutes.longPoll.path({ channel: theirs.channel }, { cursor: 0, timeout: 10_000 })}&${labQuery(theirs.id, 'long-polling')}`,
    );
    // …and my short poll, then an untagged request.
    const untagged = await CountingConnection.open(port);
    untagged.get(`${apiRoutes.channelLatest.path({ channel: mine.channel })}?${labQuery(mine.id, 'short-polling')}`);
    assert.equal((await untagged.response()).status, 200);
    untagged.get(apiRoutes.channelLatest.path({ channel: 'someone-else' }));
    assert.equal((await untagged.response()).status, 200);
    await waitUntil(() => server.app.heldPolls(theirs.channel) === 1, 'their poll is held');

    const response = await fetch(url(apiRoutes.labDropConnections.path({ id: mine.id })), { method: 'POST' });
    assert.deepEqual(await response.json(), { dropped: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.app.heldPolls(theirs.channel), 1, 'their poll is still held');
    assert.equal(untagged.socket.destroyed, false);

    const theirDrop = await fetch(url(apiRoutes.labDropConnections.path({ id: theirs.id })), { method: 'POST' });
    assert.deepEqual(await theirDrop.json(), { dropped: 1 });
    await shared.closed;
    await untagged.close();
  });
});

describe('lab endpoints', () => {
  let server: RunningServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('runs a publisher on the lab channel and reports it in the stats', async () => {
    const lab = (await (await fetch(url(apiRoutes.labs.path()), { method: 'POST' })).json()) as CreateLabResponse;
    const started = await fetch(url(apiRoutes.labRun.path({ id: lab.id })), postJson({ ratePerMinute: 3_000, durationMs: 5_000 }));
    assert.equal(started.status, 202);
    await waitUntil(async () => (await server.app.bus.latestId(lab.channel)) >= 5, 'a few events were published', 2_000);
    const stopped = await fetch(url(apiRoutes.labStop.path({ id: lab.id })), { method: 'POST' });
    assert.equal(stopped.status, 200);
    const response = await fetch(url(apiRoutes.labStats.path({ id: lab.id })));
    const counted = (await response.json()) as LabStats;
    assert.ok(Number(response.headers.get('x-server-time')) > 0);
    assert.equal(counted.run?.state, 'stopped');
    assert.equal(counted.run?.published, await server.app.bus.latestId(lab.channel));
    const events = (await server.app.bus.since(lab.channel, 0)).events;
    assert.ok(events.every((event, index) => event.type === 'tick' && (event.data as { seq: number }).seq === index + 1));
  });

  it('answers the latest events with a strong ETag, and 304 while nothing is published', async () => {
    const channel = 'latest-test';
    const empty = await fetch(url(apiRoutes.channelLatest.path({ channel })));
    assert.equal(empty.status, 200);
    assert.deepEqual(await empty.json(), { latestId: 0, events: [] });
    for (let n = 1; n <= 25; n++) await fetch(url(apiRoutes.channelEvents.path({ channel })), postJson({ type: 'count', data: { n } }));
    const full = await fetch(url(apiRoutes.channelLatest.path({ channel })));
    const body = (await full.json()) as { latestId: number; events: { id: number }[] };
    assert.equal(body.latestId, 25);
    assert.deepEqual(
      body.events.map((event) => event.id),
      Array.from({ length: 20 }, (_, index) => index + 6),
    );
    const etag = full.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]+\.25"$/);
    assert.equal(full.headers.get('cache-control'), 'no-cache');
    const same = await fetch(url(apiRoutes.channelLatest.path({ channel })), { headers: { 'If-None-Match': etag } });
    assert.equal(same.status, 304);
    assert.equal(await same.text(), '');
    await fetch(url(apiRoutes.channelEvents.path({ channel })), postJson({ type: 'count' }));
    const changed = await fetch(url(apiRoutes.channelLatest.path({ channel })), { headers: { 'If-None-Match': etag } });
    assert.equal(changed.status, 200);
    await changed.body?.cancel();
  });

  it('refuses unknown labs and bad runs with problems', async () => {
    const unknown = await fetch(url(apiRoutes.labStats.path({ id: 'NoSuchLab123' })));
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { type: string }).type, 'tag:realtime-workbook,2026:unknown-lab');
    const lab = (await (await fetch(url(apiRoutes.labs.path()), { method: 'POST' })).json()) as CreateLabResponse;
    const bad = await fetch(url(apiRoutes.labRun.path({ id: lab.id })), postJson({ ratePerMinute: 10_000, durationMs: 5_000 }));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { field: string }).field, 'ratePerMinute');
    const invalid = await fetch(url(apiRoutes.channelLatest.path({ channel: 'not a channel' })));
    assert.equal(invalid.status, 400);
  });
});
