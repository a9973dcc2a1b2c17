import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FaultRequest } from '../../src/protocol/faults.ts';
import { LONG_POLL_LIMITS, type LongPollResponse } from '../../src/protocol/long-polling.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { injectFault as injectChannelFault, publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { activeTimers } from './helpers/active-timers.ts';

describe('long polling', () => {
  let server: RunningServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  let channelNumber = 0;
  /** A channel of its own for each test, so tests cannot see each other's events. */
  const freshChannel = () => `lp-${(channelNumber += 1)}`;

  const publish = async (channel: string, data: unknown = null, type = 'count'): Promise<number> =>
    (await publishEvent(server.baseUrl, channel, type, data)).id;
  const injectFault = (channel: string, fault: FaultRequest) => injectChannelFault(server.baseUrl, channel, fault);
  const poll = (channel: string, cursor: number, timeoutMs?: number, init?: RequestInit) =>
    fetch(url(apiRoutes.longPoll.path({ channel }, { cursor, timeout: timeoutMs })), init);
  /** Resolves once the server holds `count` polls on `channel`: the request is truly waiting. */
  const held = (channel: string, count = 1) =>
    waitUntil(() => server.app.heldPolls(channel) === count, `${count} poll(s) are held on ${channel}`);

  before(async () => {
    // A small log, so a cursor can fall behind it without publishing 500 events.
    server = await startServer({ bus: new InMemoryEventBus({ log: new ChannelLog({ capacity: 120 }) }) });
  });
  after(() => server.stop());

  it('answers at once with the events after the cursor, never cached', async () => {
    const channel = freshChannel();
    await publish(channel, { n: 1 });
    await publish(channel, { n: 2 });

    const response = await poll(channel, 0);
    const body = (await response.json()) as LongPollResponse;

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(
      body.events.map((event) => [event.id, event.type, event.data]),
      [
        [1, 'count', { n: 1 }],
        [2, 'count', { n: 2 }],
      ],
    );
    assert.equal(body.cursor, 2);
    assert.equal('reset' in body, false);
  });

  it('holds the request while nothing is new, and answers when an event is published', async () => {
    const channel = freshChannel();
    await publish(channel, 'before');
    const answer = poll(channel, 1);
    await held(channel);

    const id = await publish(channel, 'news');
    const response = await answer;
    const body = (await response.json()) as LongPollResponse;

    assert.equal(response.status, 200);
    assert.deepEqual(
      body.events.map((event) => [event.id, event.data]),
      [[id, 'news']],
    );
    assert.equal(body.cursor, 2);
    assert.equal(server.app.heldPolls(channel), 0);
    assert.equal(server.app.bus.listenerCount(channel), 0);
  });

  it('answers 204 with no body when the timeout passes first', async () => {
    const channel = freshChannel();
    const response = await poll(channel, 0, 50);

    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(server.app.bus.listenerCount(channel), 0);
  });

  it('treats timeout=0 as a plain poll: 204 at once when nothing is new', async () => {
    const channel = freshChannel();
    const response = await poll(channel, 0, 0);
    assert.equal(response.status, 204);
    await response.arrayBuffer();
  });

  it('follows the cursor: only newer events, at most maxEvents per answer, then the rest', async () => {
    const channel = freshChannel();
    for (let n = 1; n <= LONG_POLL_LIMITS.maxEvents + 10; n += 1) server.app.bus.publish(channel, 'count', n);

    const first = (await (await poll(channel, 3)).json()) as LongPollResponse;
    assert.equal(first.events.length, LONG_POLL_LIMITS.maxEvents);
    assert.equal(first.events[0]?.id, 4);
    assert.equal(first.cursor, 3 + LONG_POLL_LIMITS.maxEvents);

    const rest = (await (await poll(channel, first.cursor)).json()) as LongPollResponse;
    assert.deepEqual(
      rest.events.map((event) => event.id),
      [104, 105, 106, 107, 108, 109, 110],
    );
    assert.equal(rest.cursor, 110);
    assert.equal(rest.reset, undefined);
  });

  it('says reset when the cursor fell behind the log, with what the log still has', async () => {
    const channel = freshChannel();
    // The log keeps 120: events 1–30 are evicted.
    for (let n = 1; n <= 150; n += 1) server.app.bus.publish(channel, 'count', n);

    const body = (await (await poll(channel, 10)).json()) as LongPollResponse;

    assert.equal(body.reset, true);
    assert.equal(body.events[0]?.id, 31);
    assert.equal(body.events.length, LONG_POLL_LIMITS.maxEvents);
    assert.equal(body.cursor, 130);
  });

  it('says reset at once when the cursor is ahead of the log (the server restarted)', async () => {
    const channel = freshChannel();
    await publish(channel);
    await publish(channel);

    const response = await poll(channel, 50);
    const body = (await response.json()) as LongPollResponse;

    assert.equal(response.status, 200);
    assert.deepEqual(body, { events: [], cursor: 2, reset: true });
  });

  it('accepts a timeout above the cap (it is cut to 30 s) and still wakes on publish', async () => {
    const channel = freshChannel();
    const answer = poll(channel, 0, 3_600_000);
    await held(channel);
    await publish(channel, 'late');
    const response = await answer;
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as LongPollResponse).cursor, 1);
  });

  for (const [name, query, parameter] of [
    ['a missing cursor', '', 'cursor'],
    ['cursor=abc', '?cursor=abc', 'cursor'],
    ['cursor=-1', '?cursor=-1', 'cursor'],
    ['cursor=1.5', '?cursor=1.5', 'cursor'],
    ['cursor=1e3', '?cursor=1e3', 'cursor'],
    ['a cursor above 2^53 − 1', '?cursor=9007199254740992', 'cursor'],
    ['two cursors', '?cursor=1&cursor=2', 'cursor'],
    ['timeout=-5', '?cursor=0&timeout=-5', 'timeout'],
    ['timeout=1.5', '?cursor=0&timeout=1.5', 'timeout'],
    ['an empty timeout', '?cursor=0&timeout=', 'timeout'],
  ] as const) {
    it(`refuses ${name} with a 400 naming the parameter`, async () => {
      const response = await fetch(url(`/api/long-poll/bad-query${query}`));
      const problem = (await response.json()) as ProblemDetails;

      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
      assert.equal(problem.type, PROBLEM_TYPES.invalidQuery);
      assert.equal(problem.parameter, parameter);
      assert.match(problem.detail, new RegExp(parameter));
    });
  }

  it('refuses a bad channel name with a 400', async () => {
    const response = await fetch(url('/api/long-poll/no%20spaces?cursor=0'));
    const problem = (await response.json()) as ProblemDetails;
    assert.equal(response.status, 400);
    assert.equal(problem.type, PROBLEM_TYPES.invalidChannel);
  });

  it('releases the subscription and the timer at once when the client goes away', async () => {
    const channel = freshChannel();
    const timersBefore = activeTimers();
    const controller = new AbortController();
    const answer = poll(channel, 0, 30_000, { signal: controller.signal });
    await held(channel);
    assert.equal(server.app.bus.listenerCount(channel), 1);

    controller.abort();
    await assert.rejects(answer, { name: 'AbortError' });

    await waitUntil(() => server.app.bus.listenerCount(channel) === 0, 'the poll unsubscribed');
    await waitUntil(() => server.app.heldPolls(channel) === 0, 'the poll is no longer held');
    await waitUntil(
      () => activeTimers() <= timersBefore,
      () => `the 30 s timer is cleared (${activeTimers()} timers)`,
    );
  });

  describe('faults', () => {
    it('drop-next-response: the answer is lost, and asking again with the same cursor brings it exactly once', async () => {
      const channel = freshChannel();
      await publish(channel, 'first');
      assert.deepEqual(await injectFault(channel, { type: 'drop-next-response' }), {
        type: 'drop-next-response',
        affected: 0,
      });

      // Headers arrive, then the connection dies mid-body: reading the answer fails.
      await assert.rejects(
        poll(channel, 0).then((response) => response.json()),
        TypeError,
      );

      const retry = (await (await poll(channel, 0)).json()) as LongPollResponse;
      assert.deepEqual(
        retry.events.map((event) => [event.id, event.data]),
        [[1, 'first']],
      );
      const next = await poll(channel, retry.cursor, 0);
      assert.equal(next.status, 204, 'nothing is delivered twice');
      await next.arrayBuffer();
    });

    it('drop-next-response: a held poll woken by an event loses its answer too', async () => {
      const channel = freshChannel();
      await injectFault(channel, { type: 'drop-next-response' });
      const answer = poll(channel, 0);
      await held(channel);
      await publish(channel, 'woke');

      // Headers arrive, then the connection dies mid-body: reading the answer fails.
      await assert.rejects(
        answer.then((response) => response.json()),
        TypeError,
      );
      const retry = (await (await poll(channel, 0)).json()) as LongPollResponse;
      assert.deepEqual(
        retry.events.map((event) => event.data),
        ['woke'],
      );
    });

    it('drop-next-response: a 204 is not an answer with events, so it is not the one lost', async () => {
      const channel = freshChannel();
      await injectFault(channel, { type: 'drop-next-response' });
      const empty = await poll(channel, 0, 0);
      assert.equal(empty.status, 204);
      await empty.arrayBuffer();
      await publish(channel, 'x');
      await assert.rejects(
        poll(channel, 0).then((response) => response.json()),
        TypeError,
      );
    });

    it('server-errors: the next requests get 503 with Retry-After, then polling recovers', async () => {
      const channel = freshChannel();
      await publish(channel, 'kept');
      await injectFault(channel, { type: 'server-errors', count: 2 });

      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const response = await poll(channel, 0);
        const problem = (await response.json()) as ProblemDetails;
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '1');
        assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
        assert.equal(problem.type, PROBLEM_TYPES.injectedFault);
      }

      const recovered = await poll(channel, 0);
      assert.equal(recovered.status, 200);
      assert.equal(((await recovered.json()) as LongPollResponse).events[0]?.data, 'kept');
    });

    it('slow: answers still arrive, immediate or held', async () => {
      const channel = freshChannel();
      await injectFault(channel, { type: 'slow', delayMs: 50, durationMs: 5_000 });
      await publish(channel, 'one');

      const immediate = await poll(channel, 0);
      assert.equal(immediate.status, 200);
      assert.equal(((await immediate.json()) as LongPollResponse).cursor, 1);

      const answer = poll(channel, 1);
      await held(channel);
      await publish(channel, 'two');
      const woken = await answer;
      assert.equal(woken.status, 200);
      assert.equal(((await woken.json()) as LongPollResponse).cursor, 2);

      await injectFault(channel, { type: 'slow', delayMs: 0, durationMs: 1_000 });
      const normal = await poll(channel, 1);
      assert.equal(normal.status, 200);
      await normal.arrayBuffer();
    });

    it('slow: a client that leaves during the delay leaves no timer behind', async () => {
      const channel = freshChannel();
      await injectFault(channel, { type: 'slow', delayMs: 10_000, durationMs: 60_000 });
      await publish(channel, 'x');
      const timersBefore = activeTimers();
      const controller = new AbortController();
      // node:http on a connection of its own: fetch (undici) may open a spare connection after an
      // abort, which would only slow down the server's close at the end of the file.
      const answer = new Promise((resolve, reject) =>
        httpGet(url(apiRoutes.longPoll.path({ channel }, { cursor: 0 })), { signal: controller.signal, agent: false }, resolve).on(
          'error',
          reject,
        ),
      );
      await held(channel);

      controller.abort();
      await assert.rejects(answer, { name: 'AbortError' });
      await waitUntil(() => server.app.heldPolls(channel) === 0, 'the delayed answer is dropped');
      await waitUntil(() => activeTimers() <= timersBefore, 'the delay timer is cleared');
    });
  });
});

describe('long polling while the server drains', () => {
  it('answers held polls at once with 503 and Retry-After, and new polls too', async () => {
    const server = await startServer();
    try {
      const channel = 'draining';
      const answer = fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel }, { cursor: 0 })}`);
      await waitUntil(() => server.app.heldPolls(channel) === 1, 'the poll is held');

      server.app.beginDraining();
      const response = await answer;
      const problem = (await response.json()) as ProblemDetails;

      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '1');
      assert.equal(response.headers.get('connection'), 'close');
      assert.equal(problem.type, PROBLEM_TYPES.draining);
      assert.equal(server.app.bus.listenerCount(channel), 0);

      const late = await fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel }, { cursor: 0 })}`);
      assert.equal(late.status, 503);
      await late.arrayBuffer();
    } finally {
      await server.stop();
    }
  });
});
