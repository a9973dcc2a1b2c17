import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { Progress } from '../../src/protocol/progress.ts';
import {
  BROADCAST_EVENT_TYPE,
  CSV_COLUMNS,
  HOST_COOKIE,
  type BroadcastReceipt,
  type HostWorkshop,
  type MemberView,
  type Membership,
} from '../../src/protocol/workshops.ts';
import { openRawStream, parseWire, type RawStream } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';
import { asLearner, bearer, jsonRequest, workshopClient } from './helpers/workshops.ts';

/** The `member` events of a host stream, parsed. */
function memberEvents(stream: RawStream): MemberView[] {
  return parseWire(stream.text())
    .filter((event) => event.event === 'member')
    .map((event) => JSON.parse(event.data!) as MemberView);
}

const quizProgress: Progress = {
  lessons: { 'short-polling': { visitedAt: 1_000, completedAt: 2_000 }, 'long-polling': { visitedAt: 1_500 } },
  quiz: [
    { id: 'attempt-1', at: 3_000, score: 0, total: 2, answers: { 'payment-confirmation': 'sse', 'support-chat': 'sse' } },
    // One best fit and one acceptable pick: 1 right, 1.5 points.
    { id: 'attempt-2', at: 4_000, score: 1, total: 2, answers: { 'payment-confirmation': 'short-polling', 'support-chat': 'websocket' } },
  ],
};

describe('workshops', () => {
  let server: RunningServer;
  let client: ReturnType<typeof workshopClient>;
  const streams: RawStream[] = [];
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const stream = await openRawStream(client.url(path), headers);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    server = await startServer({
      sse: { retryMs: 20 },
      // Short presence timings so going offline takes milliseconds, not a minute.
      workshops: { presenceTtlMs: 60_000, streamGraceMs: 100, sweepMs: 20 },
    });
    client = workshopClient(server.baseUrl);
  });
  after(async () => {
    streams.forEach((stream) => stream.destroy());
    await server.stop();
    assert.deepEqual(server.errors, []);
  });

  it('lets a learner join, report, raise "done" and leave', async () => {
    const { workshop } = await client.create('  Realtime   101 ');
    assert.equal(workshop.title, 'Realtime 101');
    assert.match(workshop.code, /^[A-HJKMNP-Z2-9]{6}$/);
    assert.equal(workshop.state, 'open');

    const typed = `${workshop.code.slice(0, 3).toLowerCase()}-${workshop.code.slice(3)}`;
    const shown = await fetch(client.url(apiRoutes.workshop.path({ code: typed })));
    assert.equal(shown.status, 200);
    assert.deepEqual(await shown.json(), { code: workshop.code, title: 'Realtime 101', state: 'open' });

    const joined = await fetch(client.url(apiRoutes.workshopMembers.path({ code: workshop.code })), jsonRequest('POST', { name: ' Ada ' }));
    assert.equal(joined.status, 201);
    const cookie = joined.headers.getSetCookie()[0] ?? '';
    assert.match(cookie, /^rtw_learner=[A-Za-z0-9_-]{22}; Path=\/; .*HttpOnly; SameSite=Lax/);
    const learnerId = learnerIdFrom(joined)!;
    const membership = (await joined.json()) as Membership;
    assert.equal(membership.member.name, 'Ada');
    assert.equal(membership.member.doneAt, null);
    assert.deepEqual(membership.workshop, { code: workshop.code, title: 'Realtime 101', state: 'open', focus: null });

    const me = await fetch(client.url(apiRoutes.workshopMe.path({ code: workshop.code })), { headers: asLearner(learnerId) });
    assert.deepEqual(await me.json(), membership);

    await client.heartbeat(workshop.code, learnerId, 'short-polling', ['demo-1', 'demo-1', 'demo-2']);
    const done = await fetch(
      client.url(apiRoutes.workshopDone.path({ code: workshop.code })),
      jsonRequest('PUT', { done: true }, asLearner(learnerId)),
    );
    assert.equal(done.status, 200);
    assert.equal(typeof ((await done.json()) as Membership).member.doneAt, 'number');

    const left = await fetch(client.url(apiRoutes.workshopMe.path({ code: workshop.code })), {
      method: 'DELETE',
      headers: asLearner(learnerId),
    });
    assert.equal(left.status, 204);
    const after = await fetch(client.url(apiRoutes.workshopMe.path({ code: workshop.code })), { headers: asLearner(learnerId) });
    assert.equal(after.status, 404);

    // Joining again brings the same member back, under the new name.
    const again = await fetch(
      client.url(apiRoutes.workshopMembers.path({ code: workshop.code })),
      jsonRequest('POST', { name: 'Ada L.' }, asLearner(learnerId)),
    );
    assert.equal(again.status, 200);
    const rejoined = (await again.json()) as Membership;
    assert.equal(rejoined.member.id, membership.member.id);
    assert.equal(rejoined.member.name, 'Ada L.');
  });

  it('shows the host every member live: joins, lesson, synced progress and quiz, and resumes without a gap', async () => {
    const { workshop, secret } = await client.create();
    const first = await client.join(workshop.code, 'Grace');
    const snapshot = await client.snapshot(workshop.code, secret);
    assert.deepEqual(
      snapshot.members.map((member) => [member.name, member.online, member.leftAt]),
      [['Grace', true, null]],
    );
    assert.equal(JSON.stringify(snapshot).includes(first.learnerId), false, 'the host never sees a learner id');

    const host = await open(`${apiRoutes.workshopHostStream.path({ code: workshop.code })}?lastEventId=${snapshot.cursor}`, bearer(secret));
    assert.equal(host.response.statusCode, 200);
    assert.match(String(host.response.headers['content-type']), /^text\/event-stream/);
    const second = await client.join(workshop.code, 'Linus');
    await host.waitFor('"name":"Linus"');

    await client.heartbeat(workshop.code, second.learnerId, 'long-polling');
    await waitUntil(() => memberEvents(host).some((member) => member.lesson === 'long-polling'), 'the lesson shows');
    const eventsBefore = memberEvents(host).length;
    await client.heartbeat(workshop.code, second.learnerId, 'long-polling');

    const saved = await fetch(server.baseUrl + apiRoutes.progress.path(), jsonRequest('PUT', quizProgress, asLearner(second.learnerId)));
    assert.equal(saved.status, 200);
    await waitUntil(() => memberEvents(host).some((member) => member.quiz !== null), 'the quiz shows');
    const linus = memberEvents(host).at(-1)!;
    assert.deepEqual(linus.completed, { 'short-polling': 2_000 });
    assert.deepEqual(linus.quiz, {
      at: 4_000,
      score: 1,
      points: 1.5,
      total: 2,
      answers: { 'payment-confirmation': 'short-polling', 'support-chat': 'websocket' },
    });
    assert.equal(memberEvents(host).length, eventsBefore + 1, 'a heartbeat that changes nothing sends nothing');

    // The host reconnects from its last id: the events published meanwhile come first, none twice.
    const lastId = parseWire(host.text()).at(-1)!.id!;
    host.destroy();
    await client.join(workshop.code, 'Barbara');
    const resumed = await open(apiRoutes.workshopHostStream.path({ code: workshop.code }), { ...bearer(secret), 'Last-Event-ID': lastId });
    await resumed.waitFor('"name":"Barbara"');
    const ids = parseWire(resumed.text())
      .filter((event) => event.event === 'member')
      .map((event) => Number(event.id));
    assert.deepEqual(ids, [Number(lastId) + 1]);
  });

  it('turns a member offline once their learner stream has been closed for the grace period', async () => {
    const { workshop, secret } = await client.create();
    const { learnerId } = await client.join(workshop.code, 'Edsger');
    const host = await open(apiRoutes.workshopHostStream.path({ code: workshop.code }), bearer(secret));
    const learner = await open(apiRoutes.workshopLearnerStream.path({ code: workshop.code }), asLearner(learnerId));
    assert.equal(learner.response.statusCode, 200);
    await learner.waitFor('retry: 20');
    learner.destroy();
    await waitUntil(() => memberEvents(host).some((member) => !member.online), 'the member turns offline', 2_000);
    const snapshot = await client.snapshot(workshop.code, secret);
    assert.equal(snapshot.members[0]!.online, false);
  });

  it('keeps online a page that closed its stream on purpose, whichever the server sees first', async () => {
    const { workshop, secret } = await client.create();
    const { learnerId } = await client.join(workshop.code, 'Frances');
    const learner = await open(apiRoutes.workshopLearnerStream.path({ code: workshop.code }), asLearner(learnerId));
    await learner.waitFor('retry: 20');
    // The heartbeat saying "no stream on purpose" may arrive before the stream's end: here it does.
    const heartbeat = await fetch(
      client.url(apiRoutes.workshopHeartbeat.path({ code: workshop.code })),
      jsonRequest('POST', { lesson: 'server-sent-events', channels: [], streaming: false }, asLearner(learnerId)),
    );
    assert.equal(heartbeat.status, 204);
    learner.destroy();
    // Many sweeps past the 100 ms grace, after which a closed tab is offline (the test above).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const snapshot = await client.snapshot(workshop.code, secret);
    assert.equal(snapshot.members[0]!.online, true);
  });

  it('sends "goto" to learners, lowering every "done"', async () => {
    const { workshop, secret } = await client.create();
    const { learnerId } = await client.join(workshop.code, 'Barbara');
    await fetch(client.url(apiRoutes.workshopDone.path({ code: workshop.code })), jsonRequest('PUT', { done: true }, asLearner(learnerId)));
    const learner = await open(apiRoutes.workshopLearnerStream.path({ code: workshop.code }), asLearner(learnerId));
    const host = await open(apiRoutes.workshopHostStream.path({ code: workshop.code }), bearer(secret));
    await learner.waitFor(/^id: \d+$/m);

    const response = await client.host('POST', apiRoutes.workshopGoto.path({ code: workshop.code }), secret, { lesson: 'websockets' });
    assert.equal(response.status, 200);
    const view = (await response.json()) as HostWorkshop;
    assert.equal(view.focus?.lesson, 'websockets');

    await learner.waitFor('event: goto');
    const goto = parseWire(learner.text()).find((event) => event.event === 'goto')!;
    assert.deepEqual(JSON.parse(goto.data!), view.focus);
    await host.waitFor('event: workshop');
    await waitUntil(() => memberEvents(host).some((member) => member.doneAt === null), 'done is lowered');
    const me = await fetch(client.url(apiRoutes.workshopMe.path({ code: workshop.code })), { headers: asLearner(learnerId) });
    const membership = (await me.json()) as Membership;
    assert.equal(membership.member.doneAt, null);
    assert.deepEqual(membership.workshop.focus, view.focus);
  });

  it("broadcasts into the online members' demo channels, and not into another workshop's", async () => {
    const ours = await client.create('Ours');
    const theirs = await client.create('Theirs');
    const ada = await client.join(ours.workshop.code, 'Ada');
    const bob = await client.join(theirs.workshop.code, 'Bob');
    await client.heartbeat(ours.workshop.code, ada.learnerId, 'server-sent-events', ['bc-ours', 'bc-shared']);
    await client.heartbeat(theirs.workshop.code, bob.learnerId, 'server-sent-events', ['bc-theirs']);
    const oursDemo = await open(apiRoutes.sse.path({ channel: 'bc-ours' }));
    const theirsDemo = await open(apiRoutes.sse.path({ channel: 'bc-theirs' }));
    await waitUntil(() => server.app.openStreams() >= 2, 'the demos are listening');

    const response = await client.host('POST', apiRoutes.workshopBroadcast.path({ code: ours.workshop.code }), ours.secret, {
      text: 'Look at the log!',
    });
    assert.equal(response.status, 202);
    const receipt = (await response.json()) as BroadcastReceipt;
    assert.deepEqual({ ...receipt, at: 0 }, { text: 'Look at the log!', at: 0, members: 1, channels: 2 });

    await oursDemo.waitFor(`event: ${BROADCAST_EVENT_TYPE}`);
    const event = parseWire(oursDemo.text()).find((block) => block.event === BROADCAST_EVENT_TYPE)!;
    assert.deepEqual(JSON.parse(event.data!), { workshop: 'Ours', text: 'Look at the log!' });
    // A marker published after the broadcast: once it arrives, a broadcast would have too.
    await fetch(server.baseUrl + apiRoutes.channelEvents.path({ channel: 'bc-theirs' }), postJson({ type: 'marker', data: null }));
    await theirsDemo.waitFor('event: marker');
    assert.equal(theirsDemo.text().includes(BROADCAST_EVENT_TYPE), false);

    const snapshot = await client.snapshot(ours.workshop.code, ours.secret);
    assert.deepEqual(snapshot.broadcasts, [receipt]);
  });

  it('locks (no newcomers), then closes for good (no reports, no reopening), ending learner streams', async () => {
    const { workshop, secret } = await client.create();
    const { learnerId } = await client.join(workshop.code, 'Ken');
    const setState = (state: string) => client.host('PUT', apiRoutes.workshopState.path({ code: workshop.code }), secret, { state });

    assert.equal((await setState('locked')).status, 200);
    const newcomer = await fetch(
      client.url(apiRoutes.workshopMembers.path({ code: workshop.code })),
      jsonRequest('POST', { name: 'Dennis' }),
    );
    assert.equal(newcomer.status, 409);
    assert.match(((await newcomer.json()) as { type: string }).type, /workshop-locked$/);
    await client.join(workshop.code, 'Ken T.', learnerId);
    assert.equal((await setState('open')).status, 200);

    const learner = await open(apiRoutes.workshopLearnerStream.path({ code: workshop.code }), asLearner(learnerId));
    await learner.waitFor(/^id: \d+$/m);
    const closed = await setState('closed');
    assert.equal(closed.status, 200);
    assert.equal(((await closed.json()) as HostWorkshop).state, 'closed');
    await learner.waitFor('event: state');
    assert.deepEqual(await learner.ended, { clean: true });

    for (const refused of [
      await fetch(
        client.url(apiRoutes.workshopHeartbeat.path({ code: workshop.code })),
        jsonRequest('POST', { lesson: null, channels: [] }, asLearner(learnerId)),
      ),
      await fetch(
        client.url(apiRoutes.workshopDone.path({ code: workshop.code })),
        jsonRequest('PUT', { done: true }, asLearner(learnerId)),
      ),
      await fetch(client.url(apiRoutes.workshopMembers.path({ code: workshop.code })), jsonRequest('POST', { name: 'Late' })),
      await setState('open'),
    ]) {
      assert.equal(refused.status, 409);
      assert.match(((await refused.json()) as { type: string }).type, /workshop-closed$/);
    }
    const snapshot = await client.snapshot(workshop.code, secret);
    assert.equal(snapshot.workshop.state, 'closed');
  });

  it('exports one CSV row per member, quoted per RFC 4180 and safe from formulas', async () => {
    const { workshop, secret } = await client.create();
    const ada = await client.join(workshop.code, 'Lovelace, Ada');
    await client.join(workshop.code, '=HYPERLINK("x")');
    await fetch(server.baseUrl + apiRoutes.progress.path(), jsonRequest('PUT', quizProgress, asLearner(ada.learnerId)));

    const response = await fetch(client.url(apiRoutes.workshopResults.path({ code: workshop.code })), { headers: bearer(secret) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(response.headers.get('content-disposition'), `attachment; filename="workshop-${workshop.code}-results.csv"`);
    const text = await response.text();
    assert.ok(text.endsWith('\r\n'));
    const [header, first, second, ...rest] = text.split('\r\n');
    assert.deepEqual(rest, ['']);
    const columns = header!.split(',');
    assert.deepEqual(columns.slice(0, CSV_COLUMNS.length), [...CSV_COLUMNS]);
    assert.ok(columns.includes('lesson:short-polling'));
    assert.deepEqual(columns.slice(-2), ['quiz:payment-confirmation', 'quiz:support-chat']);

    assert.ok(first!.startsWith('"Lovelace, Ada",'));
    const cells = first!.slice('"Lovelace, Ada",'.length).split(',');
    assert.match(cells[0]!, /^\d{4}-\d\d-\d\dT/); // joined_at
    assert.equal(cells[1], ''); // left_at
    assert.equal(cells[5], '1'); // lessons_completed
    assert.equal(cells[6], '0'); // lessons_verified
    assert.deepEqual(cells.slice(7, 10), ['1', '1.5', '2']); // quiz score, points and total
    assert.ok(cells.includes(new Date(2_000).toISOString()));
    assert.deepEqual(cells.slice(-2), ['short-polling', 'websocket']);
    assert.ok(second!.startsWith(`"'=HYPERLINK(""x"")",`), second);
  });

  it("scopes the host cookie to the workshop's host endpoints, and accepts it there", async () => {
    const { workshop, secret } = await client.create();
    const session = await fetch(client.url(apiRoutes.workshopHostSession.path({ code: workshop.code })), {
      method: 'POST',
      headers: bearer(secret),
    });
    assert.equal(session.status, 204);
    const cookie = session.headers.getSetCookie()[0] ?? '';
    assert.equal(cookie, `${HOST_COOKIE}=${secret}; Path=/api/workshops/${workshop.code}/host; HttpOnly; SameSite=Strict`);
    const snapshot = await fetch(client.url(apiRoutes.workshopHost.path({ code: workshop.code })), {
      headers: { Cookie: `${HOST_COOKIE}=${secret}` },
    });
    assert.equal(snapshot.status, 200);
  });
});

describe('workshops across a restart', () => {
  it('keeps the workshop, its members, their names, "done" and the focus on the same DATA_DIR', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rtw-workshops-'));
    try {
      let server = await startServer({ config: { dataDir } });
      let client = workshopClient(server.baseUrl);
      const { workshop, secret } = await client.create('Persistent');
      const { learnerId } = await client.join(workshop.code, 'Ada');
      await client.join(workshop.code, 'Bob');
      await client.host('POST', apiRoutes.workshopGoto.path({ code: workshop.code }), secret, { lesson: 'short-polling' });
      await fetch(
        client.url(apiRoutes.workshopDone.path({ code: workshop.code })),
        jsonRequest('PUT', { done: true }, asLearner(learnerId)),
      );
      await client.host('PUT', apiRoutes.workshopState.path({ code: workshop.code }), secret, { state: 'locked' });
      const before = await client.snapshot(workshop.code, secret);
      await server.stop();

      server = await startServer({ config: { dataDir } });
      client = workshopClient(server.baseUrl);
      try {
        const after = await client.snapshot(workshop.code, secret);
        assert.equal(after.workshop.state, 'locked');
        assert.deepEqual(after.workshop.focus, before.workshop.focus);
        assert.deepEqual(
          after.members.map(({ id, name, joinedAt, doneAt }) => ({ id, name, joinedAt, doneAt })),
          before.members.map(({ id, name, joinedAt, doneAt }) => ({ id, name, joinedAt, doneAt })),
        );
        // Presence is not persisted: nobody's page has reported to this process yet.
        assert.ok(after.members.every((member) => !member.online));
        const me = await fetch(client.url(apiRoutes.workshopMe.path({ code: workshop.code })), { headers: asLearner(learnerId) });
        assert.equal(me.status, 200);
        assert.deepEqual(server.errors, []);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('workshops at shutdown', () => {
  it('ends the learner and host streams and stops the presence sweep when the app closes', async () => {
    const server = await startServer({ workshops: { sweepMs: 10 } });
    const client = workshopClient(server.baseUrl);
    const { workshop, secret } = await client.create();
    const { learnerId } = await client.join(workshop.code, 'Ada');
    const learner = await openRawStream(client.url(apiRoutes.workshopLearnerStream.path({ code: workshop.code })), asLearner(learnerId));
    const host = await openRawStream(client.url(apiRoutes.workshopHostStream.path({ code: workshop.code })), bearer(secret));
    await learner.waitFor(/^id: \d+$/m);
    await host.waitFor(/^id: \d+$/m);
    await server.stop();
    assert.deepEqual(await learner.ended, { clean: true });
    assert.deepEqual(await host.ended, { clean: true });
    assert.deepEqual(server.errors, []);
  });
});

describe('workshops in memory', () => {
  it('unloads a workshop nobody uses, keeps one a host still watches, and loads it again on demand', async () => {
    const server = await startServer({
      workshops: { presenceTtlMs: 100, streamGraceMs: 50, sweepMs: 20, unloadAfterMs: 100 },
    });
    const client = workshopClient(server.baseUrl);
    try {
      const idle = await client.create();
      const { learnerId } = await client.join(idle.workshop.code, 'Hedy');
      const busy = await client.create();
      const host = await openRawStream(client.url(apiRoutes.workshopHostStream.path({ code: busy.workshop.code })), bearer(busy.secret));
      try {
        await host.waitFor('retry:');
        assert.equal(server.app.loadedWorkshops(), 2);
        // Hedy's heartbeat expires, then the idle workshop goes; the watched one stays.
        await waitUntil(() => server.app.loadedWorkshops() === 1, 'the idle workshop is unloaded', 3_000);

        // The store still has it all: the learner and the host find it again.
        const me = await fetch(client.url(apiRoutes.workshopMe.path({ code: idle.workshop.code })), { headers: asLearner(learnerId) });
        assert.equal(me.status, 200);
        assert.equal(server.app.loadedWorkshops(), 2);
        const snapshot = await client.snapshot(idle.workshop.code, idle.secret);
        assert.deepEqual(
          snapshot.members.map((member) => member.name),
          ['Hedy'],
        );
      } finally {
        host.destroy();
      }
    } finally {
      await server.stop();
    }
    assert.deepEqual(server.errors, []);
  });
});
