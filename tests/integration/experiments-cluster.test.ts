import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { LAB_TECHNIQUES, type CreateLabResponse } from '../../src/protocol/lab.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import {
  IDLE_HOP_HEADER,
  IDLE_HOP_VIA,
  PRODUCTION_EVENTS,
  drainCloseReason,
  type DrainDone,
  type SlowConsumerDone,
  type SlowConsumerSample,
  type StartDrainResponse,
  type StartStormResponse,
  type StormBin,
  type StormDone,
} from '../../src/protocol/production.ts';
import { WS_CLOSE } from '../../src/protocol/websocket.ts';
import { ALL_LANES } from '../../src/widgets/lab/all-lanes.ts';
import { createLabApi } from '../../src/widgets/lab/lab-api.ts';
import { createLabModel } from '../../src/widgets/lab/model.ts';
import { RATE_STEPS } from '../../src/widgets/lab/settings.ts';
import { EventSourceLog } from './helpers/event-source-log.ts';
import { startClusterBackends, startNginxCluster, type NginxCluster } from '../harness/nginx-cluster.ts';
import type { TestNginx } from '../harness/nginx-server.ts';
import { openRawStream, parseWire, type RawStream } from './helpers/raw-stream.ts';
import type { ServerProcess } from '../harness/spawn-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { finishRun, longPollLoop, newLearner, startRun } from './helpers/exercise-runs.ts';
import { postJson } from './helpers/post-json.ts';
import { TestSocket, withTimeout } from './helpers/websocket-client.ts';

// The lab's SSE lane uses the browser's EventSource; Node has fetch and WebSocket, not this one.
(globalThis as { EventSource?: unknown }).EventSource ??= EventSource;

/**
 * Lessons 6 and 7 as a reader meets them in production: two instances (real
 * processes) sharing Redis and PostgreSQL behind nginx with
 * `deploy/nginx.conf`. nginx sends a reader's experiment requests (`/api/labs…`,
 * `/api/production/…`, `?lab=`) to one instance, hashed on the address; the
 * rest of the reader's traffic goes round robin. Here every client is on
 * 127.0.0.1, so all experiments land on one instance ("home") and the other
 * ("away") only sees the reader's untagged traffic.
 */
const backends = await startClusterBackends();
after(() => backends.stop());

describe("lessons 6 and 7's experiments through nginx, on two instances", { skip: backends.skip }, () => {
  let cluster: NginxCluster | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  let nginx: TestNginx;
  /** The instance that does not get this machine's experiments (nginx sends them all to the other one). */
  let away: ServerProcess;

  before(async () => {
    cluster = await startNginxCluster(await backends.env());
    ({
      nginx,
      instances: [a, b],
    } = cluster);
    // A lab lives on the instance that created it: the other one is away.
    const lab = (await (await fetch(`${nginx.baseUrl}${apiRoutes.labs.path()}`, { method: 'POST' })).json()) as CreateLabResponse;
    const known = await Promise.all(
      [a, b].map(async (server) => (await fetch(`${server.baseUrl}${apiRoutes.labStats.path({ id: lab.id })}`)).status),
    );
    assert.deepEqual([...known].sort(), [200, 404], 'the lab is known on exactly one instance');
    away = known[0] === 200 ? b : a;
  });

  after(() => cluster?.stop());

  it('runs the lab: the widget’s five lanes through nginx, counted on the instance that holds the lab, even after it drops every connection', async () => {
    const baseUrl = `${nginx.baseUrl}/`;
    const model = createLabModel({ api: createLabApi({ baseUrl }), baseUrl: () => baseUrl, lanes: ALL_LANES });
    model.setRateIndex(RATE_STEPS.findIndex((step) => step.short === '5/s'));
    model.intervalMs.value = 500;
    model.durationMs.value = 6_000; // not a slider step: the shortest run the server takes is 5 s
    try {
      await model.start();
      assert.equal(model.phase.value, 'running', model.error.value ?? '');
      await waitUntil(() => model.lanes.value.every((lane) => lane.received >= 3), 'every lane got a few events', 5_000);
      await model.dropConnections();
      assert.ok(model.dropped.value! >= 3, `dropped ${model.dropped.value} connections`);
      await waitUntil(
        () => model.phase.value === 'done',
        () => `the run to end (${model.status.value})`,
        15_000,
      );
    } finally {
      model.dispose();
    }
    const published = model.published.value;
    assert.ok(published >= 10, `published ${published}`);
    for (const lane of model.lanes.value) {
      // Push and long polling resume from their cursor: every event. Short polls see the newest 20 at each poll.
      assert.equal(lane.received, published, `${lane.technique} received ${lane.received} of ${published}`);
      // Counted on home from the first request to the last, the drop notwithstanding.
      assert.ok(
        lane.traffic.requests >= 1 && lane.traffic.bytesUp > 0 && lane.traffic.bytesDown > 0,
        `${lane.technique}: ${JSON.stringify(lane.traffic)}`,
      );
    }
    const byLane = Object.fromEntries(model.lanes.value.map((lane) => [lane.technique, lane.traffic]));
    // The drop cut the streams and the socket: each came back, and was counted again on home.
    assert.ok(byLane.sse!.requests >= 2, `SSE requests ${byLane.sse!.requests}`);
    assert.ok(byLane.websocket!.requests >= 2, `WebSocket handshakes ${byLane.websocket!.requests}`);
    assert.deepEqual(Object.keys(byLane).sort(), [...LAB_TECHNIQUES].sort());
  });

  it('storms: the fleet runs on the instance the POST reached, and its results stream from the other one too', async () => {
    const channel = 'prod-storm-cluster';
    const types = [PRODUCTION_EVENTS.stormBin, PRODUCTION_EVENTS.stormDone];
    const logs = await Promise.all(
      [away.baseUrl, nginx.baseUrl].map((url) => EventSourceLog.open({ baseUrls: [url], path: apiRoutes.sse.path({ channel }), types })),
    );
    try {
      const response = await fetch(`${nginx.baseUrl}${apiRoutes.storms.path()}`, postJson({ channel, clients: 20, strategy: 'none' }));
      assert.equal(response.status, 202, await response.clone().text());
      const started = (await response.json()) as StartStormResponse;
      // The fleet's target is on home: the other instance knows no such storm.
      assert.equal((await fetch(`${away.baseUrl}${apiRoutes.stormConnect.path({ id: started.id })}`)).status, 404);
      for (const log of logs) {
        const done = await log.waitFor<StormDone>(
          PRODUCTION_EVENTS.stormDone,
          (data) => data.storm === started.id,
          'the storm to end',
          25_000,
        );
        assert.equal(done.aborted, undefined);
        assert.equal(done.back, 20);
        assert.ok(done.attempts >= 20, `${done.attempts} attempts`);
        assert.deepEqual(
          log.of<StormBin>(PRODUCTION_EVENTS.stormBin).map((bin) => bin.attempts),
          done.bins,
          'every bin arrived, in order',
        );
      }
    } finally {
      logs.forEach((log) => log.close());
    }
  });

  it('the idle hop: SSE through nginx and the hop, events published on the other instance, cut after idleMs of silence', async () => {
    const channel = 'prod-hop-cluster';
    const stream = await openRawStream(`${nginx.baseUrl}${apiRoutes.idleHop.path({ idleMs: 1_500, channel })}?heartbeat=60000`);
    assert.equal(stream.response.statusCode, 200);
    assert.equal(stream.response.headers.via, IDLE_HOP_VIA);
    assert.equal(stream.response.headers[IDLE_HOP_HEADER], '1500');
    await stream.waitFor('retry:');
    const published = await fetch(
      `${away.baseUrl}${apiRoutes.channelEvents.path({ channel })}`,
      postJson({ type: 'note', data: { text: 'from away' } }),
    );
    assert.equal(published.status, 201);
    await stream.waitFor('"text":"from away"');
    const lastByteAt = performance.now();
    const { clean } = await withTimeout(stream.ended, 'the hop to cut the quiet stream');
    const quietMs = performance.now() - lastByteAt;
    // Cut, not ended (no last chunk), about idleMs after the last byte: nginx passes the cut on.
    assert.equal(clean, false);
    assert.ok(quietMs >= 1_300 && quietMs < 4_000, `cut after ${Math.round(quietMs)} ms of silence`);
  });

  it('a slow consumer runs on home, and its samples stream from the other instance', async () => {
    const channel = 'prod-slow-cluster';
    const types = [PRODUCTION_EVENTS.slowSample, PRODUCTION_EVENTS.slowCut, PRODUCTION_EVENTS.slowDone];
    const log = await EventSourceLog.open({ baseUrls: [away.baseUrl], path: apiRoutes.sse.path({ channel }), types });
    try {
      const response = await fetch(
        `${nginx.baseUrl}${apiRoutes.slowConsumers.path()}`,
        postJson({ channel, transport: 'websocket', readBytesPerSecond: 20_000 }),
      );
      assert.equal(response.status, 202, await response.clone().text());
      const done = await log.waitFor<SlowConsumerDone>(PRODUCTION_EVENTS.slowDone, () => true, 'the run to end', 30_000);
      assert.equal(done.aborted, undefined);
      const samples = log.of<SlowConsumerSample>(PRODUCTION_EVENTS.slowSample);
      assert.ok(samples.length >= 5, `${samples.length} samples`);
      // The firehose went through Redis to the consumer on home; the server's buffer for it grew.
      assert.ok(samples.at(-1)!.publishedId > 100, `published up to ${samples.at(-1)!.publishedId}`);
      assert.ok(done.maxServerBufferedBytes > 0);
    } finally {
      log.close();
    }
  });

  it("drains the channel's clients on both instances, the reader's own included, and reports the sum", async () => {
    const channel = 'prod-drain-cluster';
    const url = (server: { baseUrl: string }, path: string) => `${server.baseUrl}${path}`;
    const everywhere = [a, b, nginx];
    // The reader's own tabs: an EventSource, a WebSocket and a long poll on each instance, and one of each through nginx.
    const streams: RawStream[] = await Promise.all(everywhere.map((server) => openRawStream(url(server, apiRoutes.sse.path({ channel })))));
    await Promise.all(streams.map((stream) => stream.waitFor('retry:')));
    // With the Origin a browser sends: through nginx, the server must see the Host the page was loaded from, port included.
    const sockets = await Promise.all(everywhere.map((server) => TestSocket.connect(server.baseUrl, { origin: server.baseUrl })));
    for (const socket of sockets) {
      socket.send({ type: 'subscribe', channel, cursor: 0 });
      await socket.waitFor('subscribed');
    }
    const polls = everywhere.map((server) => fetch(url(server, apiRoutes.longPoll.path({ channel }, { cursor: 0, timeout: 20_000 }))));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the polls are held (nothing to answer yet)
    const log = await EventSourceLog.open({
      baseUrls: [away.baseUrl],
      path: apiRoutes.sse.path({ channel }),
      types: [PRODUCTION_EVENTS.drainStarted, PRODUCTION_EVENTS.drainDone],
    });
    try {
      const response = await fetch(url(nginx, apiRoutes.drains.path()), postJson({ channel, fleet: 10, retryMs: 1_000 }));
      assert.equal(response.status, 202, await response.clone().text());
      const started = (await response.json()) as StartDrainResponse;
      const done = await log.waitFor<DrainDone>(
        PRODUCTION_EVENTS.drainDone,
        (data) => data.drain === started.id,
        'the drill to end',
        15_000,
      );
      assert.equal(done.aborted, undefined);
      // The fleet (on home), the three raw streams and the log; three sockets; three polls: the sum of both instances.
      assert.deepEqual(done.drained, { sse: 10 + 3 + 1, webSockets: 3, longPolls: 3, retryMs: 1_000, spreadMs: 0, retryAfterSeconds: 1 });
      assert.equal(done.back, 10);

      for (const stream of streams) {
        assert.equal((await withTimeout(stream.ended, 'the SSE stream to end')).clean, true);
        assert.equal(parseWire(stream.text()).at(-1)?.retry, '1000');
      }
      for (const socket of sockets) {
        assert.deepEqual(await socket.waitForClose(), { code: WS_CLOSE.serviceRestart, reason: drainCloseReason(1_000) });
      }
      for (const poll of polls) {
        const answer = await poll;
        assert.equal(answer.status, 503);
        assert.equal(answer.headers.get('retry-after'), '1');
        assert.equal(((await answer.json()) as ProblemDetails).type, PROBLEM_TYPES.draining);
      }
      // The drained log came back after its retry and found the drill's events.
      assert.ok(log.of(PRODUCTION_EVENTS.drainStarted).length === 1);
    } finally {
      log.close();
      streams.forEach((stream) => stream.destroy());
    }
  });

  it("runs lesson 3's coded exercise: the run's long polls reach the instance that holds the run, and a correct loop passes", async () => {
    const { headers } = newLearner();
    const run = await startRun(nginx.baseUrl, 'long-polling', 'cursor-loop', headers);
    // The run's URLs are the address the request came in on: nginx's, as a browser would see it.
    assert.ok(run.urls.poll!.startsWith(nginx.baseUrl), run.urls.poll);
    const shown = await longPollLoop(run.urls.poll!);
    const verdict = await finishRun(nginx.baseUrl, run, headers);
    assert.deepEqual(shown, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.equal(typeof verdict.verifiedAt, 'number');
  });
});
