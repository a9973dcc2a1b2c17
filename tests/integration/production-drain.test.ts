import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { PRODUCTION_EVENTS, drainCloseReason, type DrainDone, type StartDrainResponse } from '../../src/protocol/production.ts';
import { WS_CLOSE } from '../../src/protocol/websocket.ts';
import { openRawStream, parseWire } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { TestSocket, withTimeout } from './helpers/websocket-client.ts';

describe('draining one channel (graceful restart)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  const url = (path: string) => `${server.baseUrl}${path}`;
  /** Starts a drill and resolves with its `drain-done`. */
  async function drill(channel: string, body: Record<string, unknown>): Promise<DrainDone> {
    const done = new Promise<DrainDone>((resolve) => {
      const unsubscribe = server.app.bus.subscribe(channel, (event) => {
        if (event.type !== PRODUCTION_EVENTS.drainDone) return;
        unsubscribe();
        resolve(event.data as DrainDone);
      });
    });
    const response = await fetch(url(apiRoutes.drains.path()), postJson({ channel, ...body }));
    assert.equal(response.status, 202, await response.clone().text());
    const started = (await response.json()) as StartDrainResponse;
    assert.equal(started.channel, channel);
    return withTimeout(done, 'the drill to end', 15_000);
  }

  it('tells each technique to come back later: SSE retry then end, WebSocket 1012, long poll 503 Retry-After', async () => {
    const channel = 'drain-all';
    const bystander = 'drain-other';
    const stream = await openRawStream(url(apiRoutes.sse.path({ channel })));
    const otherStream = await openRawStream(url(apiRoutes.sse.path({ channel: bystander })));
    const socket = await TestSocket.connect(server.baseUrl);
    socket.send({ type: 'subscribe', channel, cursor: 0 });
    await socket.next('subscribed');
    const poll = fetch(url(apiRoutes.longPoll.path({ channel }, { cursor: 0, timeout: 20_000 })));
    await waitUntil(() => server.app.heldPolls(channel) === 1, 'the long poll to be held');
    await stream.waitFor('id: 0\n\n');

    const done = await drill(channel, { fleet: 0, retryMs: 3_000 });
    assert.deepEqual(done.drained, { sse: 1, webSockets: 1, longPolls: 1, retryMs: 3_000, spreadMs: 0, retryAfterSeconds: 3 });

    // SSE: `retry: 3000`, then a clean end (the last chunk): EventSource waits 3 s, then reconnects.
    const { clean } = await withTimeout(stream.ended, 'the SSE stream to end');
    assert.equal(clean, true);
    const blocks = parseWire(stream.text());
    assert.equal(blocks.at(-1)?.retry, '3000');

    // WebSocket: 1012 Service Restart, with a reason that says when.
    const closed = await socket.waitForClose();
    assert.deepEqual(closed, { code: WS_CLOSE.serviceRestart, reason: drainCloseReason(3_000) });

    // Long polling: 503 with Retry-After in whole seconds.
    const answer = await poll;
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get('retry-after'), '3');
    assert.equal(((await answer.json()) as ProblemDetails).type, PROBLEM_TYPES.draining);

    // Only that channel: the rest of the server carries on.
    assert.equal(otherStream.response.complete, false);
    assert.equal(server.app.openStreams(bystander), 1);
    otherStream.destroy();
  });

  it('brings a fleet of EventSource clients back after retry, all at once or spread', async () => {
    const same = await drill('drain-same', { fleet: 30, retryMs: 500 });
    assert.equal(same.drained.sse, 30);
    assert.equal(same.back, 30);
    assert.equal(
      same.bins.reduce((sum, count) => sum + count, 0),
      30,
    );
    // Everyone was told 500 ms and obeyed to the millisecond: nobody before, then one burst.
    // (Counts, not timings: on a busy machine the burst may take more than one bin to arrive.)
    assert.ok(
      same.bins.slice(0, 5).every((count) => count === 0),
      `reconnects per bin: ${same.bins.join(' ')}`,
    );
    assert.ok(same.peak >= 10, `reconnects per bin: ${same.bins.join(' ')}`);

    const spread = await drill('drain-spread', { fleet: 30, retryMs: 500, spreadMs: 2_000 });
    assert.equal(spread.back, 30);
    assert.ok(spread.peak < same.peak, `peak ${spread.peak} spread, ${same.peak} not`);
    assert.ok(spread.allBackMs! > 1_000, `the last came back after ${spread.allBackMs} ms`);
  });

  it('refuses bad input', async () => {
    for (const [body, field] of [
      [{ channel: 'x', retryMs: 10 }, 'retryMs'],
      [{ channel: 'x', fleet: 1_000 }, 'fleet'],
      [{ channel: 'x', spreadMs: -1 }, 'spreadMs'],
      [{ channel: '../x' }, 'channel'],
    ] as const) {
      const response = await fetch(url(apiRoutes.drains.path()), postJson(body));
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as ProblemDetails).field, field);
    }
  });
});
