import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROBLEM_CONTENT_TYPE } from '../../../src/protocol/problem.ts';
import { ApiError } from '../../../src/widgets/shared/http.ts';
import { CHANNEL_PREFIX, experimentChannel, widgetChannel } from '../../../src/widgets/sse/channel.ts';
import { createSseClient } from '../../../src/widgets/sse/client.ts';
import { fakeFetch } from './helpers/fake-fetch.ts';

describe('the SSE client', () => {
  it('builds stream URLs with the heartbeat and, for readers that cannot send the header, the last id', () => {
    const client = createSseClient({ baseUrl: 'http://server.test/' });
    assert.equal(client.streamUrl('sse-a'), 'http://server.test/api/sse/sse-a');
    assert.equal(
      client.streamUrl('sse-a', { heartbeatMs: 5000, lastEventId: '42' }),
      'http://server.test/api/sse/sse-a?heartbeat=5000&lastEventId=42',
    );
    assert.equal(client.streamUrl('sse-a', { lastEventId: '' }), 'http://server.test/api/sse/sse-a', 'no id, no parameter');
  });

  it('starts builds and sends faults as JSON, and reads the server’s problem detail on failure', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.endsWith('/api/builds')
        ? Response.json({ id: 'b1', channel: 'sse-a', totalLines: 25 }, { status: 201 })
        : new Response(JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'retryMs must be 500–60000.' }), {
            status: 400,
            headers: { 'content-type': PROBLEM_CONTENT_TYPE },
          }),
    );
    const client = createSseClient({ baseUrl: 'http://server.test', fetch });
    assert.deepEqual(await client.startBuild({ channel: 'sse-a', durationMs: 20_000 }), { id: 'b1', channel: 'sse-a', totalLines: 25 });
    assert.equal(calls[0]!.init.method, 'POST');
    assert.deepEqual(JSON.parse(String(calls[0]!.init.body)), { channel: 'sse-a', durationMs: 20_000 });
    await assert.rejects(client.sendFault('sse-a', { type: 'retry', retryMs: 1 }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.equal(error.message, 'retryMs must be 500–60000.');
      return true;
    });
    assert.equal(calls[1]!.url, 'http://server.test/api/channels/sse-a/faults');
  });

  it('asks for the stream with fetch, uncached, for the wire view', async () => {
    const { fetch, calls } = fakeFetch(() => new Response('', { status: 200, headers: { 'content-type': 'text/event-stream' } }));
    const client = createSseClient({ baseUrl: 'http://server.test', fetch });
    await client.fetchStream('http://server.test/api/sse/sse-a', new AbortController().signal);
    assert.equal(calls[0]!.init.cache, 'no-store');
    assert.deepEqual(calls[0]!.init.headers, { accept: 'text/event-stream' });
  });
});

describe('the SSE channel', () => {
  it('keeps one sse- channel per instance in session storage, and names the experiment’s channels after it', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (key: string) => store.get(key) ?? null,
      setItem: (key: string, value: string) => void store.set(key, value),
    };
    const channel = widgetChannel('default', storage);
    assert.ok(channel.startsWith(CHANNEL_PREFIX));
    assert.equal(widgetChannel('default', storage), channel);
    assert.notEqual(widgetChannel('other', storage), channel);
    assert.equal(experimentChannel(channel, 7), `${channel}-x7`);
  });
});
