import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import type { FaultRequest } from '../../src/protocol/faults.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { SSE_DEFAULTS, SSE_HEARTBEAT, type SseResetData } from '../../src/protocol/sse.ts';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { openRawStream, parseWire, type RawStream } from './helpers/raw-stream.ts';
import { injectFault as injectChannelFault, publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { activeTimers } from './helpers/active-timers.ts';

/** What an EventSource received, in order. */
interface Received {
  type: string;
  id: string;
  data: string;
}

describe('Server-Sent Events', () => {
  let server: RunningServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  let channelNumber = 0;
  const freshChannel = () => `sse-${(channelNumber += 1)}`;
  /** Streams and EventSources a test opened, closed after it whatever happens. */
  const cleanups: (() => void)[] = [];

  const publish = async (channel: string, data: unknown = null, type = 'count'): Promise<number> =>
    (await publishEvent(server.baseUrl, channel, type, data)).id;
  const injectFault = (channel: string, fault: FaultRequest) => injectChannelFault(server.baseUrl, channel, fault);
  const openStream = async (path: string, headers: Record<string, string> = {}): Promise<RawStream> => {
    const stream = await openRawStream(url(path), headers);
    cleanups.push(() => stream.destroy());
    return stream;
  };
  /** Opens a raw stream and waits until the server has subscribed it to the channel. */
  const openLive = async (channel: string, query = '', headers: Record<string, string> = {}) => {
    const before = server.app.openStreams(channel);
    const stream = await openStream(`${apiRoutes.sse.path({ channel })}${query}`, headers);
    await waitUntil(() => server.app.openStreams(channel) === before + 1, 'the stream is open on the server');
    return stream;
  };

  before(async () => {
    server = await startServer({
      // A small log so resume can fall behind it; a quick reconnect so EventSource tests run fast.
      bus: new InMemoryEventBus({ log: new ChannelLog({ capacity: 20 }) }),
      sse: { retryMs: 20 },
    });
  });
  after(async () => {
    cleanups.forEach((cleanup) => cleanup());
    await server.stop();
  });

  it('answers with an event stream that is never cached or buffered, starting with retry:', async () => {
    const stream = await openStream(apiRoutes.sse.path({ channel: freshChannel() }));
    await stream.waitFor('\n\n');

    assert.equal(stream.response.statusCode, 200);
    assert.equal(stream.response.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(stream.response.headers['cache-control'], 'no-cache');
    assert.equal(stream.response.headers['x-accel-buffering'], 'no');
    assert.equal(stream.response.headers.connection, 'keep-alive');
    await stream.waitFor('id: 0\n\n');
    // A first connection is stamped with the newest id (0: nothing yet), see the test below.
    assert.equal(stream.text(), 'retry: 20\n\nid: 0\n\n');
  });

  it('stamps a first connection with the newest id, so a reconnect before any event resumes from there', async () => {
    const channel = freshChannel();
    await publish(channel, 'before 1');
    await publish(channel, 'before 2');
    const sentIds: (string | null)[] = [];
    const received: string[] = [];
    const source = new EventSource(url(apiRoutes.sse.path({ channel })), {
      fetch: (input, init) => {
        sentIds.push(new Headers(init?.headers).get('last-event-id'));
        return fetch(input, init);
      },
    });
    cleanups.push(() => source.close());
    source.addEventListener('count', (event) => received.push(event.data));
    await waitUntil(() => server.app.openStreams(channel) === 1, 'EventSource is connected');

    // Cut it before any event arrived, and publish while it is away.
    await injectFault(channel, { type: 'kill-streams' });
    await publish(channel, 'while away');
    await waitUntil(() => received.length === 1, 'the event published while away arrives');

    // The first request had no id; the reconnect sent the stamped one: nothing before, nothing missed.
    assert.deepEqual(sentIds.slice(0, 2), [null, '2']);
    assert.deepEqual(received, ['while away']);
  });

  it('writes each event as id, event and data lines, exactly', async () => {
    const channel = freshChannel();
    const stream = await openLive(channel);
    await publish(channel, { text: 'hello' }, 'note');
    await publish(channel, 'plain text', 'line');

    await stream.waitFor('plain text\n\n');
    assert.equal(
      stream.text(),
      'retry: 20\n\nid: 0\n\n' + 'id: 1\nevent: note\ndata: {"text":"hello"}\n\n' + 'id: 2\nevent: line\ndata: plain text\n\n',
    );
  });

  it('keeps multi-line data intact, and a payload cannot inject an event', async () => {
    const channel = freshChannel();
    const stream = await openLive(channel);
    const received: Received[] = [];
    const source = new EventSource(url(`${apiRoutes.sse.path({ channel })}?lastEventId=0`));
    cleanups.push(() => source.close());
    source.addEventListener('line', (event) => received.push({ type: 'line', id: event.lastEventId, data: event.data }));
    source.addEventListener('x', () => received.push({ type: 'x', id: '', data: 'injected' }));
    await waitUntil(() => server.app.openStreams(channel) === 2, 'EventSource is connected');

    const payload = 'line 1\n\ndata: injected\nevent: x\r\nline 4\rline 5';
    await publish(channel, payload, 'line');

    await waitUntil(() => received.length === 1, 'EventSource got the event');
    assert.deepEqual(received, [{ type: 'line', id: '1', data: 'line 1\n\ndata: injected\nevent: x\nline 4\nline 5' }]);
    await stream.waitFor('line 5\n\n');
    assert.equal(
      stream.text(),
      'retry: 20\n\nid: 0\n\n' +
        'id: 1\nevent: line\n' +
        'data: line 1\ndata: \ndata: data: injected\ndata: event: x\ndata: line 4\ndata: line 5\n\n',
    );
  });

  it('sends heartbeat comments at the interval the stream asks for', async () => {
    const stream = await openStream(`${apiRoutes.sse.path({ channel: freshChannel() })}?heartbeat=1000`);
    await stream.waitFor(SSE_HEARTBEAT);
    assert.equal(stream.text(), `retry: 20\n\nid: 0\n\n${SSE_HEARTBEAT}`);
  });

  for (const heartbeat of ['999', '60001', 'abc', '1.5']) {
    it(`refuses heartbeat=${heartbeat} with a 400 before the stream starts`, async () => {
      const response = await fetch(url(`${apiRoutes.sse.path({ channel: 'sse-bad' })}?heartbeat=${heartbeat}`));
      const problem = (await response.json()) as ProblemDetails;
      assert.equal(response.status, 400);
      assert.equal(problem.type, PROBLEM_TYPES.invalidQuery);
      assert.equal(problem.parameter, 'heartbeat');
    });
  }

  it("refuses lastEventId given twice with a 400: which one to resume from is anyone's guess", async () => {
    const response = await fetch(url(`${apiRoutes.sse.path({ channel: 'sse-bad' })}?lastEventId=1&lastEventId=2`));
    const problem = (await response.json()) as ProblemDetails;
    assert.equal(response.status, 400);
    assert.equal(problem.type, PROBLEM_TYPES.invalidQuery);
    assert.equal(problem.parameter, 'lastEventId');
    assert.equal(problem.detail, '"lastEventId" is given 2 times; give it once.');
  });

  it('refuses a bad channel name with a 400', async () => {
    const response = await fetch(url('/api/sse/no%20spaces'));
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as ProblemDetails).type, PROBLEM_TYPES.invalidChannel);
  });

  it('answers HEAD with the headers only', async () => {
    const response = await fetch(url(apiRoutes.sse.path({ channel: freshChannel() })), { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(await response.text(), '');
  });

  it('resumes after Last-Event-ID with a comment, then every later event, then live ones', async () => {
    const channel = freshChannel();
    for (let n = 1; n <= 4; n += 1) await publish(channel, n);

    const stream = await openLive(channel, '', { 'Last-Event-ID': '2' });
    await publish(channel, 5);
    await stream.waitFor('data: 5\n\n');

    assert.equal(
      stream.text(),
      'retry: 20\n\n' +
        ': resuming after Last-Event-ID 2\n\n' +
        'id: 3\nevent: count\ndata: 3\n\n' +
        'id: 4\nevent: count\ndata: 4\n\n' +
        'id: 5\nevent: count\ndata: 5\n\n',
    );
  });

  it('resumes from ?lastEventId= too, and the header wins over it', async () => {
    const channel = freshChannel();
    for (let n = 1; n <= 3; n += 1) await publish(channel, n);

    const byQuery = await openLive(channel, '?lastEventId=1');
    await byQuery.waitFor('data: 3\n\n');
    assert.deepEqual(
      parseWire(byQuery.text()).map((block) => block.id ?? block.comments[0] ?? `retry ${block.retry}`),
      ['retry 20', 'resuming after Last-Event-ID 1', '2', '3'],
    );

    const both = await openLive(channel, '?lastEventId=1', { 'Last-Event-ID': '2' });
    await both.waitFor('data: 3\n\n');
    assert.match(both.text(), /: resuming after Last-Event-ID 2\n\nid: 3\n/);
  });

  it('sends a reset when the last event id was evicted from the log, then live events', async () => {
    const channel = freshChannel();
    for (let n = 1; n <= 25; n += 1) server.app.bus.publish(channel, 'count', n);

    const stream = await openLive(channel, '', { 'Last-Event-ID': '3' });
    await publish(channel, 26);
    await stream.waitFor('data: 26\n\n');

    const reset: SseResetData = { reason: 'cursor-evicted', latestId: 25 };
    assert.equal(stream.text(), `retry: 20\n\nid: 25\nevent: reset\ndata: ${JSON.stringify(reset)}\n\nid: 26\nevent: count\ndata: 26\n\n`);
  });

  it('sends a reset when the last event id is ahead of the log (the server restarted)', async () => {
    const channel = freshChannel();
    await publish(channel, 1);
    const stream = await openLive(channel, '', { 'Last-Event-ID': '99' });
    await stream.waitFor('event: reset');
    const [, reset] = parseWire(stream.text());
    assert.equal(reset?.id, '1');
    assert.deepEqual(JSON.parse(reset?.data ?? ''), { reason: 'cursor-ahead', latestId: 1 });
  });

  for (const [name, query, header] of [
    ['a non-numeric id', '', 'abc'],
    ['a negative id', '', '-1'],
    ['a huge id', '', '99999999999999999999'],
    ['an id with a fraction', '', '1.0'],
    ['an id with CR/LF (query)', `?lastEventId=${encodeURIComponent('1\r\nevent: x\n\ndata: pwned')}`, undefined],
    ['an id with NUL (query)', `?lastEventId=${encodeURIComponent('1\0')}`, undefined],
  ] as const) {
    it(`sends a reset for ${name}, never an error`, async () => {
      const channel = freshChannel();
      await publish(channel, 1);
      const stream = await openLive(channel, query, header === undefined ? {} : { 'Last-Event-ID': header });
      await publish(channel, 2);
      await stream.waitFor('data: 2\n\n');

      assert.equal(stream.response.statusCode, 200);
      const blocks = parseWire(stream.text());
      assert.deepEqual(
        blocks.map((block) => [block.id, block.event]),
        [
          [undefined, undefined],
          ['1', 'reset'],
          ['2', 'count'],
        ],
      );
      assert.deepEqual(JSON.parse(blocks[1]?.data ?? ''), { reason: 'invalid-last-event-id', latestId: 1 });
      assert.doesNotMatch(stream.text(), /pwned|event: x/);
      assert.deepEqual(server.errors, []);
    });
  }

  it('releases the bus listener and the heartbeat when the client disconnects', async () => {
    const channel = freshChannel();
    const timersBefore = activeTimers();
    const stream = await openLive(channel, '?heartbeat=1000');
    assert.equal(server.app.bus.listenerCount(channel), 1);

    stream.destroy();

    await waitUntil(() => server.app.bus.listenerCount(channel) === 0, 'the stream unsubscribed');
    await waitUntil(() => server.app.openStreams(channel) === 0, 'the stream is forgotten');
    await waitUntil(() => activeTimers() <= timersBefore, 'the heartbeat interval is cleared');
  });

  it('kill-streams cuts the connection; EventSource reconnects with Last-Event-ID and misses nothing', async () => {
    const channel = freshChannel();
    const lastEventIds: (string | null)[] = [];
    const received: Received[] = [];
    const source = new EventSource(url(apiRoutes.sse.path({ channel })), {
      fetch: (input, init) => {
        lastEventIds.push(new Headers(init.headers).get('last-event-id'));
        return fetch(input, init);
      },
    });
    cleanups.push(() => source.close());
    source.addEventListener('count', (event) => received.push({ type: 'count', id: event.lastEventId, data: event.data }));
    await waitUntil(() => server.app.openStreams(channel) === 1, 'EventSource is connected');

    for (let n = 1; n <= 3; n += 1) await publish(channel, n);
    await waitUntil(() => received.length === 3, 'the first three events arrived');

    assert.deepEqual(await injectFault(channel, { type: 'kill-streams' }), { type: 'kill-streams', affected: 1 });
    // Published while the client is away (or reconnecting): they must come in the replay.
    for (let n = 4; n <= 6; n += 1) await publish(channel, n);
    await waitUntil(() => received.length >= 6, 'the replay arrived');
    await waitUntil(() => server.app.openStreams(channel) === 1, 'EventSource reconnected');
    await publish(channel, 7);
    await waitUntil(() => received.length >= 7, 'a live event arrived after the reconnect');

    assert.deepEqual(
      received.map((event) => event.id),
      ['1', '2', '3', '4', '5', '6', '7'],
      'contiguous ids: no gap, no duplicate',
    );
    assert.deepEqual(
      received.map((event) => event.data),
      ['1', '2', '3', '4', '5', '6', '7'],
    );
    assert.equal(lastEventIds[0], null);
    assert.equal(lastEventIds.at(-1), '3');
  });

  it('restart-streams ends the stream cleanly', async () => {
    const channel = freshChannel();
    const stream = await openLive(channel);
    assert.deepEqual(await injectFault(channel, { type: 'restart-streams' }), { type: 'restart-streams', affected: 1 });
    assert.deepEqual(await stream.ended, { clean: true });
    await waitUntil(() => server.app.bus.listenerCount(channel) === 0, 'the stream unsubscribed');
  });

  it('kill-streams cuts the connection without a proper end', async () => {
    const channel = freshChannel();
    const stream = await openLive(channel);
    await injectFault(channel, { type: 'kill-streams' });
    assert.deepEqual(await stream.ended, { clean: false });
  });

  it('the retry fault writes retry: to open streams and starts new streams with it', async () => {
    const channel = freshChannel();
    const open = await openLive(channel);
    assert.deepEqual(await injectFault(channel, { type: 'retry', retryMs: 700 }), { type: 'retry', affected: 1 });
    await open.waitFor('retry: 700\n\n');
    assert.equal(open.text(), 'retry: 20\n\nid: 0\n\nretry: 700\n\n');

    const fresh = await openLive(channel);
    await fresh.waitFor('id: 0\n\n');
    assert.equal(fresh.text(), 'retry: 700\n\nid: 0\n\n');
  });

  it('does not mistake a large replay for a stalled reader', async () => {
    const channel = freshChannel();
    // 20 events of 100 kB: a 2 MB replay, over the 1 MiB limit in one write.
    for (let n = 1; n <= 20; n += 1) server.app.bus.publish(channel, 'big', `${n}:${'y'.repeat(100_000)}`);
    const stream = await openLive(channel, '?lastEventId=0');
    await publish(channel, 'after');
    await stream.waitFor('data: after\n\n');
    assert.deepEqual(
      parseWire(stream.text()).flatMap((block) => (block.id === undefined ? [] : [Number(block.id)])),
      Array.from({ length: 21 }, (_, index) => index + 1),
    );
  });

  it('cuts a stream whose reader stalls once too much waits to be sent', async () => {
    const channel = freshChannel();
    const stream = await openLive(channel);
    // The client stops reading: the kernel's buffers fill, then Node's.
    stream.response.pause();
    const big = 'x'.repeat(256 * 1024);
    let published = 0;
    for (; published < 256 && server.app.openStreams(channel) > 0; published += 1) {
      server.app.bus.publish(channel, 'big', big);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitUntil(() => server.app.openStreams(channel) === 0, 'the stalled stream was cut');
    assert.equal(server.app.bus.listenerCount(channel), 0);
    // More than one event: a reader that merely lags a little is not cut.
    assert.ok(published > 4, `cut after ${published} events of 256 KiB`);
  });
});

describe('Server-Sent Events heartbeats', () => {
  let server: RunningServer;
  before(async () => {
    // A tiny server-wide interval (SSE_HEARTBEAT_MS) so the fault can be watched quickly.
    server = await startServer({ config: { sseHeartbeatMs: 20 } });
  });
  after(() => server.stop());

  it('stops heartbeats on the heartbeats fault, and resumes them when re-enabled', async () => {
    const channel = 'heartbeats';
    const base = server.baseUrl;
    const stream = await openRawStream(`${base}${apiRoutes.sse.path({ channel })}`);
    try {
      await stream.waitFor(SSE_HEARTBEAT);
      assert.equal(stream.text().split('\n\n')[0], `retry: ${SSE_DEFAULTS.retryMs}`);

      const off = await fetch(`${base}${apiRoutes.channelFaults.path({ channel })}`, postJson({ type: 'heartbeats', enabled: false }));
      assert.deepEqual(await off.json(), { type: 'heartbeats', affected: 1 });
      // Event A is written after the fault: whatever follows it in the stream was written later.
      await (await fetch(`${base}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type: 'mark', data: 'A' }))).arrayBuffer();
      await stream.waitFor('data: A\n\n');
      await new Promise((resolve) => setTimeout(resolve, 200)); // ten intervals
      await (await fetch(`${base}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type: 'mark', data: 'B' }))).arrayBuffer();
      await stream.waitFor('data: B\n\n');
      const between = stream.text().slice(stream.text().indexOf('data: A'), stream.text().indexOf('id: 2'));
      assert.doesNotMatch(between, /heartbeat/);

      const on = await fetch(`${base}${apiRoutes.channelFaults.path({ channel })}`, postJson({ type: 'heartbeats', enabled: true }));
      await on.arrayBuffer();
      const afterB = stream.text().length;
      await waitUntil(() => stream.text().slice(afterB).includes(SSE_HEARTBEAT), 'heartbeats resumed');
    } finally {
      stream.destroy();
    }
  });
});

describe('Server-Sent Events while the server drains', () => {
  it('ends open streams cleanly, and ends new ones right after retry:', async () => {
    const server = await startServer();
    try {
      const channel = 'draining';
      const stream = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel })}`);
      await waitUntil(() => server.app.openStreams(channel) === 1, 'the stream is open');

      server.app.beginDraining();
      assert.deepEqual(await stream.ended, { clean: true });
      assert.equal(server.app.openStreams(), 0);
      assert.equal(server.app.bus.listenerCount(channel), 0);

      const late = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel })}`);
      assert.deepEqual(await late.ended, { clean: true });
      assert.equal(late.text(), `retry: ${SSE_DEFAULTS.retryMs}\n\n`);
      assert.equal(late.response.headers.connection, 'close');
    } finally {
      await server.stop();
    }
  });
});
