import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { Progress } from '../../src/protocol/progress.ts';
import {
  BROADCAST_EVENT_TYPE,
  HOST_EVENTS,
  LEARNER_EVENTS,
  type BroadcastReceipt,
  type CreatedWorkshop,
  type DemoBroadcast,
  type HostWorkshop,
  type MemberView,
  type Membership,
  type WorkshopFocus,
} from '../../src/protocol/workshops.ts';
import { EventSourceLog } from './helpers/event-source-log.ts';
import { startTestPostgres } from '../harness/postgres-server.ts';
import { startTestRedis } from '../harness/redis-server.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { asLearner, bearer, jsonRequest, workshopClient } from './helpers/workshops.ts';

/**
 * Short presence, so going offline takes a second: heartbeats are "every
 * 15 s" in a browser; here a learner that stops sending them is offline
 * 1.5 s after the last one.
 */
const TIMINGS = { presenceTtlMs: 1_500, streamGraceMs: 200, sweepMs: 50 };

// Started before the suites are declared: whether they skip depends on them.
const [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
after(() => Promise.all([redis.stop(), postgres.stop()]));
const skip = redis.skip ?? postgres.skip;

const HOST_TYPES = Object.values(HOST_EVENTS);
const LEARNER_TYPES = Object.values(LEARNER_EVENTS);
const members = (log: EventSourceLog) => log.of<MemberView>(HOST_EVENTS.member);

describe('a workshop across two instances sharing Redis and PostgreSQL', { skip }, () => {
  let a: RunningServer;
  let b: RunningServer;
  let config: StartServerOptions['config'];
  /** Calls through A, and through B. */
  let onA: ReturnType<typeof workshopClient>;
  let onB: ReturnType<typeof workshopClient>;
  const logs: EventSourceLog[] = [];
  const start = () => startServer({ config, sse: { retryMs: 20 }, workshops: TIMINGS });
  /** A real EventSource on the host stream, each connection sent to `instances` in turn. */
  const hostStream = async (instances: RunningServer[], created: CreatedWorkshop, from?: number) => {
    const query = from === undefined ? '' : `?lastEventId=${from}`;
    const log = await EventSourceLog.open({
      baseUrls: instances.map((instance) => instance.baseUrl),
      path: apiRoutes.workshopHostStream.path({ code: created.workshop.code }) + query,
      types: HOST_TYPES,
      headers: bearer(created.secret),
    });
    logs.push(log);
    return log;
  };
  const learnerStream = async (instance: RunningServer, code: string, learnerId: string) => {
    const log = await EventSourceLog.open({
      baseUrls: [instance.baseUrl],
      path: apiRoutes.workshopLearnerStream.path({ code }),
      types: LEARNER_TYPES,
      headers: asLearner(learnerId),
    });
    logs.push(log);
    return log;
  };

  before(async () => {
    config = { redisUrl: redis.url, redisPrefix: redis.prefix(), databaseUrl: await postgres.createDatabase() };
    // Started together: both migrate the new database at once, and one waits for the other.
    [a, b] = await Promise.all([start(), start()]);
    [onA, onB] = [workshopClient(a.baseUrl), workshopClient(b.baseUrl)];
    await waitUntil(
      async () => (await fetch(`${a.baseUrl}/readyz`)).ok && (await fetch(`${b.baseUrl}/readyz`)).ok,
      'both instances reach Redis',
    );
  });
  after(async () => {
    logs.forEach((log) => log.close());
    await Promise.all([a?.stop(), b?.stop()]);
    assert.deepEqual([...(a?.errors ?? []), ...(b?.errors ?? [])], []);
  });

  it('shows a dashboard on B every join, heartbeat, "done" and leave, whichever instance took them', async () => {
    const created = await onA.create('Across');
    const { code } = created.workshop;
    const snapshot = await onB.snapshot(code, created.secret);
    const dashboard = await hostStream([b], created, snapshot.cursor);

    const ada = await onA.join(code, 'Ada');
    const bob = await onB.join(code, 'Bob');
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.name === 'Ada' && view.online, 'Ada joined');
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.name === 'Bob' && view.online, 'Bob joined');

    // A learner who joined through A is a member on B, and a name is taken on both.
    const me = await fetch(onB.url(apiRoutes.workshopMe.path({ code })), { headers: asLearner(ada.learnerId) });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), ada.membership);
    const clash = await fetch(onA.url(apiRoutes.workshopMembers.path({ code })), jsonRequest('POST', { name: 'BOB' }));
    assert.equal(clash.status, 409);
    assert.equal(((await clash.json()) as { type: string }).type, PROBLEM_TYPES.nameTaken);

    await onB.heartbeat(code, ada.learnerId, 'long-polling', ['demo-ada']);
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.lesson === 'long-polling', "Ada's lesson");
    // The same report through both instances changes nothing: no event, from either.
    const before = members(dashboard).length;
    await onA.heartbeat(code, ada.learnerId, 'long-polling', ['demo-ada']);
    await onB.heartbeat(code, ada.learnerId, 'long-polling', ['demo-ada']);

    const done = await fetch(onA.url(apiRoutes.workshopDone.path({ code })), jsonRequest('PUT', { done: true }, asLearner(bob.learnerId)));
    assert.equal(done.status, 200);
    const raised = await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.doneAt !== null, "Bob's hand");
    assert.equal(raised.name, 'Bob');
    assert.equal(members(dashboard).length, before + 1, 'only the raised hand was news');

    const left = await fetch(onB.url(apiRoutes.workshopMe.path({ code })), { method: 'DELETE', headers: asLearner(ada.learnerId) });
    assert.equal(left.status, 204);
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.name === 'Ada' && view.leftAt !== null, 'Ada left');
    assert.equal((await fetch(onA.url(apiRoutes.workshopMe.path({ code })), { headers: asLearner(ada.learnerId) })).status, 404);

    // Back through the other instance: the same member, 200 as on one instance.
    const back = await fetch(
      onA.url(apiRoutes.workshopMembers.path({ code })),
      jsonRequest('POST', { name: 'Ada L.' }, asLearner(ada.learnerId)),
    );
    assert.equal(back.status, 200);
    assert.equal(((await back.json()) as Membership).member.id, ada.membership.member.id);

    const rows = async (via: typeof onA) =>
      (await via.snapshot(code, created.secret)).members.map(({ id, name, leftAt, doneAt, lesson }) => ({
        id,
        name,
        left: leftAt !== null,
        done: doneAt !== null,
        lesson,
      }));
    assert.deepEqual(await rows(onA), [
      { id: ada.membership.member.id, name: 'Ada L.', left: false, done: false, lesson: 'long-polling' },
      { id: bob.membership.member.id, name: 'Bob', left: false, done: true, lesson: null },
    ]);
    assert.deepEqual(await rows(onB), await rows(onA));
  });

  it('sends a goto and a broadcast through B to learners streaming from A, the broadcast onto their demo channel', async () => {
    const created = await onB.create('Fan-out');
    const { code } = created.workshop;
    const grace = await onA.join(code, 'Grace');
    const learner = await learnerStream(a, code, grace.learnerId);
    // The page's demo, on A's public SSE endpoint: the broadcast is an event of the channel's own log.
    const demo = await EventSourceLog.open({
      baseUrls: [a.baseUrl],
      path: apiRoutes.sse.path({ channel: 'cluster-demo' }),
      types: [BROADCAST_EVENT_TYPE],
    });
    logs.push(demo);
    await onB.heartbeat(code, grace.learnerId, 'server-sent-events', ['cluster-demo']);
    await fetch(onA.url(apiRoutes.workshopDone.path({ code })), jsonRequest('PUT', { done: true }, asLearner(grace.learnerId)));
    const dashboard = await hostStream([a], created);

    const moved = await onB.host('POST', apiRoutes.workshopGoto.path({ code }), created.secret, { lesson: 'websockets' });
    assert.equal(moved.status, 200);
    const focus = ((await moved.json()) as HostWorkshop).focus;
    assert.deepEqual(await learner.waitFor<WorkshopFocus>(LEARNER_EVENTS.goto, () => true, 'the goto on A'), focus);
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.doneAt === null, 'the hand lowered');

    const sent = await onB.host('POST', apiRoutes.workshopBroadcast.path({ code }), created.secret, { text: 'Look at the log!' });
    assert.equal(sent.status, 202);
    const receipt = (await sent.json()) as BroadcastReceipt;
    assert.deepEqual({ ...receipt, at: 0 }, { text: 'Look at the log!', at: 0, members: 1, channels: 1 });
    const event = await demo.waitFor<DemoBroadcast>(BROADCAST_EVENT_TYPE, () => true, 'the broadcast on the demo channel');
    assert.deepEqual(event, { workshop: 'Fan-out', text: 'Look at the log!' });
    assert.deepEqual(await dashboard.waitFor(HOST_EVENTS.broadcast, () => true, 'the broadcast on the dashboard'), receipt);
    assert.deepEqual((await onA.snapshot(code, created.secret)).broadcasts, [receipt]);
  });

  it('enforces a lock and a close on both instances, and ends learner streams on the one that did not close', async () => {
    const created = await onA.create('Closing');
    const { code } = created.workshop;
    const ken = await onB.join(code, 'Ken');
    const setState = (via: typeof onA, state: string) => via.host('PUT', apiRoutes.workshopState.path({ code }), created.secret, { state });

    assert.equal((await setState(onA, 'locked')).status, 200);
    const newcomer = await fetch(onB.url(apiRoutes.workshopMembers.path({ code })), jsonRequest('POST', { name: 'Dennis' }));
    assert.equal(newcomer.status, 409);
    assert.equal(((await newcomer.json()) as { type: string }).type, PROBLEM_TYPES.workshopLocked);
    await onA.join(code, 'Ken T.', ken.learnerId);
    assert.equal((await setState(onB, 'open')).status, 200);

    const learner = await learnerStream(b, code, ken.learnerId);
    assert.equal((await setState(onA, 'closed')).status, 200);
    assert.deepEqual(await learner.waitFor(LEARNER_EVENTS.state, (data: { state: string }) => data.state === 'closed', 'the close on B'), {
      state: 'closed',
    });
    // B ended the stream; the EventSource's reconnection is refused (409): it gives up.
    await waitUntil(() => learner.readyState === 2, 'the learner stream is over');

    for (const via of [onA, onB]) {
      for (const refused of [
        await fetch(
          via.url(apiRoutes.workshopHeartbeat.path({ code })),
          jsonRequest('POST', { lesson: null, channels: [] }, asLearner(ken.learnerId)),
        ),
        await fetch(via.url(apiRoutes.workshopMembers.path({ code })), jsonRequest('POST', { name: 'Late' })),
        await setState(via, 'open'),
      ]) {
        assert.equal(refused.status, 409);
        assert.equal(((await refused.json()) as { type: string }).type, PROBLEM_TYPES.workshopClosed);
      }
    }
  });

  it("exports the same CSV from either instance, and shows a progress save through A on B's dashboard", async () => {
    const created = await onA.create('Results');
    const { code } = created.workshop;
    await onA.join(code, 'Barbara');
    const linus = await onB.join(code, 'Linus');
    const dashboard = await hostStream([b], created);

    const progress: Progress = {
      lessons: { 'short-polling': { visitedAt: 1_000, completedAt: 2_000 } },
      quiz: [{ id: 'attempt-1', at: 3_000, score: 2, total: 2, answers: { dashboard: 'sse' } }],
    };
    const saved = await fetch(a.baseUrl + apiRoutes.progress.path(), jsonRequest('PUT', progress, asLearner(linus.learnerId)));
    assert.equal(saved.status, 200);
    const row = await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.quiz !== null, "Linus's quiz");
    assert.deepEqual(row.completed, { 'short-polling': 2_000 });

    const csv = async (instance: RunningServer) => {
      const response = await fetch(instance.baseUrl + apiRoutes.workshopResults.path({ code }), { headers: bearer(created.secret) });
      assert.equal(response.status, 200);
      return response.text();
    };
    const [fromA, fromB] = [await csv(a), await csv(b)];
    assert.equal(fromA, fromB);
    const rows = fromA.trimEnd().split('\r\n').slice(1);
    assert.deepEqual(
      rows.map((line) => line.split(',')[0]),
      ['Barbara', 'Linus'],
    );
    assert.ok(rows[1]!.endsWith(',sse'), rows[1]);
  });

  it('turns offline, once, on the dashboards of both instances, a learner who stopped reporting', async () => {
    const created = await onA.create('Quiet');
    const { code } = created.workshop;
    const hedy = await onA.join(code, 'Hedy');
    const learner = await learnerStream(a, code, hedy.learnerId);
    const [dashboardA, dashboardB] = [await hostStream([a], created), await hostStream([b], created)];
    await onA.heartbeat(code, hedy.learnerId, 'websockets');
    for (const dashboard of [dashboardA, dashboardB]) {
      await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.lesson === 'websockets', 'the lesson');
    }
    // No more heartbeats: an open stream does not keep a silent page online past the TTL.
    const offline = (dashboard: EventSourceLog) =>
      dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => !view.online, 'Hedy offline', 5_000);
    await Promise.all([offline(dashboardA), offline(dashboardB)]);
    learner.close();
    // Both instances sweep the workshop; one of them sent the change.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const dashboard of [dashboardA, dashboardB]) {
      assert.equal(members(dashboard).filter((view) => !view.online).length, 1, 'one offline event');
    }
  });

  it('resumes a dashboard on B with Last-Event-ID, without a gap, when its instance goes away', async () => {
    const c = await start();
    const onC = workshopClient(c.baseUrl);
    const created = await onC.create('Resume');
    const { code } = created.workshop;
    const snapshot = await onC.snapshot(code, created.secret);
    // The first connection goes to C, the reconnection to B, as a round-robin balancer would send them.
    const dashboard = await hostStream([c, b], created, snapshot.cursor);
    await onC.join(code, 'Ada');
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.name === 'Ada', 'Ada on C');

    await c.stop();
    // Published while the dashboard is between C and B.
    for (const name of ['Bob', 'Cy', 'Dee']) await onA.join(code, name);
    await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.name === 'Dee', 'Dee on B');
    assert.equal(dashboard.connections, 2);
    assert.deepEqual(
      dashboard.events.map((event) => event.via),
      [0, 1, 1, 1],
      'Ada came through C, the rest through B',
    );
    const ids = dashboard.events.map((event) => Number(event.id));
    assert.deepEqual(
      ids,
      ids.map((_, index) => snapshot.cursor + 1 + index),
      'every id once, in order',
    );
    assert.deepEqual(
      members(dashboard).map((view) => view.name),
      ['Ada', 'Bob', 'Cy', 'Dee'],
    );
    assert.deepEqual(c.errors, []);
  });

  it('turns offline on B, after the TTL, a learner whose instance was killed (kill -9)', async () => {
    const created = await onB.create('Crash');
    const { code } = created.workshop;
    const dashboard = await hostStream([b], created);
    const child = await spawnServer({
      REDIS_URL: config!.redisUrl!,
      REDIS_PREFIX: config!.redisPrefix!,
      DATABASE_URL: config!.databaseUrl!,
    });
    try {
      const onChild = workshopClient(child.baseUrl);
      const linus = await onChild.join(code, 'Linus');
      // Their stream is held by the instance about to die; their reports reach B.
      const stream = await learnerStream({ baseUrl: child.baseUrl } as RunningServer, code, linus.learnerId);
      // After the child recorded the stream's opening (a moment after it opened), so B's report is the last.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await onB.heartbeat(code, linus.learnerId, 'choosing');
      await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => view.lesson === 'choosing' && view.online, 'Linus online');
      child.child.kill('SIGKILL');
      await child.exited;
      stream.close();
      const seenAt = Date.now();
      // Nobody saw the stream close: the TTL since the last report does it (and the dead lease does not hold it up).
      await dashboard.waitFor<MemberView>(HOST_EVENTS.member, (view) => !view.online, 'Linus offline', 5_000);
      assert.ok(Date.now() - seenAt < TIMINGS.presenceTtlMs + 1_000);
    } finally {
      child.child.kill('SIGKILL');
    }
  });
});

// Last in this file: it stops the file's Redis for a moment.
describe('a workshop while Redis is away', { skip }, () => {
  it('answers 503 backend-unavailable to what needs the live state, keeps the data, and serves again once Redis is back', async () => {
    const config = { redisUrl: redis.url, redisPrefix: redis.prefix(), databaseUrl: await postgres.createDatabase() };
    const server = await startServer({ config, workshops: TIMINGS });
    const client = workshopClient(server.baseUrl);
    const ready = async () => (await fetch(`${server.baseUrl}/readyz`)).ok;
    try {
      await waitUntil(ready, 'the instance reaches Redis');
      const created = await client.create('Outage');
      const { code } = created.workshop;
      const ada = await client.join(code, 'Ada');
      await client.heartbeat(code, ada.learnerId, 'choosing', ['demo-outage']);

      const restarted = redis.restart({ downMs: 1_000 });
      await waitUntil(async () => !(await ready()), 'the instance notices');
      const heartbeat = await fetch(
        client.url(apiRoutes.workshopHeartbeat.path({ code })),
        jsonRequest('POST', { lesson: 'choosing', channels: [] }, asLearner(ada.learnerId)),
      );
      assert.equal(heartbeat.status, 503);
      assert.equal(((await heartbeat.json()) as { type: string }).type, PROBLEM_TYPES.backendUnavailable);
      await restarted;

      await waitUntil(ready, 'Redis is back', 10_000);
      await client.heartbeat(code, ada.learnerId, 'why-real-time', ['demo-outage']);
      const [row] = (await client.snapshot(code, created.secret)).members;
      assert.deepEqual(
        { name: row!.name, lesson: row!.lesson, online: row!.online },
        { name: 'Ada', lesson: 'why-real-time', online: true },
      );
    } finally {
      await server.stop();
    }
    assert.deepEqual(server.errors, []);
  });
});
