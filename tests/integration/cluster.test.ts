import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import type { ChannelEvent, PublishResponse } from '../../src/protocol/events.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { startClusterBackends, startNginxCluster, type NginxCluster } from '../harness/nginx-cluster.ts';
import type { TestNginx } from '../harness/nginx-server.ts';
import type { ServerProcess } from '../harness/spawn-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { TestSocket } from './helpers/websocket-client.ts';

/**
 * What an operator runs: two instances of the server (real processes) sharing
 * one Redis and one PostgreSQL, behind nginx with `deploy/nginx.conf`, no
 * sticky sessions. Clients talk to nginx, or to an instance directly when the
 * test must know which one it reaches.
 */
const backends = await startClusterBackends();
const { redis, skip } = backends;
after(() => backends.stop());

/** An EventSource that records every event id it gets and every time it (re)opens. */
function follow(url: string): { ids: number[]; opens: number; resets: number; close(): void } {
  const source = new EventSource(url);
  const record = { ids: [] as number[], opens: 0, resets: 0, close: () => source.close() };
  source.addEventListener('open', () => (record.opens += 1));
  source.addEventListener('n', (message) => record.ids.push(Number(message.lastEventId)));
  source.addEventListener('reset', () => (record.resets += 1));
  return record;
}

/** A long-poll loop as the widget runs it: the cursor from each answer, a retry after any failure. */
function longPoll(baseUrl: string, channel: string): { ids: number[]; stop(): void } {
  const state = { ids: [] as number[], stopped: false, stop: () => (state.stopped = true) };
  void (async () => {
    let cursor = 0;
    while (!state.stopped) {
      try {
        const response = await fetch(`${baseUrl}${apiRoutes.longPoll.path({ channel }, { cursor, timeout: 2_000 })}`);
        if (response.status === 200) {
          const body = (await response.json()) as LongPollResponse;
          state.ids.push(...body.events.map((event) => event.id));
          cursor = body.cursor;
        } else {
          await response.arrayBuffer();
          if (response.status !== 204) await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200)); // the instance died under the request
      }
    }
  })();
  return state;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, n) => from + n);

describe('two instances behind nginx, sharing Redis and PostgreSQL', { skip }, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let nginx: TestNginx;
  let cluster: NginxCluster | undefined;

  async function publish(server: ServerProcess | TestNginx, channel: string, n: number): Promise<PublishResponse> {
    const response = await fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type: 'n', data: n }));
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as PublishResponse;
  }

  before(async () => {
    cluster = await startNginxCluster({ ...(await backends.env()), SSE_HEARTBEAT_MS: '1000' });
    ({
      nginx,
      instances: [a, b],
    } = cluster);
  });

  after(() => cluster?.stop());

  it('fans out: SSE through nginx gets every event, in order, whichever instance it was published on', async () => {
    const streams = [
      follow(`${nginx.baseUrl}${apiRoutes.sse.path({ channel: 'fan' })}`),
      follow(`${nginx.baseUrl}${apiRoutes.sse.path({ channel: 'fan' })}`),
    ];
    try {
      await waitUntil(() => streams.every((stream) => stream.opens === 1), 'both streams open');
      for (let n = 1; n <= 20; n += 1) await publish(n % 2 ? a : b, 'fan', n);
      await waitUntil(() => streams.every((stream) => stream.ids.length === 20), 'every event on both streams');
      for (const stream of streams) assert.deepEqual(stream.ids, range(1, 20));
    } finally {
      streams.forEach((stream) => stream.close());
    }
  });

  it('resumes on the other instance: Last-Event-ID and long-poll cursors continue with no gap and no duplicate', async () => {
    for (let n = 1; n <= 5; n += 1) await publish(a, 'resume', n);
    const replay = await fetch(`${b.baseUrl}${apiRoutes.sse.path({ channel: 'resume' })}`, { headers: { 'Last-Event-ID': '2' } });
    const reader = replay.body!.getReader();
    let text = '';
    while (!text.includes('id: 5\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    assert.deepEqual(
      [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1])),
      [3, 4, 5],
    );

    // timeout=0: a plain poll, answered after the read of the shared log.
    const poll = await fetch(`${b.baseUrl}${apiRoutes.longPoll.path({ channel: 'resume' }, { cursor: 3, timeout: 0 })}`);
    assert.deepEqual(
      ((await poll.json()) as LongPollResponse).events.map((event: ChannelEvent) => event.id),
      [4, 5],
    );
    const evicted = await fetch(`${b.baseUrl}${apiRoutes.longPoll.path({ channel: 'resume' }, { cursor: 9 })}`);
    assert.equal(((await evicted.json()) as LongPollResponse).reset, true, 'a cursor ahead of the shared log is reset');
  });

  it('wakes a long poll held on one instance with a publish on the other', async () => {
    const held = fetch(`${b.baseUrl}${apiRoutes.longPoll.path({ channel: 'held' }, { cursor: 0, timeout: 10_000 })}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { id } = await publish(a, 'held', 1);
    const answer = (await (await held).json()) as LongPollResponse;
    assert.deepEqual(
      answer.events.map((event) => event.id),
      [id],
    );
  });

  it('delivers to a WebSocket subscriber on one instance what the other published', async () => {
    const socket = await TestSocket.connect(b.baseUrl);
    try {
      socket.ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws-fan', cursor: 0 }));
      await socket.waitFor('subscribed');
      await publish(a, 'ws-fan', 1);
      const message = await socket.waitFor('event');
      assert.equal(message.event.id, 1);
      assert.equal(message.event.data, 1);
    } finally {
      await socket.close();
    }
  });

  it('rides out a Redis restart: not ready and 503 while it is down, then delivery resumes by itself', async () => {
    const stream = follow(`${nginx.baseUrl}${apiRoutes.sse.path({ channel: 'outage' })}`);
    try {
      await waitUntil(() => stream.opens === 1, 'the stream is open');
      await publish(a, 'outage', 1);
      const restarted = redis.restart({ downMs: 2_000 });
      await waitUntil(async () => (await fetch(`${a.baseUrl}${apiRoutes.ready.path()}`)).status === 503, 'A reports not ready', 10_000);
      const readiness = (await (await fetch(`${a.baseUrl}${apiRoutes.ready.path()}`)).json()) as { ready: boolean; reason?: string };
      assert.match(readiness.reason ?? '', /Redis/);
      const refused = await fetch(`${a.baseUrl}${apiRoutes.channelEvents.path({ channel: 'outage' })}`, postJson({ type: 'n', data: 2 }));
      assert.equal(refused.status, 503);
      assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);
      await restarted;
      for (const server of [a, b]) {
        await waitUntil(async () => (await fetch(`${server.baseUrl}${apiRoutes.ready.path()}`)).status === 200, 'ready again', 20_000);
      }
      // Subscriptions come back a moment after the command connections: retry until one publish gets through.
      await publish(b, 'outage', 3);
      await waitUntil(
        () => stream.ids.includes(2),
        () => `the stream caught up, got ${stream.ids}`,
        15_000,
      );
      assert.deepEqual(stream.ids, [1, 2]);
    } finally {
      stream.close();
    }
  });

  it('tells streams to start over when Redis comes back without its data, then follows the new ids', async () => {
    const stream = follow(`${nginx.baseUrl}${apiRoutes.sse.path({ channel: 'wiped' })}`);
    try {
      await waitUntil(() => stream.opens === 1, 'the stream is open');
      for (let n = 1; n <= 3; n += 1) await publish(a, 'wiped', n);
      await waitUntil(() => stream.ids.length === 3, 'three events');
      await redis.restart({ wipe: true });
      // The instance ends the stream; EventSource resumes from id 3, which the empty log is behind: a reset.
      await waitUntil(() => stream.resets === 1, 'a reset event', 20_000);
      for (const server of [a, b]) {
        await waitUntil(async () => (await fetch(`${server.baseUrl}${apiRoutes.ready.path()}`)).status === 200, 'ready again', 20_000);
      }
      await publish(b, 'wiped', 4);
      await waitUntil(
        () => stream.ids.length === 4,
        () => `the new event, got ${stream.ids}`,
        10_000,
      );
      assert.deepEqual(stream.ids, [1, 2, 3, 1]);
    } finally {
      stream.close();
    }
  });

  it('survives kill -9 of an instance mid-stream: SSE and long polls resume through nginx on the survivor, nothing lost', async () => {
    // Round robin spreads them over both instances, so some are on the one that dies.
    const streams = range(1, 4).map(() => follow(`${nginx.baseUrl}${apiRoutes.sse.path({ channel: 'crash' })}`));
    const polls = range(1, 4).map(() => longPoll(nginx.baseUrl, 'crash'));
    try {
      await waitUntil(() => streams.every((stream) => stream.opens === 1), 'the streams are open');
      for (let n = 1; n <= 10; n += 1) await publish(b, 'crash', n);
      a.child.kill('SIGKILL');
      await a.exited;
      for (let n = 11; n <= 20; n += 1) await publish(b, 'crash', n);
      await waitUntil(
        () => streams.every((stream) => stream.ids.length >= 20) && polls.every((poll) => poll.ids.length >= 20),
        () => `every client has 20 events: ${JSON.stringify([...streams, ...polls].map((client) => client.ids.length))}`,
        20_000,
      );
      for (const client of [...streams, ...polls]) assert.deepEqual(client.ids, range(1, 20));
      assert.ok(
        streams.some((stream) => stream.opens > 1),
        'some stream was on the killed instance and reconnected',
      );
    } finally {
      streams.forEach((stream) => stream.close());
      polls.forEach((poll) => poll.stop());
    }
  });
});
