import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../src/protocol/paths.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import {
  PRODUCTION_EVENTS,
  type StartStormResponse,
  type StormBin,
  type StormDone,
  type StormStrategy,
} from '../../src/protocol/production.ts';
import { startServer, type RunningServer } from './helpers/start-server.ts';
import { postJson, waitUntil } from './helpers/wait-until.ts';
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
  async function storm(channel: string, strategy: StormStrategy, clients: number) {
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
    const response = await fetch(`${server.baseUrl}${paths.storms}`, postJson({ channel, strategy, clients }));
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
    assert.ok(done.bins.slice(0, 10).every((count) => count === 0), `nothing before 1 s: ${done.bins.join(' ')}`);
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
    // Every client retried at once, again and again, for the whole outage (as often as the server answered).
    assert.ok(none.attempts > 2 * 40, `${none.attempts} attempts without backoff`);
    // Full jitter spreads even the first wave over 1 s: a few per bin instead of the whole fleet.
    assert.ok(jitter.peak < none.peak, `peak ${jitter.peak} with jitter, ${none.peak} without`);
    assert.ok(jitter.attempts < none.attempts, `${jitter.attempts} attempts with jitter, ${none.attempts} without`);
    assert.equal(jitter.attempts, jitter.bins.reduce((sum, count) => sum + count, 0));
  });

  it('runs one storm per channel, and refuses bad input', async () => {
    const first = await fetch(`${server.baseUrl}${paths.storms}`, postJson({ channel: 'storm-busy', strategy: 'exponential', clients: 10 }));
    assert.equal(first.status, 202);
    const second = await fetch(`${server.baseUrl}${paths.storms}`, postJson({ channel: 'storm-busy', strategy: 'none', clients: 10 }));
    assert.equal(second.status, 409);
    assert.equal(((await second.json()) as ProblemDetails).type, PROBLEM_TYPES.experimentRunning);

    for (const [body, field] of [
      [{ channel: 'x', strategy: 'sometimes' }, 'strategy'],
      [{ channel: 'x', strategy: 'none', clients: 5_000 }, 'clients'],
      [{ channel: 'x', strategy: 'none', clients: 1.5 }, 'clients'],
      [{ channel: 'x', strategy: 'none', extra: 1 }, 'extra'],
    ] as const) {
      const response = await fetch(`${server.baseUrl}${paths.storms}`, postJson(body));
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as ProblemDetails).field, field);
    }
    const unknown = await fetch(`${server.baseUrl}${paths.stormConnect('nope')}`);
    assert.equal(unknown.status, 404);
    await waitUntil(async () => (await server.app.bus.since('storm-busy', 0)).events.some((event) => event.type === 'storm-done'), 'the busy storm ended', 10_000);
  });

  it('ends, saying why, when the server shuts down', async () => {
    const other = await startServer();
    const response = await fetch(`${other.baseUrl}${paths.storms}`, postJson({ channel: 'storm-close', strategy: 'full-jitter', clients: 20 }));
    assert.equal(response.status, 202);
    await waitUntil(async () => (await other.app.bus.since('storm-close', 0)).events.length > 0, 'the storm to begin');
    await other.stop();
    const done = (await other.app.bus.since('storm-close', 0)).events.find((event) => event.type === PRODUCTION_EVENTS.stormDone);
    assert.ok(done, 'the storm announced its end');
    assert.match(String((done.data as StormDone).aborted), /shutting down/);
  });
});
