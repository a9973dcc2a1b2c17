import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { EventSource } from 'eventsource';
import type { PublishResponse } from '../../src/protocol/events.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import {
  SCALING_FEED,
  SCALING_NOTE_TYPE,
  type InstanceAction,
  type InstanceName,
  type ScalingAvailability,
  type ScalingDemoState,
} from '../../src/protocol/scaling.ts';
import { startTestRedis, type TestRedis } from '../harness/redis-server.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { LEARNER_COOKIE, type ProgressResponse } from '../../src/protocol/progress.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';

/**
 * Lesson 8's two-instance demo, driven as the widget drives it: real child
 * instances, real EventSources through the server's proxy, a real Redis
 * (Debian's redis-server, started privately by the server) — and without
 * one, the message that says how to get it.
 */
const hasRedisServer = !spawnSync('redis-server', ['--version']).error;
const noRedis = hasRedisServer ? undefined : 'no redis-server on PATH: install the redis-server package';
if (noRedis && process.env.CI) throw new Error(`CI must run the scaling demo with a backplane, but there is ${noRedis}.`);

/** Short presence timings, so keys expire within the test's patience: TTL 3 s, renewed every second. */
const limits = { presenceTtlMs: 3_000, idleMs: 60_000 };

/** A process is alive (signal 0 only checks it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

class DemoClient {
  readonly server: RunningServer | { baseUrl: string };
  readonly channel: string;
  /** The learner's cookie every request carries, if any: the demo is then theirs. */
  readonly headers: Record<string, string>;

  constructor(server: RunningServer | { baseUrl: string }, channel: string, learnerId?: string) {
    this.server = server;
    this.channel = channel;
    this.headers = learnerId ? { Cookie: `${LEARNER_COOKIE}=${learnerId}` } : {};
  }

  url(path: string): string {
    return `${this.server.baseUrl}${path}`;
  }

  async start(backplane: boolean): Promise<ScalingDemoState> {
    const request = postJson({ backplane });
    const response = await fetch(this.url(apiRoutes.scalingDemo.path({ channel: this.channel })), {
      ...request,
      headers: { ...request.headers, ...this.headers },
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as ScalingDemoState;
  }

  /** Stops the demo (its slot is free for the next test). */
  async stop(): Promise<void> {
    const response = await fetch(this.url(apiRoutes.scalingDemo.path({ channel: this.channel })), {
      method: 'DELETE',
      headers: this.headers,
    });
    assert.equal(response.status, 204);
  }

  async state(): Promise<ScalingDemoState> {
    const response = await fetch(this.url(apiRoutes.scalingDemo.path({ channel: this.channel })));
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as ScalingDemoState;
  }

  async act(instance: InstanceName, action: InstanceAction): Promise<ScalingDemoState> {
    const response = await fetch(this.url(apiRoutes.scalingAction.path({ channel: this.channel, instance, action })), {
      method: 'POST',
      headers: this.headers,
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as ScalingDemoState;
  }

  async publish(on: InstanceName, text: string): Promise<number> {
    const response = await fetch(
      this.url(apiRoutes.scalingPublish.path({ channel: this.channel, instance: on, feed: SCALING_FEED })),
      postJson({ type: SCALING_NOTE_TYPE, data: { text, on } }),
    );
    assert.equal(response.status, 201, await response.clone().text());
    return ((await response.json()) as PublishResponse).id;
  }

  /** An EventSource through the demo's sticky balancer, recording ids, notes and resets. */
  follow(pinned: InstanceName): { ids: number[]; texts: string[]; resets: string[]; opens: number; source: EventSource } {
    const source = new EventSource(
      this.url(apiRoutes.scalingStickyStream.path({ channel: this.channel, instance: pinned, feed: SCALING_FEED })),
    );
    const record = { ids: [] as number[], texts: [] as string[], resets: [] as string[], opens: 0, source };
    source.addEventListener('open', () => (record.opens += 1));
    source.addEventListener(SCALING_NOTE_TYPE, (event) => {
      record.ids.push(Number(event.lastEventId));
      record.texts.push((JSON.parse(event.data) as { text: string }).text);
    });
    source.addEventListener('reset', (event) => record.resets.push((JSON.parse(event.data) as { reason: string }).reason));
    return record;
  }
}

async function problemOf(response: Response, status: number): Promise<ProblemDetails> {
  assert.equal(response.status, status, await response.clone().text());
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  return (await response.json()) as ProblemDetails;
}

describe('the scaling demo without a backplane', () => {
  let server: RunningServer;
  before(async () => {
    // As on a machine without Redis: no REDIS_URL, and redis-server "not installed".
    server = await startServer({ scaling: { redisServer: null, limits } });
  });
  after(() => server.stop());

  it('says plainly that the backplane needs Redis, and how to get it', async () => {
    const availability = (await (await fetch(`${server.baseUrl}${apiRoutes.scaling.path()}`)).json()) as ScalingAvailability;
    assert.equal(availability.backplane.available, false);
    assert.ok(!availability.backplane.available);
    assert.match(availability.backplane.detail, /redis-server is not on PATH/);
    assert.deepEqual(
      availability.backplane.install.map((way) => way.command),
      ['sudo apt install redis-server', 'brew install redis', 'docker run -p 6379:6379 redis:7'],
    );
    const refused = await problemOf(
      await fetch(`${server.baseUrl}${apiRoutes.scalingDemo.path({ channel: 'no-redis' })}`, postJson({ backplane: true })),
      503,
    );
    assert.equal(refused.type, PROBLEM_TYPES.backplaneMissing);
    assert.match(refused.detail, /apt install redis-server/);
    assert.equal(server.app.scaling.running(), 0, 'no half-started demo is left behind');
  });

  it('runs two instances that never hear each other: B misses A’s note, and a resume on A resets', async () => {
    const demo = new DemoClient(server, 'scale-memory');
    const started = await demo.start(false);
    assert.equal(started.backplane, false);
    assert.equal(started.instances.a.status, 'running');
    assert.equal(started.instances.b.status, 'running');
    assert.notEqual(started.instances.a.port, started.instances.b.port);
    const stream = demo.follow('b');
    await waitUntil(() => stream.opens === 1, 'the stream opened on B');

    assert.equal(await demo.publish('a', 'from A'), 1);
    assert.equal(await demo.publish('b', 'from B'), 1, 'each instance numbers its own events');
    assert.equal(await demo.publish('b', 'again from B'), 2);
    await waitUntil(() => stream.texts.length === 2, 'B delivered its own two notes');
    await delay(300);
    assert.deepEqual(stream.texts, ['from B', 'again from B'], 'the note published on A never reached B');

    // Kill B: the balancer sends the reconnect to A, whose log knows nothing of B's ids.
    await demo.act('b', 'kill');
    await waitUntil(() => stream.resets.length === 1, 'the resumed stream got a reset', 8_000);
    assert.deepEqual(stream.resets, ['cursor-ahead']);
    const state = await demo.state();
    const resumed = state.streams.at(-1)!;
    assert.equal(resumed.instance, 'a');
    assert.equal(resumed.pinned, 'b');
    assert.equal(resumed.lastEventId, '2');
    assert.deepEqual(resumed.reset, { reason: 'cursor-ahead', latestId: 1 });
    assert.equal(state.streams[0]!.end, 'instance-died');
    assert.equal(state.exercise.passed, false);
    assert.equal(state.presence.keys, null, 'no Redis, no keys');
    stream.source.close();
    await demo.stop();
  });

  it('keeps one member list per instance: each member sees only itself', async () => {
    const demo = new DemoClient(server, 'scale-rooms');
    await demo.start(false);
    await waitUntil(async () => {
      const { presence } = await demo.state();
      return presence.lists.a?.join() === 'Ada' && presence.lists.b?.join() === 'Grace';
    }, 'each instance lists its own member only');
    await demo.stop();
  });
});

describe('the scaling demo with a Redis backplane', { skip: noRedis }, () => {
  let server: RunningServer;
  before(async () => {
    // No REDIS_URL: the server starts a private redis-server on a Unix socket.
    server = await startServer({ scaling: { limits } });
  });
  after(() => server.stop());

  it('finds redis-server and offers the backplane', async () => {
    const availability = (await (await fetch(`${server.baseUrl}${apiRoutes.scaling.path()}`)).json()) as ScalingAvailability;
    assert.ok(availability.backplane.available);
    assert.equal(availability.backplane.source, 'redis-server');
  });

  it('passes the exercise: A’s note reaches B, B is killed, the stream resumes on A with no gap', async () => {
    // What a workbook killed with SIGKILL leaves behind: the directory of its private Redis, long dead.
    const stale = mkdtempSync(path.join(tmpdir(), 'rtw-demo-redis-'));
    const longAgo = new Date(Date.now() - 120_000);
    utimesSync(stale, longAgo, longAgo);
    const learner = 'scaleLearner0123456789';
    const demo = new DemoClient(server, 'scale-redis', learner);
    const started = await demo.start(true);
    assert.equal(started.redis?.source, 'redis-server');
    assert.ok(!existsSync(stale), 'the private Redis started after removing a dead one’s directory');
    const stream = demo.follow('b');
    await waitUntil(() => stream.opens === 1, 'the stream opened on B');

    const first = await demo.publish('a', 'one, from A');
    await waitUntil(() => stream.ids.includes(first), 'B delivered the note published on A');
    let state = await demo.state();
    assert.deepEqual(state.exercise.crossDelivery, { id: first, publishedOn: 'a', deliveredOn: 'b' });
    assert.equal(state.instances.b.openStreams, 1);

    await demo.act('b', 'kill');
    // While the EventSource waits its retry (2 s), two more notes go out on A.
    const second = await demo.publish('a', 'two, while B is down');
    const third = await demo.publish('a', 'three, while B is down');
    await waitUntil(() => stream.ids.includes(third), 'the stream came back and caught up', 8_000);
    assert.deepEqual(stream.ids, [first, second, third], 'every note once, in order');
    assert.equal(stream.resets.length, 0);

    state = await demo.state();
    const resumed = state.streams.at(-1)!;
    assert.equal(resumed.instance, 'a', 'the balancer moved the stream to A');
    assert.equal(resumed.lastEventId, String(first), 'with the Last-Event-ID the browser kept');
    assert.deepEqual(state.exercise.killUnderStream && { instance: state.exercise.killUnderStream.instance }, { instance: 'b' });
    assert.equal(state.exercise.resumed?.gapless, true);
    assert.equal(state.exercise.resumed?.replayed, 2, 'the two notes published during the gap came from the shared log');
    assert.equal(state.exercise.passed, true);
    stream.source.close();
    // The server judged it: the pass is the learner's verified completion.
    const verified = async () =>
      ((await (await fetch(demo.url(apiRoutes.progress.path()), { headers: demo.headers })).json()) as ProgressResponse).verified;
    await waitUntil(async () => (await verified())['scaling-out'] !== undefined, 'the verified completion');
    assert.deepEqual(Object.keys((await verified())['scaling-out']!), ['resume-across-instances']);

    // Restarted, B is a new process on a new port, and gets the feed again.
    const restarted = await demo.act('b', 'restart');
    assert.equal(restarted.instances.b.status, 'running');
    assert.notEqual(restarted.instances.b.pid, started.instances.b.pid);
    await demo.stop();
  });

  it('shows presence keys counting down; a killed instance’s member expires and leaves both lists', async () => {
    const demo = new DemoClient(server, 'scale-presence');
    await demo.start(true);
    let state = await demo.state();
    await waitUntil(async () => {
      state = await demo.state();
      return state.presence.lists.a?.length === 2 && state.presence.lists.b?.length === 2;
    }, 'both instances list Ada and Grace');
    assert.equal(state.presence.keys?.length, 2);
    assert.match(state.presence.indexKey ?? '', /chat:\{lobby\}:members$/);
    for (const key of state.presence.keys!) {
      assert.ok(key.pttlMs > 0 && key.pttlMs <= 3_000, `a live key has at most the TTL left: ${key.pttlMs}`);
      assert.match(key.key, /chat:\{lobby\}:member:/);
    }
    assert.deepEqual(state.presence.keys!.map((key) => key.name).sort(), ['Ada', 'Grace']);

    // Kill A: nobody renews Ada's key any more; it runs out, and B drops her.
    await demo.act('a', 'kill');
    const ada = state.presence.keys!.find((key) => key.name === 'Ada')!;
    const seen: number[] = [];
    await waitUntil(
      async () => {
        state = await demo.state();
        const key = state.presence.keys?.find((candidate) => candidate.memberId === ada.memberId);
        if (key) seen.push(key.pttlMs);
        return state.presence.lists.b?.join() === 'Grace';
      },
      'B’s list lost Ada',
      8_000,
    );
    assert.ok(
      seen.some((ms) => ms > 0),
      `the key counted down: ${seen.join(', ')}`,
    );
    assert.equal(state.presence.lists.a, null, 'A is gone, and its member with it');
    assert.ok(!state.presence.keys?.some((key) => key.memberId === ada.memberId && key.pttlMs > 0));

    // Restart A: Ada joins again.
    await demo.act('a', 'restart');
    await waitUntil(async () => (await demo.state()).presence.lists.b?.length === 2, 'Ada is back in B’s list', 8_000);
    await demo.stop();
  });

  it('a paused instance stops renewing: its member expires, and comes back when it resumes', async () => {
    const demo = new DemoClient(server, 'scale-pause');
    await demo.start(true);
    await waitUntil(async () => (await demo.state()).presence.lists.a?.length === 2, 'A lists both members');
    const paused = await demo.act('b', 'pause');
    assert.equal(paused.instances.b.status, 'paused');
    assert.ok(paused.instances.b.resumesAt! > Date.now());
    await waitUntil(async () => (await demo.state()).presence.lists.a?.join() === 'Ada', 'A dropped Grace while B sleeps', 8_000);
    // A publish on a paused instance is refused at once.
    const refused = await problemOf(
      await fetch(
        demo.url(apiRoutes.scalingPublish.path({ channel: demo.channel, instance: 'b', feed: SCALING_FEED })),
        postJson({ type: SCALING_NOTE_TYPE, data: { text: 'x', on: 'b' } }),
      ),
      502,
    );
    assert.equal(refused.type, PROBLEM_TYPES.instanceDown);
    await demo.act('b', 'resume');
    await waitUntil(async () => (await demo.state()).presence.lists.a?.length === 2, 'B renewed Grace when it woke up', 8_000);
    await demo.stop();
  });

  it('stops a demo: both processes go, and its state is gone', async () => {
    const demo = new DemoClient(server, 'scale-stop');
    const started = await demo.start(true);
    const pids = [started.instances.a.pid!, started.instances.b.pid!];
    assert.ok(pids.every(alive));
    const response = await fetch(demo.url(apiRoutes.scalingDemo.path({ channel: demo.channel })), { method: 'DELETE' });
    assert.equal(response.status, 204);
    assert.ok(!pids.some(alive), 'both instances are gone');
    assert.equal(
      (await problemOf(await fetch(demo.url(apiRoutes.scalingDemo.path({ channel: demo.channel }))), 404)).type,
      PROBLEM_TYPES.unknownScalingDemo,
    );
  });
});

describe('the scaling demo on the workbook’s own Redis (REDIS_URL)', { skip: noRedis }, () => {
  let redis: TestRedis;
  let server: RunningServer;
  let workbookPrefix: string;
  before(async () => {
    redis = await startTestRedis();
    workbookPrefix = redis.prefix();
    server = await startServer({ config: { redisUrl: redis.url, redisPrefix: workbookPrefix }, scaling: { limits } });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('gives each demo a prefix of its own on it, and removes the demo’s keys when it stops', async () => {
    const availability = (await (await fetch(`${server.baseUrl}${apiRoutes.scaling.path()}`)).json()) as ScalingAvailability;
    assert.ok(availability.backplane.available && availability.backplane.source === 'REDIS_URL');
    const demo = new DemoClient(server, 'scale-shared');
    const started = await demo.start(true);
    const prefix = started.redis!.prefix;
    assert.equal(started.redis!.source, 'REDIS_URL');
    assert.ok(prefix.startsWith(workbookPrefix) && prefix.length > workbookPrefix.length, `under the workbook's prefix: ${prefix}`);
    await demo.publish('a', 'kept in the shared log');
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const count = async () =>
        ((await client.sendCommand(['SCAN', '0', 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]])[1].length;
      await waitUntil(async () => (await count()) > 0, 'the demo wrote keys under its prefix');
      await demo.stop();
      assert.equal(await count(), 0, 'every key under the prefix is gone');
    } finally {
      await client.close();
    }
  });
});

describe('the scaling demo’s bounds', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      scaling: { redisServer: null, limits: { ...limits, maxDemos: 1, startsPerMinute: 2, idleMs: 1_500 }, sweepMs: 100 },
    });
  });
  after(() => server.stop());

  it('refuses bad requests with problem details', async () => {
    const base = server.baseUrl;
    assert.equal(
      (
        await problemOf(
          await fetch(`${base}${apiRoutes.scalingDemo.path({ channel: 'bad channel!' })}`, postJson({ backplane: false })),
          400,
        )
      ).type,
      PROBLEM_TYPES.invalidChannel,
    );
    assert.equal(
      (await problemOf(await fetch(`${base}${apiRoutes.scalingDemo.path({ channel: 'x' })}`, postJson({ backplane: 'yes' })), 400)).field,
      'backplane',
    );
    assert.equal(
      (
        await problemOf(
          await fetch(`${base}${apiRoutes.scalingAction.path({ channel: 'nobody', instance: 'a', action: 'kill' })}`, { method: 'POST' }),
          404,
        )
      ).type,
      PROBLEM_TYPES.unknownScalingDemo,
    );
  });

  it('runs one demo at a time here, and limits how often a channel starts one', async () => {
    const first = new DemoClient(server, 'scale-one');
    await first.start(false);
    const full = await problemOf(
      await fetch(`${server.baseUrl}${apiRoutes.scalingDemo.path({ channel: 'scale-two' })}`, postJson({ backplane: false })),
      503,
    );
    assert.equal(full.type, PROBLEM_TYPES.tooManyScalingDemos);
    // The same channel may restart its own demo (it replaces it)…
    await first.start(false);
    // …but not a third time within the minute.
    const often = await fetch(`${server.baseUrl}${apiRoutes.scalingDemo.path({ channel: 'scale-one' })}`, postJson({ backplane: false }));
    assert.equal((await problemOf(often, 429)).type, PROBLEM_TYPES.scalingStartsTooOften);
    assert.ok(Number(often.headers.get('retry-after')) >= 1);
    assert.equal(
      (
        await problemOf(
          await fetch(first.url(apiRoutes.scalingAction.path({ channel: 'scale-one', instance: 'c', action: 'kill' })), { method: 'POST' }),
          404,
        )
      ).status,
      404,
    );
  });

  it('stops a demo nobody polls any more, with its processes', async () => {
    const state = await new DemoClient(server, 'scale-one').state().catch(() => undefined);
    const pids = state ? [state.instances.a.pid!, state.instances.b.pid!] : [];
    await waitUntil(() => server.app.scaling.running() === 0, 'the idle demo stopped', 5_000);
    await waitUntil(() => !pids.some(alive), 'its instances exited');
  });
});

describe('no demo process outlives the server', () => {
  it('close() kills every instance and the private Redis', { skip: noRedis }, async () => {
    const server = await startServer({ scaling: { limits } });
    const demo = new DemoClient(server, 'scale-close');
    await demo.start(true);
    const pids = server.app.scaling.pids();
    assert.equal(pids.length, 3, 'two instances and a redis-server');
    assert.ok(pids.every(alive));
    await server.stop();
    assert.ok(!pids.some(alive), `still running: ${pids.filter(alive).join(', ')}`);
    assert.equal(server.app.scaling.pids().length, 0);
  });

  it('a server killed with SIGKILL takes its instances and its Redis with it', {
    skip: noRedis ?? (existsSync('/proc') ? undefined : 'needs /proc'),
  }, async () => {
    const server = await spawnServer({ REDIS_URL: '' });
    const demo = new DemoClient(server, 'scale-orphans');
    await demo.start(true);
    const children = descendants(server.child.pid!);
    assert.ok(children.length >= 3, `the instances and redis-server are the server's children: ${children.join(', ')}`);
    server.child.kill('SIGKILL');
    await server.exited;
    await waitUntil(
      () => !children.some(alive),
      () => `orphans left: ${children.filter(alive).join(', ')}`,
      5_000,
    );
  });
});

/** Every process whose parent chain leads to `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // It exited meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, of] of parents) {
      if (of === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}
