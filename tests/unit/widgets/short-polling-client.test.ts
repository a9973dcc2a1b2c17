import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER_TIME_HEADER } from '../../../src/protocol/jobs.ts';
import { PROBLEM_CONTENT_TYPE } from '../../../src/protocol/problem.ts';
import { randomChannel } from '../../../src/widgets/shared/channel.ts';
import { formatBytes, formatInterval, formatMs } from '../../../src/widgets/shared/format.ts';
import { countResponseBytes } from '../../../src/widgets/shared/http.ts';
import { CHANNEL_PREFIX, widgetChannel } from '../../../src/widgets/short-polling/channel.ts';
import { ApiError, createShortPollingClient } from '../../../src/widgets/short-polling/client.ts';
import { fakeFetch } from './helpers/fake-fetch.ts';

const job = {
  id: 'abc',
  channel: 'sp-test0001',
  state: 'running',
  progress: 40,
  note: null,
  version: 6,
  createdAt: 1_000,
  updatedAt: 5_000,
};

function header(init: RequestInit, name: string): string | undefined {
  return (init.headers as Record<string, string>)[name];
}

describe('the short-polling client', () => {
  it('polls without a validator first, bypassing the HTTP cache, and reads the job, ETag and server time', async () => {
    const { fetch, calls } = fakeFetch(
      () =>
        new Response(JSON.stringify(job), {
          status: 200,
          headers: { etag: '"abc.6"', [SERVER_TIME_HEADER]: '123456', 'content-type': 'application/json' },
        }),
    );
    let clock = 100;
    const client = createShortPollingClient({ baseUrl: 'http://server.test', fetch, now: () => (clock += 10) });
    const result = await client.pollJob('abc');
    assert.equal(calls[0]!.url, 'http://server.test/api/jobs/abc');
    assert.equal(calls[0]!.init.cache, 'no-store');
    assert.equal(header(calls[0]!.init, 'if-none-match'), undefined);
    assert.equal(result.status, 200);
    assert.deepEqual(result.job, job);
    assert.equal(result.etag, '"abc.6"');
    assert.equal(result.serverTime, 123456);
    assert.equal(result.bodyBytes, JSON.stringify(job).length);
    assert.ok(result.bytes > result.bodyBytes, 'the count adds the status line and headers');
    assert.equal(result.sentAt, 110);
    assert.equal(result.receivedAt, 120);
    client.dispose?.();
  });

  it('sends If-None-Match and passes a 304 through with no body', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 304, headers: { etag: '"abc.6"', [SERVER_TIME_HEADER]: '9' } }));
    const client = createShortPollingClient({ baseUrl: 'http://server.test', fetch });
    const result = await client.pollJob('abc', '"abc.6"');
    assert.equal(header(calls[0]!.init, 'if-none-match'), '"abc.6"');
    assert.equal(result.status, 304);
    assert.equal(result.job, undefined);
    assert.equal(result.bodyBytes, 0);
    client.dispose?.();
  });

  it('turns a problem document into an ApiError carrying its detail and Retry-After', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(
          JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'All job slots are taken.' }),
          {
            status: 503,
            headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '7' },
          },
        ),
    );
    const client = createShortPollingClient({ baseUrl: 'http://server.test', fetch });
    await assert.rejects(client.startJob({ channel: 'sp-test0001' }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.message, 'All job slots are taken.');
      assert.equal(error.status, 503);
      assert.equal(error.retryAfterMs, 7_000);
      return true;
    });
  });

  it('explains an error without a problem document, and a network failure', async () => {
    const broken = createShortPollingClient({
      baseUrl: 'http://server.test',
      fetch: fakeFetch(() => new Response('oops', { status: 502, statusText: 'Bad Gateway' })).fetch,
    });
    await assert.rejects(broken.pollJob('abc'), /The server answered 502 Bad Gateway/);
    const offline = createShortPollingClient({
      baseUrl: 'http://server.test',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await assert.rejects(
      offline.pollJob('abc'),
      (error: unknown) => error instanceof ApiError && error.status === null && /network error/.test(error.message),
    );
  });

  it('lets an abort through as an abort', async () => {
    const client = createShortPollingClient({
      baseUrl: 'http://server.test',
      fetch: (async () => {
        throw new DOMException('The operation was aborted.', 'AbortError');
      }) as typeof fetch,
    });
    await assert.rejects(client.pollJob('abc'), { name: 'AbortError' });
  });

  it('rejects a 200 that is not a job', async () => {
    const client = createShortPollingClient({
      baseUrl: 'http://server.test',
      fetch: fakeFetch(() => new Response('<html>', { status: 200 })).fetch,
    });
    await assert.rejects(client.pollJob('abc'), /not a job/);
  });

  it('starts a job and publishes a note with JSON bodies', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.endsWith('/api/jobs')
        ? new Response(JSON.stringify({ id: 'abc', channel: 'sp-test0001' }), { status: 201 })
        : new Response(JSON.stringify({ id: 3, ts: 42 }), { status: 201 }),
    );
    const client = createShortPollingClient({ baseUrl: 'http://server.test', fetch });
    assert.deepEqual(await client.startJob({ channel: 'sp-test0001', durationMs: 20_000 }), { id: 'abc', channel: 'sp-test0001' });
    assert.deepEqual(JSON.parse(String(calls[0]!.init.body)), { channel: 'sp-test0001', durationMs: 20_000 });
    assert.deepEqual(await client.publishNote('sp-test0001', 'hi'), { id: 3, ts: 42 });
    assert.equal(calls[1]!.url, 'http://server.test/api/channels/sp-test0001/events');
    assert.deepEqual(JSON.parse(String(calls[1]!.init.body)), { type: 'note', data: { text: 'hi' } });
  });

  it('counts a response as status line + headers + blank line + body', () => {
    const response = new Response(null, { status: 304, statusText: 'Not Modified', headers: { etag: '"a.1"' } });
    // "HTTP/1.1 304 Not Modified\r\n" (27) + "etag: \"a.1\"\r\n" (13) + "\r\n" (2)
    assert.equal(countResponseBytes(response, 0), 42);
  });
});

describe('the widget channel', () => {
  it('is sp- and 8 random characters', () => {
    const channel = randomChannel(CHANNEL_PREFIX);
    assert.match(channel, /^sp-[a-z0-9]{8}$/);
    assert.notEqual(randomChannel(CHANNEL_PREFIX), channel);
  });

  it('is kept in session storage per widget instance', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (key: string) => store.get(key) ?? null,
      setItem: (key: string, value: string) => void store.set(key, value),
    };
    const first = widgetChannel('default', storage);
    assert.equal(widgetChannel('default', storage), first, 'a reload keeps it');
    assert.notEqual(widgetChannel('other', storage), first);
    assert.ok(first.startsWith(CHANNEL_PREFIX));
  });

  it('still works when storage throws', () => {
    const storage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {},
    };
    assert.match(widgetChannel('default', storage), /^sp-/);
  });
});

describe('formatting', () => {
  it('formats times, intervals and bytes', () => {
    assert.equal(formatMs(180.4), '180 ms');
    assert.equal(formatMs(1_000), '1 s');
    assert.equal(formatMs(1_234), '1.2 s');
    assert.equal(formatMs(12_500), '13 s');
    assert.equal(formatInterval(250), '250 ms');
    assert.equal(formatInterval(1_250), '1.25 s');
    assert.equal(formatInterval(10_000), '10 s');
    assert.equal(formatBytes(812), '812 B');
    assert.equal(formatBytes(1_234), '1.2 kB');
    assert.equal(formatBytes(12_345), '12.3 kB');
    assert.equal(formatBytes(2_000_000), '2 MB');
  });
});
