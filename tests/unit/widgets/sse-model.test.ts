import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultRequest } from '../../../src/protocol/faults.ts';
import { createSseClient } from '../../../src/widgets/sse/client.ts';
import { countResponseBytes } from '../../../src/widgets/shared/http.ts';
import { FakeEventSource } from './helpers/fake-event-source.ts';
import { LOST_GRACE_MS } from '../../../src/widgets/sse/build-run.ts';
import { createSseModel, type SseModel } from '../../../src/widgets/sse/model.ts';
import { EXERCISE } from '../../../src/widgets/sse/sse-exercise.ts';
import { OPEN_TIMEOUT_MS } from '../../../src/widgets/sse/sse-state.ts';
import { WIRE_MAX_LINES } from '../../../src/widgets/sse/wire-log.ts';
import { settle } from '../support/fake-time.ts';

/**
 * The SSE model against a fake companion server: a fake EventSource class the
 * test opens, feeds and breaks, and a fake fetch for the wire view's streams,
 * the builds and the faults. Everything runs on node:test's mocked timers.
 */

class FakeServer {
  readonly sources: FakeEventSource[] = [];
  readonly wireRequests: string[] = [];
  readonly wireBodies: { controller: ReadableStreamDefaultController<Uint8Array>; open: boolean }[] = [];
  readonly builds: { channel: string; durationMs?: number }[] = [];
  readonly faults: FaultRequest[] = [];
  failFaults = false;
  totalLines = 4;
  #nextId = 1;

  readonly EventSource = ((server: FakeServer) =>
    class extends FakeEventSource {
      constructor(url: string) {
        super(url);
        server.sources.push(this);
      }
    })(this);

  readonly fetch = (async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    if (init.method === 'POST' && path === '/api/builds') {
      const body = JSON.parse(String(init.body));
      this.builds.push(body);
      return Response.json({ id: 'b1', channel: body.channel, totalLines: this.totalLines }, { status: 201 });
    }
    if (init.method === 'POST' && path.endsWith('/faults')) {
      if (this.failFaults) return new Response('nope', { status: 500 });
      const fault = JSON.parse(String(init.body)) as FaultRequest;
      this.faults.push(fault);
      const affected = fault.type === 'kill-streams' || fault.type === 'restart-streams' ? this.openWire().length + 1 : 0;
      return Response.json({ type: fault.type, affected }, { status: 202 });
    }
    this.wireRequests.push(url);
    const entry = { controller: null as unknown as ReadableStreamDefaultController<Uint8Array>, open: true };
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (entry.controller = controller) });
    this.wireBodies.push(entry);
    init.signal?.addEventListener('abort', () => this.#close(entry, new DOMException('aborted', 'AbortError')));
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
  }) as unknown as typeof fetch;

  get source(): FakeEventSource {
    return this.sources.at(-1)!;
  }

  openWire() {
    return this.wireBodies.filter((entry) => entry.open);
  }

  /** Writes raw text to every open wire stream. */
  wire(text: string): void {
    for (const entry of this.openWire()) entry.controller.enqueue(new TextEncoder().encode(text));
  }

  /** Publishes one event to both readers, numbered like the channel log. */
  publish(type: string, data: string): number {
    const id = this.#nextId++;
    this.source.emit(type, data, id);
    this.wire(
      `id: ${id}\nevent: ${type}\n${data
        .split('\n')
        .map((line) => `data: ${line}\n`)
        .join('')}\n`,
    );
    return id;
  }

  /** A script like the real build's: progress, log lines (one multi-line), done. */
  runBuild(lines = ['$ npm test', '  ✔ adds\n  ✔ rounds', 'ok']): void {
    this.publish('progress', JSON.stringify({ build: 'b1', percent: 0, step: 'test' }));
    for (const text of lines) this.publish('log', text);
  }

  finishBuild(lines = 4): void {
    this.publish('done', JSON.stringify({ build: 'b1', status: 'passed', lines }));
  }

  /** Kills every open stream, as the kill-streams fault does. */
  killAll(): void {
    for (const entry of this.openWire()) this.#close(entry, new TypeError('terminated'));
    if (!this.source.closed) this.source.drop();
  }

  #close(entry: (typeof this.wireBodies)[number], error: Error): void {
    if (!entry.open) return;
    entry.open = false;
    try {
      entry.controller.error(error);
    } catch {
      // already closed
    }
  }
}

describe('the SSE model', () => {
  let server: FakeServer;
  let model: SseModel;
  let completions: number;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    server = new FakeServer();
    completions = 0;
    const client = createSseClient({ baseUrl: 'http://server.test', fetch: server.fetch, EventSource: server.EventSource });
    model = createSseModel(client, undefined, { buildDurationMs: 10_000, onExerciseComplete: () => completions++ });
    model.channel.value = 'sse-test0001';
  });

  afterEach(() => {
    model.dispose();
    mock.timers.reset();
  });

  /** Starts a build the way the reader does: the stream opens, then the POST goes. */
  async function startBuild(): Promise<void> {
    const started = model.startBuild();
    await settle();
    server.source.open();
    await started;
    await settle();
  }

  it('opens both streams with a fast heartbeat before it starts the build, so no event is missed', async () => {
    const started = model.startBuild();
    await settle();
    assert.equal(model.connection.value, 'connecting');
    assert.equal(server.source.url, 'http://server.test/api/sse/sse-test0001?heartbeat=5000');
    assert.equal(server.wireRequests[0], 'http://server.test/api/sse/sse-test0001?heartbeat=5000');
    assert.equal(server.builds.length, 0, 'no POST before the stream is open');
    server.source.open();
    await started;
    assert.deepEqual(server.builds, [{ channel: 'sse-test0001', durationMs: 10_000 }]);
    assert.equal(model.phase.value, 'running');
    assert.equal(model.connection.value, 'open');
    assert.deepEqual(server.faults, [{ type: 'heartbeats', enabled: true }], 'the checkbox’s state is synced once');
  });

  it('numbers the lines, fills the progress and ends with the verification line', async () => {
    await startBuild();
    server.runBuild();
    assert.equal(model.build.value?.progress?.step, 'test');
    assert.deepEqual(
      model.build.value?.lines.map((line) => `${line.n} ${line.text}`),
      ['1 $ npm test', '2   ✔ adds', '3   ✔ rounds', '4 ok'],
    );
    server.finishBuild();
    assert.equal(model.phase.value, 'passed');
    assert.equal(model.verification.value, 'Lines received 4 of 4 · missing 0 · repeated 0');
    assert.equal(model.stats.value.events, 5);
    assert.equal(model.exercise.value.passed, false, 'nobody killed the connection');
    assert.equal(completions, 0);
  });

  it('after a kill, shows the reconnect with the Last-Event-ID sent, and passes the exercise when nothing was lost', async () => {
    await startBuild();
    server.wire('retry: 2000\n\n');
    server.publish('progress', JSON.stringify({ build: 'b1', percent: 0, step: 'test' }));
    server.publish('log', '$ npm test');
    await settle();

    const kill = model.kill();
    server.killAll();
    await kill;
    await settle();
    assert.equal(model.connection.value, 'reconnecting');
    assert.deepEqual(server.faults.at(-1), { type: 'kill-streams' });
    assert.equal(model.exercise.value.kills, 1);

    mock.timers.tick(2000); // The browser and the wire view wait `retry`, then reconnect.
    await settle();
    assert.equal(server.wireRequests.at(-1), 'http://server.test/api/sse/sse-test0001?heartbeat=5000&lastEventId=2');
    server.wire(': resuming after Last-Event-ID 2\n\n');
    mock.timers.tick(34);
    server.source.open();
    await settle();

    const record = model.lastReconnect.value!;
    assert.equal(record.cause, 'kill');
    assert.equal(record.sentLastEventId, '2');
    assert.equal(record.afterMs, 2034);
    assert.deepEqual(model.wireResume.value?.id, 2);
    assert.equal(model.stats.value.reconnects, 1);

    server.publish('log', '  ✔ adds\n  ✔ rounds');
    server.publish('log', 'ok');
    assert.equal(model.lastReconnect.value?.nextEventId, 3);
    server.finishBuild();
    assert.equal(model.verification.value, 'Lines received 4 of 4 · missing 0 · repeated 0');
    assert.deepEqual(model.exercise.value, { finished: true, kills: 1, reconnects: 1, exact: true, passed: true });
    assert.equal(model.exerciseDone.value, true);
    assert.equal(completions, 1);
    assert.deepEqual(EXERCISE, { lesson: 'server-sent-events', id: 'resume-without-gaps' });
  });

  it('catches a server that replays too much or skips events', async () => {
    await startBuild();
    server.source.emit('log', 'a', 1);
    server.source.emit('log', 'b', 2);
    server.source.emit('log', 'b', 2);
    server.source.emit('log', 'd', 4);
    server.source.emit('done', JSON.stringify({ build: 'b1', status: 'passed', lines: 4 }), 5);
    assert.equal(model.verification.value, 'Lines received 3 of 4 · missing 1 · repeated 1');
    assert.deepEqual(model.build.value?.gaps, [{ from: 3, to: 3 }]);
    assert.equal(model.exercise.value.exact, false);
  });

  it('counts heartbeats and bytes (headers and stream) from the wire view, and follows the retry the stream announces', async () => {
    await startBuild();
    server.wire('retry: 5000\n\n: heartbeat\n\n');
    await settle();
    server.wire(': heartbeat\n\n');
    await settle();
    assert.equal(model.stats.value.heartbeats, 2);
    // The response's status line and headers, as the fake server sends them, then the three comments' bytes.
    const headers = countResponseBytes(
      new Response(null, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
      0,
    );
    assert.equal(model.stats.value.bytes, headers + 13 + 13 + 13);
    assert.equal(model.retryMs.value, 5000);
    assert.ok(model.wire.value.some((entry) => entry.kind === 'line' && entry.line.raw === 'retry: 5000'));
  });

  it('sends the heartbeats and retry faults, and undoes the control when the server refuses', async () => {
    await startBuild();
    await model.setRetry(10_000);
    assert.deepEqual(server.faults.at(-1), { type: 'retry', retryMs: 10_000 });
    assert.equal(model.retryMs.value, 10_000);
    await model.setHeartbeats(false);
    assert.deepEqual(server.faults.at(-1), { type: 'heartbeats', enabled: false });
    assert.equal(model.heartbeats.value, false);
    server.failFaults = true;
    await model.setHeartbeats(true);
    assert.equal(model.heartbeats.value, false, 'back to what the server has');
    assert.match(model.error.value ?? '', /500/);
  });

  it('pauses its streams for the experiment and resumes after the last event it had', async () => {
    await startBuild();
    server.publish('log', 'a');
    server.publish('log', 'b');
    await settle();
    const first = server.source;
    model.pause();
    assert.equal(model.connection.value, 'paused');
    assert.equal(first.closed, true);
    assert.equal(server.openWire().length, 0);
    model.resume();
    await settle();
    assert.notEqual(server.source, first);
    assert.equal(server.source.url, 'http://server.test/api/sse/sse-test0001?heartbeat=5000&lastEventId=2');
    assert.match(server.wireRequests.at(-1)!, /lastEventId=2$/);
    server.source.open();
    assert.equal(model.connection.value, 'open');
    assert.equal(model.stats.value.reconnects, 0, 'our own reopen is not the browser’s reconnect');
  });

  it('says so when the browser gives up on the stream for good', async () => {
    const started = model.startBuild();
    await settle();
    server.source.fail();
    await started;
    assert.equal(model.connection.value, 'closed');
    assert.equal(model.phase.value, 'idle');
    assert.ok(model.error.value);
  });

  it('gives up starting when the stream does not open in time', async () => {
    const started = model.startBuild();
    await settle();
    mock.timers.tick(OPEN_TIMEOUT_MS);
    await started;
    assert.equal(model.phase.value, 'idle');
    assert.match(model.error.value ?? '', /did not open/);
    assert.equal(server.builds.length, 0);
  });

  it('declares a build lost when its done never comes', async () => {
    await startBuild();
    mock.timers.tick(10_000 + LOST_GRACE_MS);
    assert.equal(model.phase.value, 'lost');
  });

  it('keeps only the last lines of the wire view', async () => {
    await startBuild();
    server.wire(': heartbeat\n\n'.repeat(WIRE_MAX_LINES));
    await settle();
    assert.equal(model.wire.value.length, WIRE_MAX_LINES);
    assert.equal(model.stats.value.heartbeats, WIRE_MAX_LINES, 'counting goes on');
  });

  it('releases the EventSource, the wire reader and every timer on dispose', async () => {
    await startBuild();
    server.killAll();
    await settle();
    model.dispose();
    assert.equal(server.source.closed, true);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(server.wireRequests.length, 1, 'no reconnect after dispose');
    assert.equal(server.sources.length, 1);
  });
});
