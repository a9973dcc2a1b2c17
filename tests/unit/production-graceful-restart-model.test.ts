import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { type DrainBin, type DrainDone, PRODUCTION_EVENTS, type StartDrainResponse } from '../../src/protocol/production.ts';
import type { StartDrainRequest } from '../../src/protocol/request-bodies.ts';
import type { LongPollAnswer, ProductionClient } from '../../src/widgets/production/client.ts';
import { createGracefulRestartModel, type GracefulRestartModel, SPREAD_MS } from '../../src/widgets/production/graceful-restart-model.ts';
import { ApiError } from '../../src/widgets/shared/http.ts';
import { READY_STATE } from '../../src/widgets/sse/client.ts';
import { type Deferred, deferred } from './support/deferred.ts';
import { advance, settle } from './support/fake-time.ts';
import { type FakeEventSource, fakeResultsStream } from './widgets/helpers/fake-event-source.ts';
import { FakeWebSocket } from './widgets/fake-websocket.ts';

/**
 * The graceful-restart widget's model: the page's EventSource, WebSocket and
 * long poll on a fake lesson-7 client, the drill's start and results played
 * by the test, on node:test's mocked setTimeout and Date.
 */
const T0 = 3_000_000;
const CHANNEL = 'prod-drain';

describe('the graceful-restart widget model', () => {
  let sources: FakeEventSource[];
  let polls: { cursor: number; signal: AbortSignal; answer: Deferred<LongPollAnswer> }[];
  let drains: { request: StartDrainRequest; answer: Deferred<StartDrainResponse> }[];
  let stopped: string[];
  let model: GracefulRestartModel;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    FakeWebSocket.reset();
    polls = [];
    drains = [];
    stopped = [];
    const stream = fakeResultsStream();
    sources = stream.sources;
    const client = {
      streamUrl: stream.streamUrl,
      openEventSource: stream.openEventSource,
      webSocketUrl: () => 'ws://test/ws',
      openWebSocket: (url: string) => new FakeWebSocket(url),
      longPoll: (_channel: string, cursor: number, _timeoutMs: number, signal: AbortSignal) => {
        const answer = deferred<LongPollAnswer>();
        signal.addEventListener('abort', () => answer.reject(new DOMException('aborted', 'AbortError')));
        polls.push({ cursor, signal, answer });
        return answer.promise;
      },
      startDrain: (request: StartDrainRequest) => {
        const answer = deferred<StartDrainResponse>();
        drains.push({ request, answer });
        return answer.promise;
      },
      stopExperiment: (id: string) => stopped.push(id),
    } as unknown as ProductionClient;
    model = createGracefulRestartModel({ client, random: () => 0.4 });
    model.channel.value = CHANNEL;
  });

  afterEach(() => {
    model.dispose();
    FakeWebSocket.reset();
    mock.timers.reset();
  });

  /** The page's three clients connect; the drill goes to the server. */
  async function connectAll(): Promise<void> {
    sources.at(-1)!.open();
    const socket = FakeWebSocket.last;
    socket.serverOpen();
    socket.serverSend({ type: 'subscribed', channel: CHANNEL, cursor: 0 });
    await advance(50);
  }

  const emit = (type: string, data: object) => sources[0]!.emit(type, JSON.stringify(data));
  const bin = (drain: string, index: number, reconnects: number, back: number): DrainBin => ({ drain, bin: index, reconnects, back });
  const done = (drain: string, overrides: Partial<DrainDone> = {}): DrainDone =>
    ({
      drain,
      fleet: 100,
      retryMs: 2_000,
      spreadMs: 0,
      drained: { sse: 101, webSockets: 1, longPolls: 1 },
      peak: 60,
      peakBin: 20,
      bins: [0, 0, 60, 40],
      allBackMs: 2_300,
      back: 100,
      ...overrides,
    }) as DrainDone;

  it('connects the page’s three clients before it drains the channel', async () => {
    model.fleet.value = 100;
    model.retryMs.value = 2_000;
    const draining = model.drain();
    assert.equal(model.phase.value, 'connecting');
    assert.equal(sources[0]!.url, `http://test/api/sse/${CHANNEL}`);
    assert.equal(FakeWebSocket.last.url, 'ws://test/ws');
    assert.equal(polls.length, 1, 'the long poll asks at once');
    assert.equal(model.clients.value['long-poll'].state, 'open', 'a poll on its way is the long poll’s connection');
    assert.equal(model.clients.value.sse.state, 'connecting');

    await connectAll();
    assert.deepEqual(FakeWebSocket.last.messages(), [{ type: 'subscribe', channel: CHANNEL, cursor: 0 }]);
    assert.deepEqual(
      Object.values(model.clients.value).map((own) => own.state),
      ['open', 'open', 'open'],
    );
    assert.deepEqual(drains[0]!.request, { channel: CHANNEL, fleet: 100, retryMs: 2_000, spreadMs: 0 });
    assert.equal(model.phase.value, 'draining');
    assert.equal(model.status.value, 'Connecting 100 simulated EventSource clients, then draining…');
    drains[0]!.answer.resolve({ id: 'drain-1', channel: CHANNEL, fleet: 100, retryMs: 2_000, spreadMs: 0, binMs: 100 });
    await draining;
    assert.deepEqual(model.runs.value.same, { drain: 'drain-1', mode: 'same', fleet: 100, retryMs: 2_000, spreadMs: 0, bins: [], back: 0 });
  });

  it('says what each client was told, in its technique’s words, and when it came back', async () => {
    const draining = model.drain();
    await connectAll();
    drains[0]!.answer.resolve({ id: 'drain-1', channel: CHANNEL, fleet: 100, retryMs: 2_000, spreadMs: 0, binMs: 100 });
    await draining;

    // The server ends the stream after `retry:`; the browser waits, then reconnects.
    sources[0]!.drop();
    assert.equal(model.clients.value.sse.state, 'waiting');
    assert.equal(model.clients.value.sse.told, 'retry: 2000, then the end of the stream');
    const socket = FakeWebSocket.last;
    socket.serverClose(1012, 'restart');
    assert.equal(model.clients.value.websocket.state, 'waiting');
    // Full jitter on the first attempt: 0.4 × 2 s.
    assert.equal(model.clients.value.websocket.told, 'close 1012 Service Restart (“restart”); its own backoff waits 800 ms');
    polls[0]!.answer.reject(new ApiError('Draining', { status: 503, retryAfterMs: 2_000 }));
    await settle();
    assert.equal(model.clients.value['long-poll'].state, 'waiting');
    assert.equal(
      model.clients.value['long-poll'].told,
      '503 with Retry-After: 2; polls again after 2.2 s: Retry-After plus jitter',
      'Retry-After plus 0.4 × 500 ms',
    );

    await advance(800);
    assert.equal(FakeWebSocket.instances.length, 2, 'the WebSocket reconnects after its backoff');
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverSend({ type: 'subscribed', channel: CHANNEL, cursor: 0 });
    assert.equal(model.clients.value.websocket.state, 'open');
    assert.equal(model.clients.value.websocket.backAfterMs, 800);
    sources[0]!.open();
    assert.equal(model.clients.value.sse.backAfterMs, 800);
    await advance(1_400);
    assert.equal(polls.length, 2, 'the long poll asks again after Retry-After plus jitter');
    assert.equal(model.clients.value['long-poll'].backAfterMs, 2_200);
  });

  it('follows the drill bin by bin, keeping what came before the start’s answer, and sums it up', async () => {
    const draining = model.drain();
    await connectAll();
    // The server may publish before its 202 arrives: the model keeps the bin until it knows the drill.
    emit(PRODUCTION_EVENTS.drainBin, bin('drain-1', 0, 5, 5));
    drains[0]!.answer.resolve({ id: 'drain-1', channel: CHANNEL, fleet: 100, retryMs: 2_000, spreadMs: 0, binMs: 100 });
    await draining;
    assert.deepEqual(model.runs.value.same!.bins, [5]);
    emit(PRODUCTION_EVENTS.drainBin, bin('drain-1', 2, 60, 65));
    emit(PRODUCTION_EVENTS.drainBin, bin('someone-else', 1, 999, 999));
    assert.deepEqual(model.runs.value.same!.bins, [5, 0, 60], 'a skipped bin is 0; another drill is not ours');
    assert.equal(model.status.value, '65 of 100 simulated clients back after 300 ms.');

    emit(PRODUCTION_EVENTS.drainDone, done('drain-1'));
    assert.equal(model.phase.value, 'idle');
    assert.deepEqual(model.runs.value.same!.bins, [0, 0, 60, 40]);
    assert.equal(
      model.status.value,
      'Drained 101 SSE streams, 1 WebSocket and 1 long poll. Peak: 60 reconnects in one 100 ms; all 100 back after 2.3 s.',
    );
    model.leave();
    assert.deepEqual(stopped, [], 'an ended drill is not stopped again');
  });

  it('keeps the spread run apart from the same-retry one, and says each stream picks its own retry', async () => {
    model.spread.value = true;
    const draining = model.drain();
    await connectAll();
    assert.equal(drains[0]!.request.spreadMs, SPREAD_MS);
    drains[0]!.answer.resolve({ id: 'drain-2', channel: CHANNEL, fleet: 100, retryMs: 2_000, spreadMs: SPREAD_MS, binMs: 100 });
    await draining;
    sources[0]!.drop();
    assert.equal(model.clients.value.sse.told, `retry: 2000–${2_000 + SPREAD_MS} (its own, at random), then the end of the stream`);
    emit(PRODUCTION_EVENTS.drainDone, done('drain-2', { spreadMs: SPREAD_MS, allBackMs: null, back: 97 }));
    assert.deepEqual(Object.keys(model.runs.value), ['spread']);
    assert.match(model.status.value, /Peak: 60 reconnects in one 100 ms; 97 of 100 back\.$/);
  });

  it('gives the drill back when the page leaves, once', async () => {
    const draining = model.drain();
    await connectAll();
    drains[0]!.answer.resolve({ id: 'drain-3', channel: CHANNEL, fleet: 0, retryMs: 2_000, spreadMs: 0, binMs: 100 });
    await draining;
    model.leave();
    model.leave();
    assert.deepEqual(stopped, ['drain-3']);
  });

  it('says when the server may take a drill, when every slot is taken', async () => {
    const draining = model.drain();
    await connectAll();
    drains[0]!.answer.reject(new ApiError('The server is running 3 experiments already.', { status: 503, retryAfterMs: 8_000 }));
    await draining;
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.error.value, null, 'the controls note says why, with its countdown');
    assert.equal(model.status.value, 'The drill did not start.');
    assert.equal(model.retryAt.value, Date.now() + 8_000);
  });

  it('gives up when the page’s clients cannot all connect', async () => {
    const draining = model.drain();
    sources[0]!.open();
    await advance(10_100, { stepMs: 50 });
    await draining;
    assert.equal(drains.length, 0, 'no drill without the page’s clients');
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.error.value, 'The page’s clients did not all connect; is the server reachable?');
  });

  it('disconnect() closes the three clients and calls off their retries', async () => {
    const draining = model.drain();
    await connectAll();
    drains[0]!.answer.resolve({ id: 'drain-4', channel: CHANNEL, fleet: 0, retryMs: 2_000, spreadMs: 0, binMs: 100 });
    await draining;
    FakeWebSocket.last.serverClose(1012);
    model.disconnect();
    assert.equal(sources[0]!.readyState, READY_STATE.closed);
    assert.equal(polls.at(-1)!.signal.aborted, true);
    assert.deepEqual(
      Object.values(model.clients.value).map((own) => own.state),
      ['off', 'off', 'off'],
    );
    await advance(5_000, { stepMs: 50 });
    assert.equal(FakeWebSocket.instances.length, 1, 'the WebSocket’s pending reconnect was called off');
  });
});
