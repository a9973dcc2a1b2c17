import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishResponse } from '../../../src/protocol/events.ts';
import {
  REDIS_INSTALL_COMMANDS,
  type InstanceAction,
  type InstanceName,
  type PresenceKey,
  type ScalingAvailability,
  type ScalingDemoState,
} from '../../../src/protocol/scaling.ts';
import type { StartScalingDemoRequest } from '../../../src/protocol/request-bodies.ts';
import { ApiError } from '../../../src/widgets/shared/http.ts';
import type { ScalingClient } from '../../../src/widgets/scaling/client.ts';
import { POLL_MS, createScalingModel, type ScalingModel } from '../../../src/widgets/scaling/model.ts';
import { departedKeys, remainingMs } from '../../../src/widgets/scaling/presence-keys.ts';
import { DEMO_HEARTBEAT_MS, REOPEN_MS } from '../../../src/widgets/scaling/reader-stream.ts';
import type { EventSourceLike } from '../../../src/widgets/sse/client.ts';
import { FakeEventSource } from './helpers/fake-event-source.ts';
import { settle } from '../support/fake-time.ts';

function demoState(overrides: Partial<ScalingDemoState> = {}): ScalingDemoState {
  const instance = (name: InstanceName) => ({
    name,
    status: 'running' as const,
    pid: 10,
    port: 4000,
    startedAt: 0,
    resumesAt: null,
    openStreams: 0,
  });
  return {
    channel: 'scale-test',
    backplane: true,
    redis: { source: 'redis-server', prefix: 'demo-1:' },
    startedAt: 0,
    stopsAt: 120_000,
    instances: { a: instance('a'), b: instance('b') },
    streams: [],
    publishes: [],
    presence: {
      room: 'lobby',
      ttlMs: 9_000,
      heartbeatMs: 3_000,
      keys: [],
      indexKey: 'demo-1:chat:{lobby}:members',
      lists: { a: null, b: null },
      members: [],
    },
    exercise: { backplane: true, crossDelivery: null, killUnderStream: null, resumed: null, passed: false, passedAt: null },
    now: 0,
    ...overrides,
  };
}

const notFound = () => new ApiError('No two-instance demo runs for channel scale-test.', { status: 404 });

/** The server, as the model sees it: answers set by the test, calls recorded. */
class FakeClient implements ScalingClient {
  available = true;
  /** What `state()` answers; an error is thrown. */
  current: ScalingDemoState | Error = notFound();
  readonly starts: StartScalingDemoRequest[] = [];
  readonly actions: string[] = [];
  readonly sources: FakeEventSource[] = [];
  stateCalls = 0;

  async availability(): Promise<ScalingAvailability> {
    return {
      backplane: this.available
        ? { available: true, source: 'redis-server', detail: 'a private redis-server' }
        : { available: false, detail: 'There is no Redis.', install: REDIS_INSTALL_COMMANDS },
      demos: { running: 0, max: 3 },
    };
  }
  async start(_channel: string, request: StartScalingDemoRequest): Promise<ScalingDemoState> {
    this.starts.push(request);
    this.current = demoState({ backplane: request.backplane });
    return this.current;
  }
  async state(): Promise<ScalingDemoState> {
    this.stateCalls += 1;
    if (this.current instanceof Error) throw this.current;
    return this.current;
  }
  async stop(): Promise<void> {
    this.current = notFound();
  }
  async act(_channel: string, instance: InstanceName, action: InstanceAction): Promise<ScalingDemoState> {
    this.actions.push(`${action} ${instance}`);
    if (this.current instanceof Error) throw this.current;
    return this.current;
  }
  async publish(_channel: string, on: InstanceName): Promise<PublishResponse> {
    this.actions.push(`publish ${on}`);
    return { id: 1, ts: 0 };
  }
  streamUrl(channel: string, pinned: InstanceName, options: { heartbeatMs?: number; lastEventId?: string } = {}): string {
    const query = new URLSearchParams();
    if (options.heartbeatMs) query.set('heartbeat', String(options.heartbeatMs));
    if (options.lastEventId) query.set('lastEventId', options.lastEventId);
    return `/api/scaling/${channel}/sticky/${pinned}/api/sse/feed?${query}`;
  }
  openEventSource(url: string): EventSourceLike {
    const source = new FakeEventSource(url);
    this.sources.push(source);
    return source;
  }
  get source(): FakeEventSource {
    return this.sources.at(-1)!;
  }
}

describe('the scaling demo model', () => {
  let client: FakeClient;
  let model: ScalingModel;
  let completed: number;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    client = new FakeClient();
    completed = 0;
    model = createScalingModel(client, undefined, { onExerciseComplete: () => (completed += 1) });
    model.channel.value = 'scale-test';
  });
  afterEach(() => {
    model.dispose();
    mock.timers.reset();
  });

  it('offers only the half without a backplane when there is no Redis', async () => {
    client.available = false;
    await model.load();
    assert.equal(model.availability.value?.backplane.available, false);
    assert.equal(model.backplane.value, false);
    assert.equal(model.phase.value, 'idle', 'no demo ran before: nothing to pick up');
    assert.equal(model.error.value, null, 'a 404 on load is no error');
  });

  it('picks up the demo this tab already runs after a reload, and follows it', async () => {
    client.current = demoState({ backplane: false });
    await model.load();
    assert.equal(model.phase.value, 'running');
    assert.equal(model.backplane.value, false);
    assert.equal(client.sources.length, 1);
    assert.equal(client.source.url, `/api/scaling/scale-test/sticky/b/api/sse/feed?heartbeat=${DEMO_HEARTBEAT_MS}`);
    const before = client.stateCalls;
    mock.timers.tick(POLL_MS);
    await settle();
    assert.equal(client.stateCalls, before + 1, 'polled once a second');
  });

  it('starts the pair with the chosen backplane, streams the notes, and flags a skipped id', async () => {
    await model.load();
    await model.start();
    assert.deepEqual(client.starts, [{ backplane: true }]);
    assert.equal(model.phase.value, 'running');
    client.source.open();
    assert.equal(model.connection.value, 'open');
    client.source.emit('note', JSON.stringify({ text: 'one', on: 'a' }), 1);
    client.source.emit('note', JSON.stringify({ text: 'three', on: 'a' }), 3);
    const notes = model.feed.value.filter((entry) => entry.kind === 'note');
    assert.deepEqual(
      notes.map((note) => [note.id, note.on, note.gap]),
      [
        [1, 'a', false],
        [3, 'a', true],
      ],
    );
  });

  it('shows the browser’s own reconnect, and reopens a stream the browser gave up on, with the last id in the URL', async () => {
    await model.start();
    client.source.open();
    client.source.emit('note', JSON.stringify({ text: 'four', on: 'b' }), 4);
    client.source.drop();
    assert.equal(model.connection.value, 'reconnecting');
    mock.timers.tick(2_100);
    client.source.open();
    const marker = model.feed.value.at(-1)!;
    assert.equal(marker.kind, 'reconnect');
    assert.equal(marker.kind === 'reconnect' && marker.afterMs, 2_100);

    // Both instances down: the balancer answers 502 and the EventSource closes for good.
    client.source.fail();
    assert.equal(model.connection.value, 'closed');
    assert.equal(client.sources.length, 1);
    mock.timers.tick(REOPEN_MS);
    assert.equal(client.sources.length, 2, 'a new EventSource');
    assert.match(client.source.url, /lastEventId=4/);
    assert.equal(client.sources[0]!.closed, true);
  });

  it('pins the stream to the other instance with a new EventSource that resumes from the last id', async () => {
    await model.start();
    client.source.open();
    client.source.emit('note', JSON.stringify({ text: 'seven', on: 'a' }), 7);
    model.pin('a');
    assert.equal(model.pinned.value, 'a');
    assert.match(client.source.url, /\/sticky\/a\/.*lastEventId=7/);
    assert.equal(client.sources[0]!.closed, true);
  });

  it('marks the lesson complete once, when the server reports the exercise passed', async () => {
    await model.start();
    client.current = demoState({ exercise: { ...demoState().exercise, passed: true, passedAt: 1 } });
    mock.timers.tick(POLL_MS);
    await settle();
    mock.timers.tick(POLL_MS);
    await settle();
    assert.equal(model.exerciseDone.value, true);
    assert.equal(completed, 1);
  });

  it('stops polling while the page is hidden, and polls at once when it shows again', async () => {
    await model.start();
    model.setVisible(false);
    const before = client.stateCalls;
    mock.timers.tick(POLL_MS * 5);
    await settle();
    assert.equal(client.stateCalls, before);
    model.setVisible(true);
    mock.timers.tick(0);
    await settle();
    assert.equal(client.stateCalls, before + 1);
  });

  it('notices that the server stopped the demo (idle), and closes the stream', async () => {
    await model.start();
    const source = client.source;
    client.current = notFound();
    mock.timers.tick(POLL_MS);
    await settle();
    assert.equal(model.phase.value, 'stopped');
    assert.match(model.status.value, /stopped/);
    assert.equal(source.closed, true);
  });

  it('keeps the name of a member whose key expired, and lists it as gone once it left the index', async () => {
    const withKeys = (keys: PresenceKey[]) => demoState({ presence: { ...demoState().presence, keys } });
    await model.start();
    client.current = withKeys([{ memberId: 'm1', name: 'Ada', key: 'k:m1', pttlMs: 500, indexMs: 500 }]);
    mock.timers.tick(POLL_MS);
    await settle();
    client.current = withKeys([{ memberId: 'm1', name: null, key: 'k:m1', pttlMs: -2, indexMs: -300 }]);
    mock.timers.tick(POLL_MS);
    await settle();
    assert.equal(model.demo.value?.presence.keys?.[0]?.name, 'Ada');
    client.current = withKeys([]);
    mock.timers.tick(POLL_MS);
    await settle();
    assert.deepEqual(
      model.gone.value.map((key) => [key.name, key.pttlMs]),
      [['Ada', -2]],
    );
  });

  it('says why an action failed, and does one action at a time', async () => {
    await model.start();
    client.current = new ApiError('Cannot publish on instance B: it is killed. Restart it first.', { status: 502 });
    await model.act('b', 'pause');
    assert.equal(model.error.value, 'Cannot publish on instance B: it is killed. Restart it first.');
    const first = model.publish('a');
    const second = model.publish('b');
    await Promise.all([first, second]);
    assert.deepEqual(client.actions, ['pause b', 'publish a'], 'the second click while busy did nothing');
  });
});

describe('the presence countdown', () => {
  const key = (memberId: string, pttlMs: number): PresenceKey => ({
    memberId,
    name: memberId,
    key: `k:${memberId}`,
    pttlMs,
    indexMs: pttlMs,
  });

  it('counts a key down from the PTTL read, to zero, and leaves an expired key at -2', () => {
    assert.equal(remainingMs(6_000, 10_000, 10_000), 6_000);
    assert.equal(remainingMs(6_000, 10_000, 12_500), 3_500);
    assert.equal(remainingMs(6_000, 10_000, 20_000), 0);
    assert.equal(remainingMs(-2, 10_000, 12_000), -2);
  });

  it('finds the keys that left the index between two reads', () => {
    const gone = departedKeys([key('ada', 100), key('grace', 5_000)], [key('grace', 4_000)], 42);
    assert.deepEqual(
      gone.map((entry) => [entry.memberId, entry.pttlMs, entry.goneAt]),
      [['ada', -2, 42]],
    );
    assert.deepEqual(departedKeys(null, [key('grace', 1)], 1), []);
    assert.equal(departedKeys([key('ada', 1)], null, 1).length, 1, 'no keys at all: every one left');
  });
});
