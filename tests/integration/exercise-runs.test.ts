import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { type ExerciseRun, type ExerciseVerdict, SAVED_CODE_LIMITS } from '../../src/protocol/exercise-runs.ts';
import { isTerminal, type Job } from '../../src/protocol/jobs.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { LEARNER_COOKIE, type ProgressResponse } from '../../src/protocol/progress.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { finishRun, newLearner, startRun } from './helpers/exercise-runs.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';
import { workshopClient } from './helpers/workshops.ts';

/** How a poller under test behaves; the defaults are lesson 2's correct client. */
interface PollerHabits {
  intervalMs: number;
  sendEtag: boolean;
  honourRetryAfter: boolean;
  /** Polls it sends after reading the job finished (a correct client sends none). */
  pollsAfterEnd: number;
}

const CORRECT: PollerHabits = { intervalMs: 600, sendEtag: true, honourRetryAfter: true, pollsAfterEnd: 0 };

/** A short-polling client, written as the lesson's learner would write it, with faults to order. */
async function pollJob(url: string, habits: PollerHabits): Promise<void> {
  let etag: string | undefined;
  let after = -1;
  for (let polls = 0; polls < 60 && after < habits.pollsAfterEnd; polls += 1) {
    const response = await fetch(url, { headers: habits.sendEtag && etag ? { 'If-None-Match': etag } : {} });
    if (response.status === 503) {
      await response.body?.cancel();
      await sleep(habits.honourRetryAfter ? Number(response.headers.get('Retry-After')) * 1000 : habits.intervalMs);
      continue;
    }
    if (response.status === 200) {
      etag = response.headers.get('ETag') ?? undefined;
      const job = (await response.json()) as Job;
      if (isTerminal(job.state)) after += 1;
    } else {
      await response.body?.cancel();
      if (after >= 0) after += 1;
    }
    if (after < habits.pollsAfterEnd) await sleep(habits.intervalMs);
  }
}

describe('exercises the server verifies (lesson 2: the ETag poller)', { concurrency: true }, () => {
  let server: RunningServer;

  before(async () => {
    // A 3 s job: a run takes about 6 s with the scripted 503.
    server = await startServer({ exercises: { etagPollerJobMs: 3_000 } });
  });
  after(() => server.stop());

  // Learners are ids here: `as(id)` is the cookie header.
  const learnerId = () => newLearner().id;
  const as = (learner: string) => ({ Cookie: `${LEARNER_COOKIE}=${learner}` });
  const startFor = (learner: string) => startRun(server.baseUrl, 'short-polling', 'etag-poller', as(learner));
  const finish = (learner: string, run: ExerciseRun) => finishRun(server.baseUrl, run, as(learner));

  async function runWith(habits: Partial<PollerHabits>): Promise<{ learner: string; verdict: ExerciseVerdict }> {
    const learner = learnerId();
    const run = await startFor(learner);
    await pollJob(run.urls.job!, { ...CORRECT, ...habits });
    return { learner, verdict: await finish(learner, run) };
  }

  const stateOf = (verdict: ExerciseVerdict, id: string) => verdict.checks.find((check) => check.id === id);

  it('verifies a correct poller, and progress shows it as verified by the server', async () => {
    const { learner, verdict } = await runWith({});
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.ok(verdict.checks.every((check) => check.state === 'passed'));
    assert.equal(typeof verdict.verifiedAt, 'number');
    const progress = (await (await fetch(server.baseUrl + apiRoutes.progress.path(), { headers: as(learner) })).json()) as ProgressResponse;
    assert.deepEqual(progress.verified, { 'short-polling': { 'etag-poller': verdict.verifiedAt } });
  });

  it("shows a member's verified exercise on the workshop dashboard, apart from what their browser marked", async () => {
    const workshops = workshopClient(server.baseUrl);
    const { workshop, secret } = await workshops.create();
    const learner = learnerId();
    await workshops.join(workshop.code, 'Ada', learner);
    const run = await startFor(learner);
    await pollJob(run.urls.job!, CORRECT);
    const verdict = await finish(learner, run);
    assert.equal(verdict.state, 'passed');
    let member = (await workshops.snapshot(workshop.code, secret)).members[0]!;
    // The dashboard is told in the background: wait for it, as the host's page would.
    for (let tries = 0; tries < 50 && member.verified['short-polling'] === undefined; tries += 1) {
      await sleep(20);
      member = (await workshops.snapshot(workshop.code, secret)).members[0]!;
    }
    assert.deepEqual(member.verified, { 'short-polling': verdict.verifiedAt });
    assert.deepEqual(member.completed, {});
  });

  it('fails a poller that never sends If-None-Match, and says which poll', async () => {
    const { learner, verdict } = await runWith({ sendEtag: false });
    assert.equal(verdict.state, 'failed');
    assert.equal(stateOf(verdict, 'conditional')?.state, 'failed');
    assert.match(stateOf(verdict, 'conditional')!.detail, /^Poll 2 sent no If-None-Match; the last ETag was "/);
    assert.equal(verdict.verifiedAt, undefined);
    const progress = (await (await fetch(server.baseUrl + apiRoutes.progress.path(), { headers: as(learner) })).json()) as ProgressResponse;
    assert.deepEqual(progress.verified, {});
  });

  it('fails a poller that ignores Retry-After', async () => {
    const { verdict } = await runWith({ honourRetryAfter: false });
    assert.equal(stateOf(verdict, 'retry-after')?.state, 'failed');
    assert.match(stateOf(verdict, 'retry-after')!.detail, /before Retry-After’s 2 s/);
    assert.equal(stateOf(verdict, 'conditional')?.state, 'passed');
  });

  it('fails a poller that goes on polling after the job finished', async () => {
    const { verdict } = await runWith({ pollsAfterEnd: 2 });
    assert.equal(stateOf(verdict, 'stopped')?.state, 'failed');
    assert.match(stateOf(verdict, 'stopped')!.detail, /^2 polls came after poll \d+ had read the job finished\.$/);
    assert.equal(stateOf(verdict, 'reached-end')?.state, 'passed');
  });

  it('fails a poller that hammers the server', async () => {
    const { verdict } = await runWith({ intervalMs: 100 });
    assert.equal(stateOf(verdict, 'paced')?.state, 'failed');
  });

  it('shows the checks live while the run goes on, and judges a run nobody polled as failed', async () => {
    const learner = learnerId();
    const run = await startFor(learner);
    const live = (await (
      await fetch(server.baseUrl + apiRoutes.exerciseRun.path({ id: run.id }), { headers: as(learner) })
    ).json()) as ExerciseVerdict;
    assert.equal(live.state, 'running');
    assert.ok(live.checks.every((check) => check.state === 'pending'));
    const verdict = await finish(learner, run);
    assert.equal(verdict.state, 'failed');
    assert.equal(stateOf(verdict, 'polled')?.detail, 'No request reached the job’s URL.');
  });

  it('keeps a run to its learner: another cookie gets 404', async () => {
    const run = await startFor(learnerId());
    const response = await fetch(server.baseUrl + apiRoutes.exerciseRun.path({ id: run.id }), { headers: as(learnerId()) });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { type: string }).type, PROBLEM_TYPES.unknownExerciseRun);
    const finishAsStranger = await fetch(server.baseUrl + apiRoutes.exerciseRunFinish.path({ id: run.id }), { method: 'POST' });
    assert.equal(finishAsStranger.status, 404);
  });

  it('answers an exercise it does not verify with 404 and the list it does', async () => {
    const response = await fetch(server.baseUrl + apiRoutes.exerciseRuns.path({ lesson: 'short-polling', exercise: 'nope' }), {
      method: 'POST',
    });
    assert.equal(response.status, 404);
    const problem = (await response.json()) as { type: string; detail: string };
    assert.equal(problem.type, PROBLEM_TYPES.unknownExercise);
    assert.match(
      problem.detail,
      /these do: short-polling\/etag-poller, long-polling\/cursor-loop, server-sent-events\/resume, websockets\/outbox, scaling-out\/failover\.$/,
    );
  });

  it('cannot be forged through PUT /api/progress, and a reset forgets it', async () => {
    const { learner, verdict } = await runWith({});
    assert.equal(verdict.state, 'passed');
    const stranger = learnerId();
    const forged = await fetch(server.baseUrl + apiRoutes.progress.path(), {
      method: 'PUT',
      headers: { ...as(stranger), 'Content-Type': 'application/json' },
      body: JSON.stringify({ lessons: {}, verified: { 'short-polling': { 'etag-poller': 1 } } }),
    });
    assert.equal(forged.status, 400);
    const strangers = (await (
      await fetch(server.baseUrl + apiRoutes.progress.path(), { headers: as(stranger) })
    ).json()) as ProgressResponse;
    assert.deepEqual(strangers.verified, {});

    const reset = await fetch(server.baseUrl + apiRoutes.progress.path(), { method: 'DELETE', headers: as(learner) });
    assert.deepEqual(((await reset.json()) as ProgressResponse).verified, {});
  });
});

describe("the learner's code of a coded exercise", () => {
  const as = (learner: string) => ({ Cookie: `${LEARNER_COOKIE}=${learner}` });
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  const url = (exercise = 'etag-poller') => server.baseUrl + apiRoutes.exerciseCode.path({ lesson: 'short-polling', exercise });
  const put = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url(), { method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('keeps the newer copy per learner, and gives a visitor its cookie with the first save', async () => {
    const first = await put({ code: 'let etag;', savedAt: 2_000 });
    assert.equal(first.status, 200);
    const learner = learnerIdFrom(first)!;
    assert.deepEqual(await first.json(), { code: 'let etag;', savedAt: 2_000 });
    // An older copy (another tab, a slow network) changes nothing; a newer one wins.
    assert.deepEqual(await (await put({ code: 'older', savedAt: 1_000 }, as(learner))).json(), { code: 'let etag;', savedAt: 2_000 });
    assert.deepEqual(await (await put({ code: 'newer', savedAt: 3_000 }, as(learner))).json(), { code: 'newer', savedAt: 3_000 });
    assert.deepEqual(await (await fetch(url(), { headers: as(learner) })).json(), { code: 'newer', savedAt: 3_000 });
    assert.deepEqual(await (await fetch(url(), { headers: as(newLearner().id) })).json(), { code: null, savedAt: null });
  });

  it('refuses an exercise that takes no code, and code past the limit', async () => {
    assert.equal((await fetch(url('nope'))).status, 404);
    const tooLong = await put({ code: 'x'.repeat(SAVED_CODE_LIMITS.maxLength + 1), savedAt: 1 });
    assert.equal(tooLong.status, 400);
    assert.match(
      ((await tooLong.json()) as { detail: string }).detail,
      /^"code" is the string "x+"; it must be a string of at most 20000 characters\.$/,
    );
    assert.equal((await put({ code: 'ok', savedAt: -1 })).status, 400);
  });
});
