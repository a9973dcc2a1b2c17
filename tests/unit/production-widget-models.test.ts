import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { PRODUCTION_EVENTS, type StartStormResponse, type StormBin, type StormDone } from '../../src/protocol/production.ts';
import type { StartStormRequest } from '../../src/protocol/request-bodies.ts';
import { READY_STATE } from '../../src/widgets/sse/client.ts';
import { FakeEventSource as SharedFakeEventSource } from './widgets/helpers/fake-event-source.ts';
import type { Clock } from '../../src/widgets/shared/clock.ts';
import { createBackgroundTabsModel, type VisibilitySource } from '../../src/widgets/production/background-tabs-model.ts';
import type { LongPollAnswer, ProductionClient } from '../../src/widgets/production/client.ts';
import { STORM_EXERCISE } from '../../src/protocol/production.ts';
import { createStormModel } from '../../src/widgets/production/storm-model.ts';
import { createHeldExperiment } from '../../src/widgets/production/held-experiment.ts';
import { ApiError } from '../../src/widgets/shared/http.ts';
import { deferred } from './support/deferred.ts';

/** The shared fake, fed JSON data with ids counting from 1, as the server's streams give them. */
class FakeEventSource extends SharedFakeEventSource {
  #id = 0;

  emitJson(type: string, data: unknown): void {
    this.emit(type, JSON.stringify(data), (this.#id += 1));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the storm widget model', () => {
  function setUp() {
    const sources: FakeEventSource[] = [];
    const starts: { request: StartStormRequest; answer: ReturnType<typeof deferred<StartStormResponse>> }[] = [];
    const client = {
      streamUrl: (channel: string) => `http://test/api/sse/${channel}`,
      openEventSource: (url: string) => {
        const source = new FakeEventSource(url);
        sources.push(source);
        return source;
      },
      startStorm: (request: StartStormRequest) => {
        const answer = deferred<StartStormResponse>();
        starts.push({ request, answer });
        return answer.promise;
      },
    } as unknown as ProductionClient;
    const model = createStormModel(client);
    model.channel.value = 'prod-test';
    return { model, sources, starts };
  }

  async function storm(
    context: ReturnType<typeof setUp>,
    strategy: StormDone['strategy'],
    bins: number[],
    options: { clients?: number; binBeforeAnswer?: boolean } = {},
  ) {
    const { model, sources, starts } = context;
    const clients = options.clients ?? 100;
    model.strategy.value = strategy;
    model.clients.value = clients;
    const restarted = model.restart();
    assert.equal(model.phase.value, 'starting');
    const source = sources.at(-1)!;
    assert.equal(source.url, 'http://test/api/sse/prod-test');
    source.open();
    await tick();
    const start = starts.at(-1)!;
    assert.deepEqual(start.request, { channel: 'prod-test', clients, strategy });
    const id = `storm-${strategy}`;
    const bin = (index: number): StormBin => ({ storm: id, strategy, bin: index, attempts: bins[index]!, accepted: 0, connected: 0 });
    // A bin may arrive before the POST's answer: the model keeps it until it knows the storm's id.
    if (options.binBeforeAnswer) source.emitJson(PRODUCTION_EVENTS.stormBin, bin(0));
    start.answer.resolve({ id, channel: 'prod-test', strategy, clients, binMs: 100, outageMs: 2_000 });
    await restarted;
    assert.equal(model.phase.value, 'running');
    for (let index = options.binBeforeAnswer ? 1 : 0; index < bins.length; index += 1)
      source.emitJson(PRODUCTION_EVENTS.stormBin, bin(index));
    // Another reader's storm on a shared channel is not ours.
    source.emitJson(PRODUCTION_EVENTS.stormBin, { ...bin(0), storm: 'someone-else', attempts: 999 });
    const peak = Math.max(...bins);
    const done: StormDone = {
      storm: id,
      strategy,
      clients,
      peak,
      peakBin: bins.indexOf(peak),
      attempts: bins.reduce((sum, count) => sum + count, 0),
      bins,
      allBackMs: 3_000,
      back: clients,
    };
    source.emitJson(PRODUCTION_EVENTS.stormDone, done);
    assert.equal(source.readyState, READY_STATE.closed, 'the feed closes once the storm is over');
    assert.equal(model.phase.value, 'idle');
  }

  it('follows a storm bin by bin, and keeps the last run of each strategy', async () => {
    const context = setUp();
    await storm(context, 'none', [40, 120, 180, 90], { binBeforeAnswer: true });
    const run = context.model.runs.value.none!;
    assert.deepEqual(run.bins, [40, 120, 180, 90]);
    assert.equal(run.peak, 180);
    assert.equal(run.attempts, 430);
    assert.equal(run.done, true);
    assert.match(context.model.status.value, /peak of 180 attempts in one 100 ms, 430 in all; every client back after 3 s/);
  });

  it('completes the exercise only when full jitter beats no backoff by 3× on the same fleet of 100 or more', async () => {
    const small = setUp();
    await storm(small, 'none', [50, 50], { clients: 50 });
    await storm(small, 'full-jitter', [5, 6], { clients: 50 });
    assert.equal(small.model.exercise.value.comparable, false, `fewer than ${STORM_EXERCISE.minClients} clients`);

    const context = setUp();
    await storm(context, 'none', [90, 150]);
    await storm(context, 'full-jitter', [12, 60]);
    assert.equal(context.model.exercise.value.comparable, true);
    assert.equal(context.model.exercise.value.met, false, '60 is more than a third of 150');
    await storm(context, 'full-jitter', [12, 11, 14]);
    assert.equal(context.model.exercise.value.met, true);
  });

  it('says why a storm did not start, and can start again', async () => {
    const context = setUp();
    const restarted = context.model.restart();
    context.sources.at(-1)!.open();
    await tick();
    context.starts.at(-1)!.answer.reject(new Error('An experiment is already running on channel prod-test.'));
    await restarted;
    assert.equal(context.model.phase.value, 'idle');
    assert.match(context.model.error.value!, /already running/);
    assert.equal(context.sources.at(-1)!.readyState, READY_STATE.closed);
  });

  it('shows no error line when every slot is taken: the controls note counts down instead', async () => {
    const context = setUp();
    const restarted = context.model.restart();
    context.sources.at(-1)!.open();
    await tick();
    context.starts.at(-1)!.answer.reject(new ApiError('The server is running 3 experiments…', { status: 503, retryAfterMs: 12_000 }));
    await restarted;
    assert.equal(context.model.phase.value, 'idle');
    assert.equal(context.model.error.value, null);
    assert.notEqual(context.model.retryAt.value, null);
  });
});

describe('the background tabs model', () => {
  /** A clock and timers the test moves by hand. */
  function manualClock(): Clock & { advance(ms: number): void } {
    let now = 0;
    const timers = new Map<number, { at: number; callback: () => void }>();
    let next = 0;
    return {
      now: () => now,
      setTimeout(callback, ms) {
        timers.set((next += 1), { at: now + ms, callback });
        return next;
      },
      clearTimeout: (handle) => void timers.delete(handle as number),
      advance(ms) {
        now += ms;
        for (const [handle, timer] of [...timers]) {
          if (timer.at > now) continue;
          timers.delete(handle);
          timer.callback();
        }
      },
    };
  }

  function setUp() {
    const clock = manualClock();
    let state: 'visible' | 'hidden' = 'visible';
    const listeners = new Set<() => void>();
    const visibility: VisibilitySource = {
      current: () => state,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const setVisibility = (next: 'visible' | 'hidden') => {
      state = next;
      for (const listener of listeners) listener();
    };
    const polls: { cursor: number; signal: AbortSignal; answer: ReturnType<typeof deferred<LongPollAnswer>> }[] = [];
    const builds: unknown[] = [];
    const client = {
      longPoll(_channel: string, cursor: number, _timeoutMs: number, signal: AbortSignal) {
        const answer = deferred<LongPollAnswer>();
        signal.addEventListener('abort', () => answer.reject(new DOMException('aborted', 'AbortError')));
        polls.push({ cursor, signal, answer });
        return answer.promise;
      },
      startBuild: (request: unknown) => {
        builds.push(request);
        return Promise.resolve({ id: 'b', channel: 'prod-tabs', totalLines: 25 });
      },
    } as unknown as ProductionClient;
    let intervals = 0;
    const model = createBackgroundTabsModel({
      client,
      visibility,
      clock,
      interval: { set: () => (intervals += 1), clear: () => (intervals -= 1) },
    });
    model.channel.value = 'prod-tabs';
    model.watch();
    return { model, clock, setVisibility, polls, builds, intervals: () => intervals };
  }

  const events = (from: number, count: number): ChannelEvent[] =>
    Array.from({ length: count }, (_, index) => ({ id: from + index, type: 'log', data: `line ${from + index}`, ts: 0 }));

  it('stops polling while hidden, then catches up with one poll by cursor', async () => {
    const { model, clock, setVisibility, polls, builds, intervals } = setUp();
    await model.start();
    assert.equal(builds.length, 1, 'a build feeds the channel');
    assert.equal(polls.length, 1);
    assert.equal(polls[0]!.cursor, 0);
    polls[0]!.answer.resolve({ kind: 'events', body: { events: events(1, 2), cursor: 2 } });
    await tick();
    assert.equal(model.cursor.value, 2);
    assert.equal(polls.length, 2, 'the next poll follows the answer');

    setVisibility('hidden');
    assert.equal(polls[1]!.signal.aborted, true, 'the held poll is aborted when the tab is hidden');
    clock.advance(20_000);
    await tick();
    assert.equal(polls.length, 2, 'no poll while hidden');

    setVisibility('visible');
    assert.equal(polls.length, 3);
    assert.equal(polls[2]!.cursor, 2, 'the return asks after the cursor it kept');
    polls[2]!.answer.resolve({ kind: 'events', body: { events: events(3, 5), cursor: 7 } });
    await tick();
    assert.deepEqual(model.lastCatchUp.value, { events: 5, from: 2, to: 7, hiddenMs: 20_000 });
    assert.equal(model.pollsWhileHidden.value, 0);
    assert.match(model.log.value.at(-1)!.text, /Caught up: 5 events missed while hidden, in one request \(cursor 2 → 7\)/);

    model.dispose();
    assert.equal(polls.at(-1)!.signal.aborted, true);
    assert.equal(intervals(), 0, 'the probe timer is cleared');
  });

  it('keeps polling while hidden when told not to pause, and counts those polls', async () => {
    const { model, setVisibility, polls } = setUp();
    model.pauseWhenHidden.value = false;
    await model.start();
    setVisibility('hidden');
    assert.equal(polls[0]!.signal.aborted, false);
    polls[0]!.answer.resolve({ kind: 'timeout' });
    await tick();
    assert.equal(polls.length, 2);
    assert.equal(model.pollsWhileHidden.value, 1);
    model.dispose();
  });
});

describe('the experiment a widget holds', () => {
  const clock: Clock = { now: () => 50_000, setTimeout: () => undefined, clearTimeout: () => {} };

  it('gives it back once when the page leaves, and nothing once it ended', () => {
    const stopped: string[] = [];
    const held = createHeldExperiment({ stopExperiment: (id) => stopped.push(id) }, clock);
    held.leave();
    held.hold('storm-1');
    held.leave();
    held.leave();
    assert.deepEqual(stopped, ['storm-1']);
    held.hold('storm-2');
    held.done();
    held.leave();
    assert.deepEqual(stopped, ['storm-1']);
  });

  it('remembers when the server said its slots may free up, from a 503 with Retry-After only', () => {
    const held = createHeldExperiment({ stopExperiment: () => {} }, clock);
    assert.equal(held.refused(new ApiError('The server is running 3 experiments…', { status: 503, retryAfterMs: 12_000 })), null);
    assert.equal(held.retryAt.value, 62_000);
    held.hold('storm-3');
    assert.equal(held.retryAt.value, null);
    assert.equal(held.refused(new ApiError('Could not reach the companion server')), 'Could not reach the companion server');
    assert.equal(held.retryAt.value, null);
  });
});
