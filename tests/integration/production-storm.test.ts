import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import {
  flattenedTheStorm,
  PRODUCTION_EVENTS,
  STORM_EXERCISE,
  type StartStormResponse,
  type StormBin,
  type StormDone,
  type StormStrategy,
} from '../../src/protocol/production.ts';
import { LEARNER_COOKIE, type ProgressResponse } from '../../src/protocol/progress.ts';
import { StormClient } from '../../server/experiments/storm-client.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { withTimeout } from './helpers/websocket-client.ts';

/** A seeded [0, 1) generator (mulberry32), so the jittered fleet does the same every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('reconnect storm', () => {
  let server: RunningServer;
  before(async () => {
    // A short outage keeps the test quick; the backoff (1 s base) is the lesson's.
    server = await startServer({ production: { storm: { outageMs: 500 }, random: seeded(7) } });
  });
  after(() => server.stop());

  /** Starts a storm and collects its events until `storm-done`. */
  async function storm(channel: string, strategy: StormStrategy, clients: number, headers: Record<string, string> = {}) {
    const bins: StormBin[] = [];
    const done = new Promise<StormDone>((resolve) => {
      const unsubscribe = server.app.bus.subscribe(channel, (event) => {
        if (event.type === PRODUCTION_EVENTS.stormBin) bins.push(event.data as StormBin);
        if (event.type === PRODUCTION_EVENTS.stormDone) {
          unsubscribe();
          resolve(event.data as StormDone);
        }
      });
    });
    const request = postJson({ channel, strategy, clients });
    const response = await fetch(`${server.baseUrl}${apiRoutes.storms.path()}`, {
      ...request,
      headers: { ...request.headers, ...headers },
    });
    assert.equal(response.status, 202);
    const started = (await response.json()) as StartStormResponse;
    assert.deepEqual({ ...started, id: 'x' }, { id: 'x', channel, strategy, clients, binMs: 100, outageMs: 500 });
    return { bins, done: await withTimeout(done, `the ${strategy} storm to end`, 20_000) };
  }

  it('counts every reconnect attempt of the fleet, per 100 ms, until every client is back', async () => {
    const { bins, done } = await storm('storm-exp', 'exponential', 30);
    // Everyone waits exactly 1 s: the outage (0.5 s) is over by then, so one attempt each, all together.
    // (Counts, not timings: on a busy machine the 30 connections may take more than one bin to arrive.)
    assert.equal(done.back, 30);
    assert.equal(done.attempts, 30);
    assert.ok(
      done.bins.slice(0, 10).every((count) => count === 0),
      `nothing before 1 s: ${done.bins.join(' ')}`,
    );
    assert.ok(done.peak >= 10, `the fleet arrived together: ${done.bins.join(' ')}`);
    assert.ok(done.allBackMs! >= 1_000, `all back after ${done.allBackMs} ms`);
    // The bins published one by one add up to the curve of `storm-done`, and to the total.
    assert.deepEqual(
      bins.map((bin) => bin.attempts),
      done.bins,
    );
    assert.deepEqual(
      bins.map((bin) => bin.bin),
      done.bins.map((_, index) => index),
    );
    assert.equal(bins.at(-1)!.connected, 30);
  });

  it('without backoff the fleet hammers the outage; with full jitter the peak is lower', async () => {
    const none = (await storm('storm-none', 'none', 40)).done;
    const jitter = (await storm('storm-jitter', 'full-jitter', 40)).done;
    assert.equal(none.back, 40);
    assert.equal(jitter.back, 40);
    // Every client retried at once, again and again, for the whole outage (as often as the server answered:
    // hundreds of attempts on an idle machine, fewer on a loaded one, so only "more than one each" is asserted).
    assert.ok(none.attempts > 40, `${none.attempts} attempts without backoff`);
    // Full jitter spreads even the first wave over 1 s: a few per bin instead of the whole fleet.
    assert.ok(jitter.peak < none.peak, `peak ${jitter.peak} with jitter, ${none.peak} without`);
    // (Not "fewer attempts than no backoff": in a 500 ms outage on a loaded machine, no backoff may make only 1.5 each.)
    assert.equal(
      jitter.attempts,
      jitter.bins.reduce((sum, count) => sum + count, 0),
    );
  });

  it("verifies lesson 7's exercise for the learner exactly when their two storms meet its rule", async () => {
    const learner = { Cookie: `${LEARNER_COOKIE}=stormLearner0123456789` };
    const none = (await storm('storm-verify', 'none', STORM_EXERCISE.minClients, learner)).done;
    const jitter = (await storm('storm-verify', 'full-jitter', STORM_EXERCISE.minClients, learner)).done;
    const met = flattenedTheStorm(none, jitter);
    // The pass is recorded just after storm-done is published: wait for it when the rule is met.
    const verified = async () =>
      ((await (await fetch(server.baseUrl + apiRoutes.progress.path(), { headers: learner })).json()) as ProgressResponse).verified;
    if (met) await waitUntil(async () => (await verified())['in-production'] !== undefined, 'the verified storm exercise');
    assert.equal((await verified())['in-production']?.[STORM_EXERCISE.id] !== undefined, met, `peaks ${none.peak} and ${jitter.peak}`);
  });

  it('runs one storm per channel: a new start on it takes over, and DELETE stops one', async () => {
    const doneOf = async (channel: string, id: string) =>
      (await server.app.bus.since(channel, 0)).events.find(
        (event) => event.type === PRODUCTION_EVENTS.stormDone && (event.data as StormDone).storm === id,
      )?.data as StormDone | undefined;
    const first = await fetch(
      `${server.baseUrl}${apiRoutes.storms.path()}`,
      postJson({ channel: 'storm-busy', strategy: 'exponential', clients: 10 }),
    );
    assert.equal(first.status, 202);
    const firstId = ((await first.json()) as StartStormResponse).id;
    // The same reader, after a reload: the channel is theirs, so is the run.
    const second = await fetch(
      `${server.baseUrl}${apiRoutes.storms.path()}`,
      postJson({ channel: 'storm-busy', strategy: 'none', clients: 10 }),
    );
    assert.equal(second.status, 202);
    const secondId = ((await second.json()) as StartStormResponse).id;
    await waitUntil(
      async () => (await doneOf('storm-busy', firstId))?.aborted === 'a new run on this channel took its place',
      'the first storm was taken over',
    );

    // The page leaves: its keepalive DELETE stops the run and frees the slot.
    const stop = await fetch(`${server.baseUrl}${apiRoutes.experiment.path({ id: secondId })}`, { method: 'DELETE' });
    assert.equal(stop.status, 204);
    await waitUntil(
      async () => (await doneOf('storm-busy', secondId))?.aborted === 'the reader left the page',
      'the second storm was stopped',
    );
    assert.equal(server.app.production.running(), 0);
    const again = await fetch(`${server.baseUrl}${apiRoutes.experiment.path({ id: secondId })}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as ProblemDetails).type, PROBLEM_TYPES.unknownExperiment);
  });

  it('refuses bad input', async () => {
    for (const [body, field] of [
      [{ channel: 'x', strategy: 'sometimes' }, 'strategy'],
      [{ channel: 'x', strategy: 'none', clients: 5_000 }, 'clients'],
      [{ channel: 'x', strategy: 'none', clients: 1.5 }, 'clients'],
      [{ channel: 'x', strategy: 'none', extra: 1 }, 'extra'],
    ] as const) {
      const response = await fetch(`${server.baseUrl}${apiRoutes.storms.path()}`, postJson(body));
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as ProblemDetails).field, field);
    }
    const unknown = await fetch(`${server.baseUrl}${apiRoutes.stormConnect.path({ id: 'nope' })}`);
    assert.equal(unknown.status, 404);
    for (const id of ['nope', '%00', 'x'.repeat(500)]) {
      const response = await fetch(`${server.baseUrl}/api/production/experiments/${id}`, { method: 'DELETE' });
      assert.equal(response.status, 404, id);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    }
  });

  it('full jitter, with the outage, base and cap of the lesson: figures within the ranges it quotes', async () => {
    const lessonLike = await startServer({ production: { random: seeded(11) } });
    try {
      const channel = 'storm-lesson';
      const accepted: number[] = [];
      const done = new Promise<StormDone>((resolve) => {
        lessonLike.app.bus.subscribe(channel, (event) => {
          if (event.type === PRODUCTION_EVENTS.stormBin) accepted.push((event.data as StormBin).accepted);
          if (event.type === PRODUCTION_EVENTS.stormDone) resolve(event.data as StormDone);
        });
      });
      const response = await fetch(
        `${lessonLike.baseUrl}${apiRoutes.storms.path()}`,
        postJson({ channel, strategy: 'full-jitter', clients: 100 }),
      );
      assert.equal(response.status, 202);
      const storm = await withTimeout(done, 'the full-jitter storm to end', 25_000);
      assert.equal(storm.back, 100);
      assert.notEqual(storm.allBackMs, null);
      // Each client is accepted once: none drops its held connection and comes back again.
      assert.equal(
        accepted.reduce((sum, count) => sum + count, 0),
        100,
      );
      // The model's 1,000 seeded fleets range over 264–311 attempts and peaks of 14–31 (bench/storm.ts).
      // A loaded machine fires the fleet's timers late, after more of the outage has passed: fewer attempts
      // (246 seen at a load average of 26), and bunched into fewer bins. So: more than exponential
      // backoff's 200, not the 380–560 of a fleet that reconnects after being back, and below the whole fleet.
      assert.ok(storm.attempts > 200 && storm.attempts <= 330, `${storm.attempts} attempts`);
      assert.ok(storm.peak >= 10 && storm.peak < 80, `peak ${storm.peak}`);
    } finally {
      await lessonLike.stop();
    }
  });

  it('a fleet client keeps its held connection past its attempt timeout', async () => {
    const held = new Set<ServerResponse>();
    let requests = 0;
    const target = createServer((_request, response) => {
      requests += 1;
      response.writeHead(200).flushHeaders();
      held.add(response);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const client = new StormClient({
      target: { host: '127.0.0.1', port: (target.address() as AddressInfo).port },
      path: '/',
      strategy: 'none',
      attemptTimeoutMs: 100,
    });
    try {
      client.connect();
      await waitUntil(() => client.connected, 'the client connected');
      await new Promise((resolve) => setTimeout(resolve, 500)); // five attempt timeouts of silence
      assert.equal(client.connected, true);
      assert.equal(requests, 1);
    } finally {
      client.stop();
      for (const response of held) response.end();
      target.closeAllConnections();
      await new Promise((resolve) => target.close(resolve));
    }
  });

  it('ends, saying why, when the server shuts down', async () => {
    const other = await startServer();
    const response = await fetch(
      `${other.baseUrl}${apiRoutes.storms.path()}`,
      postJson({ channel: 'storm-close', strategy: 'full-jitter', clients: 20 }),
    );
    assert.equal(response.status, 202);
    await waitUntil(async () => (await other.app.bus.since('storm-close', 0)).events.length > 0, 'the storm to begin');
    await other.stop();
    const done = (await other.app.bus.since('storm-close', 0)).events.find((event) => event.type === PRODUCTION_EVENTS.stormDone);
    assert.ok(done, 'the storm announced its end');
    assert.match(String((done.data as StormDone).aborted), /shutting down/);
  });
});
