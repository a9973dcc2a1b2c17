import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import {
  PRODUCTION_EVENTS,
  type SlowConsumerCut,
  type SlowConsumerDone,
  type SlowConsumerSample,
  type StartSlowConsumerResponse,
} from '../../src/protocol/production.ts';
import type { StartSlowConsumerRequest } from '../../src/protocol/request-bodies.ts';
import type { ProductionClient } from '../../src/widgets/production/client.ts';
import { createSlowConsumerModel } from '../../src/widgets/production/slow-consumer-model.ts';
import { ApiError } from '../../src/widgets/shared/http.ts';
import { settle } from './support/fake-time.ts';
import { fakeResultsStream } from './widgets/helpers/fake-event-source.ts';

/**
 * The slow-consumer widget's model against a fake lesson-7 client: the test
 * opens the results stream, answers the start request, and plays the
 * experiment's events as the server publishes them on the channel.
 */
function setUp() {
  const stream = fakeResultsStream();
  const starts: {
    request: StartSlowConsumerRequest;
    resolve: (answer: StartSlowConsumerResponse) => void;
    reject: (error: unknown) => void;
  }[] = [];
  const stopped: string[] = [];
  const client = {
    streamUrl: stream.streamUrl,
    openEventSource: stream.openEventSource,
    startSlowConsumer: (request: StartSlowConsumerRequest) =>
      new Promise<StartSlowConsumerResponse>((resolve, reject) => starts.push({ request, resolve, reject })),
    stopExperiment: (id: string) => stopped.push(id),
  } as unknown as ProductionClient;
  const model = createSlowConsumerModel(client);
  model.channel.value = 'prod-slow';
  return { model, sources: stream.sources, starts, stopped };
}

const started = (id: string, transport: 'sse' | 'websocket' = 'sse'): StartSlowConsumerResponse => ({
  id,
  channel: 'prod-slow',
  firehose: 'prod-slow-firehose',
  transport,
  readBytesPerSecond: 20_000,
  capBytes: 1_000_000,
});
const sample = (run: string, t: number, serverBufferedBytes: number): SlowConsumerSample => ({
  run,
  t,
  serverBufferedBytes,
  sentBytes: serverBufferedBytes + 50_000,
  readBytes: 20_000,
  publishedId: 400,
  readId: 100,
});

/** Starts a run: the stream opens, the POST goes out, the test answers it. */
async function startRun(context: ReturnType<typeof setUp>, id: string, transport: 'sse' | 'websocket' = 'sse') {
  const { model, sources, starts } = context;
  const starting = model.start();
  assert.equal(model.phase.value, 'starting');
  sources.at(-1)!.open();
  await settle();
  starts.at(-1)!.resolve(started(id, transport));
  await starting;
  return sources.at(-1)!;
}

describe('the slow-consumer widget model', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('follows a run: samples, the cut, the resume, and the end', async () => {
    const context = setUp();
    const { model, sources, starts } = context;
    model.transport.value = 'sse';
    model.readBytesPerSecond.value = 20_000;
    const starting = model.start();
    const source = sources[0]!;
    assert.equal(source.url, 'http://test/api/sse/prod-slow', 'the results come on the widget’s channel');
    source.open();
    await settle();
    assert.deepEqual(starts[0]!.request, { channel: 'prod-slow', transport: 'sse', readBytesPerSecond: 20_000 });
    // A sample can come before the POST's answer names the run: it is kept, then counted.
    source.emit(PRODUCTION_EVENTS.slowSample, JSON.stringify(sample('slow-1', 100, 64_000)));
    starts[0]!.resolve(started('slow-1'));
    await starting;
    assert.equal(model.phase.value, 'running');
    assert.equal(model.run.value!.samples.length, 1, 'the early sample was kept');

    source.emit(PRODUCTION_EVENTS.slowSample, JSON.stringify(sample('slow-1', 200, 128_000)));
    source.emit(PRODUCTION_EVENTS.slowSample, JSON.stringify(sample('someone-else', 200, 999_999)));
    assert.deepEqual(
      model.run.value!.samples.map((entry) => entry.serverBufferedBytes),
      [64_000, 128_000],
      'another run on a shared channel is not ours',
    );
    assert.equal(model.status.value, 'The server holds 128 kB for the consumer; 158 kB sent but not read; 300 events behind.');

    const cut: SlowConsumerCut = {
      run: 'slow-1',
      t: 1_250,
      transport: 'sse',
      action: 'sse-stream-cut',
      serverBufferedBytes: 1_100_000,
      unreadBytes: 1_500_000,
    };
    source.emit(PRODUCTION_EVENTS.slowCut, JSON.stringify(cut));
    assert.deepEqual(model.run.value!.cut, cut);
    assert.equal(model.status.value, 'At 1.3 s the server cut the stream: its buffer for the consumer passed the cap.');
    source.emit(PRODUCTION_EVENTS.slowSample, JSON.stringify(sample('slow-1', 1_300, 0)));
    assert.match(model.status.value, /cut the stream/, 'after the cut, samples no longer overwrite what happened');

    source.emit(
      PRODUCTION_EVENTS.slowResumed,
      JSON.stringify({ run: 'slow-1', t: 1_400, cursor: 120, latestId: 450, outcome: 'replay', replayed: 330 }),
    );
    assert.equal(model.run.value!.resumed?.replayed, 330);

    const done: SlowConsumerDone = { run: 'slow-1', t: 5_000, cut: true, maxServerBufferedBytes: 1_100_000 };
    source.emit(PRODUCTION_EVENTS.slowDone, JSON.stringify(done));
    assert.equal(model.phase.value, 'idle');
    assert.deepEqual(model.run.value!.done, done);
    assert.equal(source.closed, true, 'the results stream closes once the run is over');
    assert.equal(model.status.value, 'Done: the server protected itself from the slow consumer, which then resumed from its cursor.');
  });

  it('says when the consumer kept up, and when the WebSocket was closed with 1013', async () => {
    const context = setUp();
    const source = await startRun(context, 'slow-ws', 'websocket');
    source.emit(
      PRODUCTION_EVENTS.slowCut,
      JSON.stringify({ run: 'slow-ws', t: 900, transport: 'websocket', action: 'websocket-1013', serverBufferedBytes: 1, unreadBytes: 1 }),
    );
    assert.match(context.model.status.value, /^At 900 ms the server closed the WebSocket with 1013 Try Again Later/);
    source.emit(PRODUCTION_EVENTS.slowDone, JSON.stringify({ run: 'slow-ws', t: 3_000, cut: true, maxServerBufferedBytes: 1 }));
    // No resume came before the end: the status must not claim one.
    assert.equal(
      context.model.status.value,
      'Done: the server protected itself from the slow consumer; the run ended before the consumer came back.',
    );

    const next = await startRun(context, 'slow-fast');
    next.emit(PRODUCTION_EVENTS.slowDone, JSON.stringify({ run: 'slow-fast', t: 10_000, cut: false, maxServerBufferedBytes: 2_400 }));
    assert.equal(context.model.status.value, 'Done: in 10 s the consumer kept up, and the server never held more than 2.4 kB for it.');
  });

  it('gives the run back when the page leaves, once, and nothing after it ended', async () => {
    const context = setUp();
    const source = await startRun(context, 'slow-2');
    context.model.leave();
    context.model.leave();
    assert.deepEqual(context.stopped, ['slow-2']);
    // The server stops it, and says so on the channel.
    source.emit(
      PRODUCTION_EVENTS.slowDone,
      JSON.stringify({ run: 'slow-2', t: 1, cut: false, maxServerBufferedBytes: 0, aborted: 'stopped' }),
    );
    assert.equal(context.model.status.value, 'The experiment stopped early: stopped.');

    await startRun(context, 'slow-3');
    context.sources
      .at(-1)!
      .emit(PRODUCTION_EVENTS.slowDone, JSON.stringify({ run: 'slow-3', t: 1, cut: false, maxServerBufferedBytes: 0 }));
    context.model.leave();
    assert.deepEqual(context.stopped, ['slow-2'], 'an ended run is not stopped again');
    assert.equal(source.closed, true, 'the first run’s stream closed when it ended');
  });

  it('says when the server may take a run, when every slot is taken', async () => {
    const context = setUp();
    const { model, sources, starts } = context;
    const starting = model.start();
    sources[0]!.open();
    await settle();
    starts[0]!.reject(new ApiError('The server is running 3 experiments already.', { status: 503, retryAfterMs: 12_000 }));
    await starting;
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.error.value, null, 'the controls note says why, with its countdown');
    assert.equal(model.status.value, 'The experiment did not start.');
    assert.equal(model.retryAt.value, 1_000_000 + 12_000);
    assert.equal(sources[0]!.closed, true, 'no stream is left open');
    model.leave();
    assert.deepEqual(context.stopped, [], 'nothing was started, so nothing to stop');
  });

  it('starts nothing without a channel, or while a run is going', async () => {
    const context = setUp();
    context.model.channel.value = '';
    await context.model.start();
    assert.equal(context.sources.length, 0);
    context.model.channel.value = 'prod-slow';
    await startRun(context, 'slow-4');
    await context.model.start();
    assert.equal(context.starts.length, 1, 'one run at a time');
  });
});
