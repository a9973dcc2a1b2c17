import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { EventSource } from 'eventsource';
import type { BuildDone, BuildProgress, StartBuildResponse } from '../../src/protocol/builds.ts';
import { isTerminal, type Job, type StartJobResponse } from '../../src/protocol/jobs.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { TAKEOVER_GRACE_MS } from '../../server/jobs/redis-job-store.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { injectFault, publishEvent } from './helpers/channel-api.ts';
import { freePort } from '../harness/ports.ts';
import { openRawStream, type RawStream } from './helpers/raw-stream.ts';
import { startTestRedis } from '../harness/redis-server.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';

/**
 * Lessons 2–4's demos on two instances sharing one Redis, as a round-robin
 * balancer with no sticky sessions would use them: a request may land on
 * either instance, so the test sends each one to the instance that the
 * balancer could have picked worst.
 */
const redis = await startTestRedis();
after(() => redis.stop());

/** Starts a job on `server`; the 201 is asserted. */
async function startJob(server: RunningServer, body: unknown): Promise<StartJobResponse> {
  const response = await fetch(`${server.baseUrl}${apiRoutes.jobs.path()}`, postJson(body));
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as StartJobResponse;
}

/** Polls job `id` on the server at `baseUrl`: the status, the ETag and the job (on a 200). */
async function pollJob(baseUrl: string, id: string, ifNoneMatch?: string) {
  const response = await fetch(`${baseUrl}${apiRoutes.job.path({ id })}`, { headers: ifNoneMatch ? { 'If-None-Match': ifNoneMatch } : {} });
  const text = await response.text();
  const job = response.status === 200 ? (JSON.parse(text) as Job) : undefined;
  return { status: response.status, etag: response.headers.get('etag') ?? '', text, job };
}

/** Polls job `id`, alternating between `baseUrls` as a round-robin balancer would, until it finishes. */
async function pollUntilFinished(
  baseUrls: string[],
  id: string,
  timeoutMs = 20_000,
): Promise<{ job: Job; etags: Map<number, Set<string>> }> {
  const etags = new Map<number, Set<string>>();
  const deadline = Date.now() + timeoutMs;
  for (let turn = 0; Date.now() < deadline; turn += 1) {
    const { job, etag } = await pollJob(baseUrls[turn % baseUrls.length]!, id);
    assert.ok(job, `job ${id} is found on every instance`);
    etags.set(job.version, (etags.get(job.version) ?? new Set()).add(etag));
    if (isTerminal(job.state)) return { job, etags };
    await delay(50);
  }
  throw new Error(`job ${id} did not finish within ${timeoutMs} ms`);
}

describe('lessons 2–4 on two instances sharing Redis, no sticky sessions', { skip: redis.skip }, () => {
  let a: RunningServer;
  let b: RunningServer;
  const config = { redisUrl: redis.url, redisPrefix: redis.prefix() };
  const cleanups: (() => void)[] = [];

  before(async () => {
    // Jobs run 300 ms after they start, then change every durationMs / 10.
    [a, b] = await Promise.all([
      startServer({ config, jobLimits: { queuedMs: 300 } }),
      startServer({ config, jobLimits: { queuedMs: 300 } }),
    ]);
    await waitUntil(() => a.app.isReady() && b.app.isReady(), 'both instances reach Redis', 10_000);
    // Subscriptions are confirmed asynchronously. Each instance subscribes to events, then to fault
    // orders, on one connection, so once Redis counts both on the orders, both are fully live.
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const orders = `${config.redisPrefix}faults`;
      await waitUntil(async () => {
        const counts = (await admin.sendCommand(['PUBSUB', 'NUMSUB', orders])) as [string, number];
        return Number(counts[1]) === 2;
      }, 'both instances listen for fault orders');
    } finally {
      await admin.close();
    }
  });

  after(async () => {
    cleanups.forEach((cleanup) => cleanup());
    await Promise.all([a?.stop(), b?.stop()]);
  });

  describe('jobs (lesson 2, short polling)', () => {
    it('are readable on the other instance at once, with the same strong ETag and a 304 on either', async () => {
      const { id } = await startJob(a, { durationMs: 120_000 });
      const right = await pollJob(b.baseUrl, id);
      assert.equal(right.status, 200, 'the 201 came once every instance can read the job');
      assert.equal(right.job?.id, id);

      // Running after 300 ms; the next change is 12 s away: time enough to compare both instances.
      await waitUntil(async () => (await pollJob(b.baseUrl, id)).job?.state === 'running', 'the job runs');
      const onB = await pollJob(b.baseUrl, id);
      const onA = await pollJob(a.baseUrl, id);
      assert.equal(onB.etag, `"${id}.2"`);
      assert.equal(onA.etag, onB.etag);
      assert.equal(onA.text, onB.text, 'same tag, same bytes (a strong validator)');
      for (const server of [a, b]) {
        const revalidated = await pollJob(server.baseUrl, id, onB.etag);
        assert.equal(revalidated.status, 304);
        assert.equal(revalidated.etag, onB.etag);
      }
    });

    it('take a note published on the other instance, once', async () => {
      const { id, channel } = await startJob(a, { durationMs: 120_000 });
      await waitUntil(async () => (await pollJob(a.baseUrl, id)).job?.version === 2, 'the job runs');

      await publishEvent(b.baseUrl, channel, 'note', { text: 'published on B' });
      await waitUntil(async () => (await pollJob(b.baseUrl, id)).job?.note === 'published on B', 'the note is applied');
      await delay(200); // room for a second, wrong application

      const job = (await pollJob(a.baseUrl, id)).job;
      assert.equal(job?.version, 3, 'one change for one note, though both instances received it');
      const read = await b.app.bus.since(channel, 0);
      const versions = read.events.filter((event) => event.type === 'job').map((event) => (event.data as Job).version);
      assert.deepEqual(versions, [1, 2, 3]);
    });

    it('run to the end whichever instance is polled, one ETag per version', { timeout: 30_000 }, async () => {
      const { id } = await startJob(a, { durationMs: 1_000 });
      const { job, etags } = await pollUntilFinished([b.baseUrl, a.baseUrl], id);

      assert.equal(job.state, 'succeeded');
      assert.equal(job.progress, 100);
      assert.equal(job.version, 12);
      for (const [version, tags] of etags) assert.deepEqual([...tags], [`"${id}.${version}"`]);
    });

    it('go on elsewhere when their instance shuts down', { timeout: 30_000 }, async () => {
      const c = await startServer({ config, jobLimits: { queuedMs: 300 } });
      let id: string;
      try {
        ({ id } = await startJob(c, { durationMs: 1_000 }));
      } finally {
        await c.stop(); // hands its jobs back
      }

      // At once, not after the grace a killed instance's jobs wait for: the job runs for 1.3 s.
      const { job } = await pollUntilFinished([b.baseUrl], id, TAKEOVER_GRACE_MS);
      assert.equal(job.state, 'succeeded');
      assert.equal(job.version, 12, 'taken over where it stopped: no version lost or repeated');
    });

    it('go on elsewhere when their instance is killed, after the takeover grace', { timeout: 60_000 }, async () => {
      const c = await spawnServer({ REDIS_URL: redis.url, REDIS_PREFIX: config.redisPrefix });
      try {
        await waitUntil(async () => (await fetch(`${c.baseUrl}${apiRoutes.ready.path()}`)).status === 200, 'the instance is ready', 10_000);
        const response = await fetch(`${c.baseUrl}${apiRoutes.jobs.path()}`, postJson({ durationMs: 1_000 }));
        assert.equal(response.status, 201);
        const { id } = (await response.json()) as StartJobResponse;
        c.child.kill('SIGKILL');
        await c.exited;

        const { job } = await pollUntilFinished([a.baseUrl, b.baseUrl], id, 30_000);
        assert.equal(job.state, 'succeeded');
        assert.equal(job.progress, 100);
      } finally {
        if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      }
    });
  });

  describe('builds (lesson 4, SSE)', () => {
    it('stream from the other instance: every line, every step, then done', { timeout: 20_000 }, async () => {
      const channel = 'cluster-build';
      const received: { type: string; id: string; data: string }[] = [];
      const source = new EventSource(`${b.baseUrl}${apiRoutes.sse.path({ channel })}`);
      cleanups.push(() => source.close());
      for (const type of ['log', 'progress', 'done']) {
        source.addEventListener(type, (event) => received.push({ type, id: event.lastEventId, data: event.data }));
      }
      await waitUntil(() => b.app.openStreams(channel) === 1, 'the stream is open on B');

      const response = await fetch(`${a.baseUrl}${apiRoutes.builds.path()}`, postJson({ channel, durationMs: 2_000, outcome: 'passed' }));
      assert.equal(response.status, 201);
      const started = (await response.json()) as StartBuildResponse;
      await waitUntil(() => received.at(-1)?.type === 'done', 'the build is done', 10_000);
      source.close();

      const lines = received.filter((event) => event.type === 'log').reduce((sum, event) => sum + event.data.split('\n').length, 0);
      assert.equal(lines, started.totalLines);
      const steps = received.filter((event) => event.type === 'progress').map((event) => (JSON.parse(event.data) as BuildProgress).percent);
      assert.deepEqual(steps, [0, 20, 40, 60, 80, 100]);
      assert.deepEqual(JSON.parse(received.at(-1)!.data) as BuildDone, { build: started.id, status: 'passed', lines });
      assert.deepEqual(
        received.map((event) => Number(event.id)),
        received.map((_, n) => n + 1),
        'contiguous ids',
      );
    });
  });

  describe('faults (lessons 3–4) armed on one instance', () => {
    const openOn = async (server: RunningServer, channel: string, query = ''): Promise<RawStream> => {
      const stream = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel })}${query}`);
      cleanups.push(() => stream.destroy());
      await stream.waitFor('id: ');
      return stream;
    };

    it('kill-streams cuts the streams of the channel on both instances', async () => {
      const onA = await openOn(a, 'cluster-kill');
      const onB = await openOn(b, 'cluster-kill');
      assert.deepEqual(await injectFault(a.baseUrl, 'cluster-kill', { type: 'kill-streams' }), { type: 'kill-streams', affected: 2 });
      assert.deepEqual(await onB.ended, { clean: false });
      assert.deepEqual(await onA.ended, { clean: false });
    });

    it('restart-streams ends the other instance’s stream cleanly', async () => {
      const onB = await openOn(b, 'cluster-restart');
      assert.deepEqual(await injectFault(a.baseUrl, 'cluster-restart', { type: 'restart-streams' }), {
        type: 'restart-streams',
        affected: 1,
      });
      assert.deepEqual(await onB.ended, { clean: true });
    });

    it('retry reaches the open and the new streams of the other instance', async () => {
      const open = await openOn(b, 'cluster-retry');
      assert.deepEqual(await injectFault(a.baseUrl, 'cluster-retry', { type: 'retry', retryMs: 700 }), { type: 'retry', affected: 1 });
      await open.waitFor('retry: 700\n\n');
      const fresh = await openOn(b, 'cluster-retry');
      assert.match(fresh.text(), /^retry: 700\n\n/);
    });

    it('heartbeats and slow are switched on every instance', async () => {
      await injectFault(a.baseUrl, 'cluster-settings', { type: 'heartbeats', enabled: false });
      await injectFault(a.baseUrl, 'cluster-settings', { type: 'slow', delayMs: 300, durationMs: 5_000 });
      // The injection answers once every instance has applied it.
      assert.equal(b.app.faults.heartbeatsEnabled('cluster-settings'), false);
      assert.equal(b.app.faults.slowDelayMs('cluster-settings'), 300);

      await publishEvent(a.baseUrl, 'cluster-settings', 'n', 1);
      const started = Date.now();
      const answer = await fetch(`${b.baseUrl}${apiRoutes.longPoll.path({ channel: 'cluster-settings' }, { cursor: 0, timeout: 1_000 })}`);
      assert.equal(answer.status, 200);
      await answer.arrayBuffer();
      assert.ok(Date.now() - started >= 290, 'the answer on B waited for the slow fault armed on A');
    });

    it('drop-next-response drops exactly one answer across both instances', async () => {
      await publishEvent(a.baseUrl, 'cluster-drop', 'n', 1);
      await injectFault(a.baseUrl, 'cluster-drop', { type: 'drop-next-response' });
      const outcomes: string[] = [];
      for (const server of [b, a, b, a]) {
        try {
          const response = await fetch(
            `${server.baseUrl}${apiRoutes.longPoll.path({ channel: 'cluster-drop' }, { cursor: 0, timeout: 1_000 })}`,
          );
          await response.json();
          outcomes.push(String(response.status));
        } catch {
          outcomes.push('lost');
        }
      }
      assert.deepEqual(outcomes, ['lost', '200', '200', '200']);
    });

    it('server-errors {count: 3} answers three polls with 503 in all, across both instances', async () => {
      await publishEvent(a.baseUrl, 'cluster-errors', 'n', 1);
      await injectFault(a.baseUrl, 'cluster-errors', { type: 'server-errors', count: 3 });
      const statuses: number[] = [];
      for (const server of [b, a, b, a, b, a]) {
        const response = await fetch(
          `${server.baseUrl}${apiRoutes.longPoll.path({ channel: 'cluster-errors' }, { cursor: 0, timeout: 1_000 })}`,
        );
        if (response.status === 503) assert.equal(((await response.json()) as ProblemDetails).type, PROBLEM_TYPES.injectedFault);
        else await response.arrayBuffer();
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [503, 503, 503, 200, 200, 200]);
    });
  });
});

describe('lessons 2–4 with Redis unreachable', () => {
  let server: RunningServer;

  before(async () => {
    // Nothing listens there: the instance keeps reconnecting in the background.
    const config = { redisUrl: `redis://127.0.0.1:${await freePort()}`, redisPrefix: 'unreachable:' };
    server = await startServer({ config, untilReady: false });
  });
  after(() => server.stop());

  const requests: { name: string; path: string; init?: RequestInit }[] = [
    { name: 'POST /api/jobs', path: apiRoutes.jobs.path(), init: postJson({}) },
    { name: 'GET /api/jobs/{id}', path: apiRoutes.job.path({ id: 'AAAAAAAAAAAA' }) },
    { name: 'POST /api/builds', path: apiRoutes.builds.path(), init: postJson({}) },
    {
      name: 'a counted fault',
      path: apiRoutes.channelFaults.path({ channel: 'down' }),
      init: postJson({ type: 'server-errors', count: 2 }),
    },
    {
      name: 'a fault for every instance',
      path: apiRoutes.channelFaults.path({ channel: 'down' }),
      init: postJson({ type: 'kill-streams' }),
    },
    { name: 'a long poll', path: apiRoutes.longPoll.path({ channel: 'down' }, { cursor: 0, timeout: 0 }) },
    { name: 'a channel drain (lesson 7)', path: apiRoutes.drains.path(), init: postJson({ channel: 'down', fleet: 0 }) },
  ];
  for (const { name, path, init } of requests) {
    it(`answers ${name} with 503 backend-unavailable at once`, async () => {
      const response = await fetch(`${server.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(3_000) });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
      assert.equal(((await response.json()) as ProblemDetails).type, PROBLEM_TYPES.backendUnavailable);
    });
  }

  it('keeps no job running from a refused start, and no drill', () => {
    assert.equal(server.app.jobs.size, 0);
    assert.equal(server.app.production.running(), 0);
  });
});
