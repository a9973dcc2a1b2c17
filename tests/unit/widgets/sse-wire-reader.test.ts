import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createSseClient } from '../../../src/widgets/sse/client.ts';
import { WireReader, type WireReaderListener } from '../../../src/widgets/sse/wire-reader.ts';
import { settle } from '../support/fake-time.ts';

/**
 * The wire view's reader against a fake fetch whose stream bodies the test
 * writes, ends or breaks, on node:test's mocked setTimeout.
 */
class FakeStreams {
  readonly requests: { url: string; signal: AbortSignal }[] = [];
  readonly bodies: ReadableStreamDefaultController<Uint8Array>[] = [];
  /** The answer to the next request, when not a stream. */
  next: (() => Response) | null = null;
  readonly fetch = (async (url: string, init: RequestInit) => {
    this.requests.push({ url, signal: init.signal! });
    if (this.next) {
      const answer = this.next;
      this.next = null;
      return answer();
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.bodies.push(controller);
      },
    });
    init.signal?.addEventListener('abort', () => {
      try {
        this.bodies.at(-1)?.error(new DOMException('aborted', 'AbortError'));
      } catch {
        // already closed
      }
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
  }) as unknown as typeof fetch;

  write(text: string, index = this.bodies.length - 1): void {
    this.bodies[index]!.enqueue(new TextEncoder().encode(text));
  }
}

function recorder() {
  const log: string[] = [];
  const listener: WireReaderListener = {
    connecting: ({ attempt, url, lastEventId }) => log.push(`connecting ${attempt} ${new URL(url).search} [${lastEventId}]`),
    open: ({ attempt }) => log.push(`open ${attempt}`),
    chunk: ({ bytes, lines, events }) => log.push(`chunk ${bytes} B, ${lines.length} lines, ${events.length} events`),
    closed: ({ attempt, reason, bytes, retryInMs, lastEventId }) =>
      log.push(`closed ${attempt} ${reason} after ${bytes} B, retry ${retryInMs} [${lastEventId}]`),
  };
  return { log, listener };
}

describe('the wire reader', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  function setup() {
    const streams = new FakeStreams();
    const client = createSseClient({ baseUrl: 'http://server.test', fetch: streams.fetch });
    const { log, listener } = recorder();
    const reader = new WireReader({ client, channel: 'sse-test', listener, heartbeatMs: 5000 });
    return { streams, reader, log };
  }

  it('reads the stream chunk by chunk, counting bytes and tracking the last id and retry', async () => {
    const { streams, reader, log } = setup();
    reader.start();
    await settle();
    streams.write('retry: 1500\n\n');
    streams.write('id: 3\nevent: log\ndata: ✔ ok\n\n');
    await settle();
    assert.deepEqual(log, ['connecting 1 ?heartbeat=5000 []', 'open 1', 'chunk 13 B, 2 lines, 0 events', 'chunk 31 B, 4 lines, 1 events']);
    assert.equal(reader.lastEventId, '3');
    assert.equal(reader.retryMs, 1500);
    reader.stop();
  });

  it('after a broken connection, waits the retry time and resumes with ?lastEventId', async () => {
    const { streams, reader, log } = setup();
    reader.start();
    await settle();
    streams.write('retry: 1000\n\nid: 7\nevent: log\ndata: a\n\n');
    await settle();
    streams.bodies[0]!.error(new TypeError('terminated'));
    await settle();
    assert.equal(log.at(-1), 'closed 1 network-error after 39 B, retry 1000 [7]');
    mock.timers.tick(999);
    await settle();
    assert.equal(streams.requests.length, 1, 'not before the retry time');
    mock.timers.tick(1);
    await settle();
    assert.equal(streams.requests.length, 2);
    assert.equal(new URL(streams.requests[1]!.url).search, '?heartbeat=5000&lastEventId=7');
    reader.stop();
  });

  it('reconnects after a clean end too, as EventSource does', async () => {
    const { streams, reader, log } = setup();
    reader.start('12');
    await settle();
    assert.match(log[0]!, /lastEventId=12/);
    streams.bodies[0]!.close();
    await settle();
    assert.equal(log.at(-1), 'closed 1 ended after 0 B, retry 2000 [12]');
    mock.timers.tick(2000);
    await settle();
    assert.equal(streams.requests.length, 2);
    reader.stop();
  });

  it('gives up for good on a non-200 answer or another content type', async () => {
    const { streams, reader, log } = setup();
    streams.next = () => new Response('{}', { status: 404, headers: { 'content-type': 'application/problem+json' } });
    reader.start();
    await settle();
    assert.equal(log.at(-1), 'closed 1 refused after 0 B, retry null []');
    assert.equal(reader.running, false);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(streams.requests.length, 1);
  });

  it('stop() aborts the request and cancels a pending reconnect, reporting nothing', async () => {
    const { streams, reader, log } = setup();
    reader.start();
    await settle();
    reader.stop();
    await settle();
    assert.equal(streams.requests[0]!.signal.aborted, true);
    assert.deepEqual(log, ['connecting 1 ?heartbeat=5000 []', 'open 1']);

    reader.start();
    await settle();
    streams.bodies[1]!.error(new TypeError('terminated'));
    await settle();
    reader.stop();
    mock.timers.tick(10_000);
    await settle();
    assert.equal(streams.requests.length, 2, 'the scheduled reconnect was cancelled');
  });
});
