import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROBLEM_CONTENT_TYPE } from '../../../src/protocol/problem.ts';
import { CHANNEL_PREFIX, savedCursor, saveCursor, widgetChannel } from '../../../src/widgets/long-polling/channel.ts';
import { ApiError, NO_ANSWER_MESSAGE, createLongPollingClient, parseLongPollResponse } from '../../../src/widgets/long-polling/client.ts';
import { parseRetryAfter } from '../../../src/widgets/shared/http.ts';
import { formatBytes, formatMs, plural } from '../../../src/widgets/shared/format.ts';
import { fakeFetch } from './helpers/fake-fetch.ts';

const answer = {
  events: [
    { id: 4, type: 'notification', data: { text: 'Hello' }, ts: 1_000 },
    { id: 5, type: 'notification', data: { text: 'Again' }, ts: 1_001 },
  ],
  cursor: 5,
};

function problem(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title: 'Error', status, detail }), {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

describe('the long-polling client', () => {
  it('asks for the events after the cursor with the chosen hold, bypassing the HTTP cache', async () => {
    const { fetch, calls } = fakeFetch(() => Response.json(answer));
    let clock = 100;
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch, now: () => (clock += 10) });
    const result = await client.poll('lp-test0001', 3, 10_000);
    assert.equal(calls[0]!.url, 'http://server.test/api/long-poll/lp-test0001?cursor=3&timeout=10000');
    assert.equal(calls[0]!.init.method, 'GET');
    assert.equal(calls[0]!.init.cache, 'no-store');
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, answer);
    assert.equal(result.bodyBytes, JSON.stringify(answer).length);
    assert.ok(result.bytes > result.bodyBytes, 'the count adds the status line and headers');
    assert.equal(result.sentAt, 110);
    assert.equal(result.receivedAt, 120);
    client.dispose?.();
  });

  it('passes a 204 through with no body', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } }));
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    const result = await client.poll('lp-test0001', 0, 2_000);
    assert.equal(result.status, 204);
    assert.equal(result.body, undefined);
    assert.equal(result.bodyBytes, 0);
    assert.ok(result.bytes > 0);
  });

  it('turns a 503 problem into an ApiError with its detail and Retry-After', async () => {
    const { fetch } = fakeFetch(() => problem(503, 'A "server-errors" fault is armed on channel lp-x.', { 'retry-after': '1' }));
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    const failure = await client.poll('lp-x', 0, 1_000).then(
      () => assert.fail('should reject'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof ApiError);
    assert.equal(failure.status, 503);
    assert.equal(failure.message, 'A "server-errors" fault is armed on channel lp-x.');
    assert.equal(failure.retryAfterMs, 1_000);
  });

  it('a 400 carries the detail too', async () => {
    const { fetch } = fakeFetch(() => problem(400, 'cursor is missing; it must be a whole number.'));
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    await assert.rejects(client.poll('lp-x', 0, 1_000), { name: 'ApiError', status: 400, message: /cursor is missing/ });
  });

  it('a connection that breaks before the answer is a network error (status null)', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: new Error('other side closed') });
    });
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    await assert.rejects(client.poll('lp-x', 7, 1_000), { name: 'ApiError', status: null, message: NO_ANSWER_MESSAGE });
  });

  it('so is a connection that breaks halfway through the body', async () => {
    const { fetch } = fakeFetch(() => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"events":[{"id":'));
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    await assert.rejects(client.poll('lp-x', 7, 1_000), { name: 'ApiError', status: null });
  });

  it('an abort rejects with the abort itself, not a network error', async () => {
    const controller = new AbortController();
    const { fetch } = fakeFetch(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    const polling = client.poll('lp-x', 0, 10_000, controller.signal);
    controller.abort();
    await assert.rejects(polling, { name: 'AbortError' });
  });

  it('refuses a 200 that is not {events, cursor}', async () => {
    const { fetch } = fakeFetch(() => Response.json({ events: 'nope' }));
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    await assert.rejects(client.poll('lp-x', 0, 1_000), { name: 'ApiError', status: 200 });
  });

  it('publishes {type, data} and returns the id', async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({ id: 12, ts: 5 }, { status: 201 }));
    const client = createLongPollingClient({ baseUrl: 'http://server.test/', fetch });
    const result = await client.publish('lp-x', 'notification', { text: 'Hi' });
    assert.deepEqual(result, { id: 12, ts: 5 });
    assert.equal(calls[0]!.url, 'http://server.test/api/channels/lp-x/events');
    assert.equal(calls[0]!.init.method, 'POST');
    assert.deepEqual(JSON.parse(String(calls[0]!.init.body)), { type: 'notification', data: { text: 'Hi' } });
  });

  it('injects a fault, and shows the server’s detail when it refuses one', async () => {
    const { fetch, calls } = fakeFetch((_url, init) => {
      const body = JSON.parse(String(init.body));
      return body.type === 'server-errors' && body.count > 10
        ? problem(400, 'count is 99; it must be a whole number from 1 to 10.')
        : Response.json({ type: body.type, affected: 0 }, { status: 202 });
    });
    const client = createLongPollingClient({ baseUrl: 'http://server.test', fetch });
    assert.deepEqual(await client.injectFault('lp-x', { type: 'drop-next-response' }), { type: 'drop-next-response', affected: 0 });
    assert.equal(calls[0]!.url, 'http://server.test/api/channels/lp-x/faults');
    await assert.rejects(client.injectFault('lp-x', { type: 'server-errors', count: 99 }), { status: 400, message: /count is 99/ });
  });

  it('parses reset answers and rejects malformed events', () => {
    assert.deepEqual(parseLongPollResponse('{"events":[],"cursor":0,"reset":true}'), { events: [], cursor: 0, reset: true });
    assert.equal(parseLongPollResponse('{"events":[{"id":"1","type":"x","ts":1}],"cursor":1}'), undefined);
    assert.equal(parseLongPollResponse('not json'), undefined);
  });
});

describe('channel and cursor storage', () => {
  function memoryStorage() {
    const map = new Map<string, string>();
    return { getItem: (key: string) => map.get(key) ?? null, setItem: (key: string, value: string) => void map.set(key, value), map };
  }

  it('makes an lp- channel once per tab and instance', () => {
    const storage = memoryStorage();
    const first = widgetChannel('default', storage);
    assert.match(first, new RegExp(`^${CHANNEL_PREFIX}[a-z0-9]{8}$`));
    assert.equal(widgetChannel('default', storage), first);
    assert.notEqual(widgetChannel('other', storage), first);
    assert.ok(storage.map.has('rtw:long-polling:channel:default'));
  });

  it('still works when storage throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('blocked');
      },
    };
    assert.match(widgetChannel('default', broken), /^lp-/);
    assert.equal(savedCursor('default', 'lp-a', broken), 0);
    saveCursor('default', 'lp-a', 3, broken);
  });

  it('remembers the cursor for its channel only', () => {
    const storage = memoryStorage();
    assert.equal(savedCursor('default', 'lp-a', storage), 0);
    saveCursor('default', 'lp-a', 42, storage);
    assert.equal(savedCursor('default', 'lp-a', storage), 42);
    assert.equal(savedCursor('default', 'lp-b', storage), 0, 'another channel starts from 0');
  });
});

describe('shared helpers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('2'), 2_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', Date.UTC(2026, 0, 1)), 5_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  it('formats like the short-polling widget', () => {
    assert.equal(formatMs(420), '420 ms');
    assert.equal(formatMs(1_300), '1.3 s');
    assert.equal(formatBytes(1_234), '1.2 kB');
    assert.equal(plural(1, 'event'), '1 event');
    assert.equal(plural(2, 'event'), '2 events');
  });
});
