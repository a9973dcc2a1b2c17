import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROGRESS_LIMITS, type Progress, type QuizAttempt } from '../../src/protocol/progress.ts';
import { lessonState } from '../../src/progress/local-progress.ts';
import { latestTime, mergeProgress, normalizeProgress, replaceProgress, resetProgressAt } from '../../src/protocol/merge-progress.ts';

const attempt = (id: string, at: number, score = 3): QuizAttempt => ({
  id,
  at,
  score,
  total: 5,
  answers: { chat: 'websocket', feed: 'sse' },
});

describe('mergeProgress: two devices, one learner', () => {
  it('never loses a completion: one device completed, the other only visited', () => {
    const laptop: Progress = { lessons: { 'short-polling': { visitedAt: 100, completedAt: 200 } } };
    const phone: Progress = { lessons: { 'short-polling': { visitedAt: 300 } } };

    const merged = mergeProgress(laptop, phone);

    assert.equal(lessonState(merged, 'short-polling'), 'complete');
    assert.deepEqual(merged.lessons['short-polling'], { visitedAt: 300, completedAt: 200 });
  });

  it('lets an explicit undo win over an older completion from another copy', () => {
    const stale: Progress = { lessons: { sse: { completedAt: 200 } } };
    const undone: Progress = { lessons: { sse: { uncompletedAt: 250 } } };

    assert.equal(lessonState(mergeProgress(stale, undone), 'sse'), 'not-started');
    assert.deepEqual(mergeProgress(stale, undone).lessons, { sse: { uncompletedAt: 250 } });
  });

  it('lets a completion made after the undo win over it', () => {
    const undone: Progress = { lessons: { sse: { uncompletedAt: 250 } } };
    const completedAgain: Progress = { lessons: { sse: { completedAt: 300 } } };

    const merged = mergeProgress(undone, completedAgain);

    assert.equal(lessonState(merged, 'sse'), 'complete');
    assert.deepEqual(merged.lessons, { sse: { completedAt: 300 } });
  });

  it('lets an explicit reset win over everything older, on every copy it meets', () => {
    const laptop: Progress = {
      lessons: { 'short-polling': { visitedAt: 100, completedAt: 200, exercises: { 'etag-run': 200 } } },
      quiz: [attempt('q1', 150)],
      last: { lesson: 'short-polling', section: 'etag', at: 210 },
    };
    const reset = resetProgressAt(laptop, 1_000);

    assert.deepEqual(mergeProgress(laptop, reset), { lessons: {}, resetAt: 1_000 });
    assert.deepEqual(mergeProgress(reset, laptop), { lessons: {}, resetAt: 1_000 });
  });

  it('keeps what was recorded after the reset, even on a copy that had not heard of it', () => {
    const offline: Progress = {
      lessons: {
        'short-polling': { visitedAt: 100, completedAt: 200 },
        'long-polling': { visitedAt: 1_500, completedAt: 1_600 },
      },
      quiz: [attempt('old', 150), attempt('new', 1_700)],
      last: { lesson: 'long-polling', at: 1_600 },
    };
    const reset: Progress = { lessons: {}, resetAt: 1_000 };

    const merged = mergeProgress(offline, reset);

    assert.equal(lessonState(merged, 'short-polling'), 'not-started');
    assert.equal(lessonState(merged, 'long-polling'), 'complete');
    assert.deepEqual(
      merged.quiz?.map((entry) => entry.id),
      ['new'],
    );
    assert.deepEqual(merged.last, { lesson: 'long-polling', at: 1_600 });
  });

  it('resets past a clock that ran ahead: the reset hides everything the copy holds', () => {
    const ahead: Progress = { lessons: { sse: { completedAt: 5_000 } } };
    const reset = resetProgressAt(ahead, 1_000);
    assert.equal(reset.resetAt, 5_001);
    assert.equal(lessonState(mergeProgress(ahead, reset), 'sse'), 'not-started');
  });

  it('takes the latest position to continue from', () => {
    const a: Progress = { lessons: {}, last: { lesson: 'sse', section: 'retry', at: 500 } };
    const b: Progress = { lessons: {}, last: { lesson: 'websockets', section: 'frames', at: 700 } };
    assert.deepEqual(mergeProgress(a, b).last, b.last);
    assert.deepEqual(mergeProgress(b, a).last, b.last);
  });

  it('unites quiz attempts by id, oldest first, without counting one twice', () => {
    const a: Progress = { lessons: {}, quiz: [attempt('q1', 100), attempt('q3', 300)] };
    const b: Progress = { lessons: {}, quiz: [attempt('q2', 200), attempt('q1', 100)] };
    assert.deepEqual(
      mergeProgress(a, b).quiz?.map((entry) => entry.id),
      ['q1', 'q2', 'q3'],
    );
  });

  it('keeps the newest quiz attempts when the union is over the limit', () => {
    const many = (from: number) =>
      Array.from({ length: PROGRESS_LIMITS.maxQuizAttempts }, (_, i) => attempt(`q${from + i}`, (from + i) * 10));
    const merged = mergeProgress({ lessons: {}, quiz: many(0) }, { lessons: {}, quiz: many(5) });
    assert.equal(merged.quiz?.length, PROGRESS_LIMITS.maxQuizAttempts);
    assert.equal(merged.quiz?.[0]?.id, 'q5');
    assert.equal(merged.quiz?.at(-1)?.id, `q${4 + PROGRESS_LIMITS.maxQuizAttempts}`);
  });

  it('unites exercises, keeping the latest time each was done', () => {
    const a: Progress = { lessons: { sse: { exercises: { resume: 100, heartbeat: 400 } } } };
    const b: Progress = { lessons: { sse: { exercises: { resume: 300 } } } };
    assert.deepEqual(mergeProgress(a, b).lessons.sse?.exercises, { heartbeat: 400, resume: 300 });
  });

  it('lets a replaced copy (higher epoch) win outright', () => {
    const current: Progress = { lessons: { sse: { completedAt: 900 }, websockets: { visitedAt: 950 } } };
    const imported: Progress = { lessons: { 'short-polling': { completedAt: 10 } } };
    const replaced = replaceProgress(current, imported);

    assert.equal(replaced.epoch, 1);
    assert.deepEqual(mergeProgress(current, replaced), replaced);
    assert.deepEqual(mergeProgress(replaced, current), replaced);
    // And later activity on the replaced copy merges as usual.
    const later: Progress = { ...replaced, lessons: { ...replaced.lessons, sse: { visitedAt: 2_000 } } };
    assert.equal(lessonState(mergeProgress(replaced, later), 'sse'), 'in-progress');
  });

  it('normalizes: sorted keys, no empty members, tombstones drop what they hide', () => {
    const messy: Progress = {
      lessons: {
        websockets: {},
        sse: { completedAt: 5, uncompletedAt: 9, exercises: {} },
        'long-polling': { visitedAt: 1 },
      },
      quiz: [],
      resetAt: 2,
      epoch: 0,
    };
    assert.deepEqual(normalizeProgress(messy), { lessons: { sse: { uncompletedAt: 9 } }, resetAt: 2 });
    assert.deepEqual(Object.keys(normalizeProgress({ lessons: { b: { visitedAt: 1 }, a: { visitedAt: 1 } } }).lessons), ['a', 'b']);
  });

  it('finds the latest time anywhere in a copy', () => {
    assert.equal(latestTime({ lessons: {} }), 0);
    assert.equal(
      latestTime({
        lessons: { sse: { exercises: { x: 70 } } },
        quiz: [attempt('q', 40)],
        last: { lesson: 'sse', at: 50 },
      }),
      70,
    );
  });
});

describe('mergeProgress: algebra (random copies)', () => {
  // A small seeded generator, so a failure is reproducible.
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state * 1_664_525 + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
  }

  function randomProgress(next: () => number): Progress {
    const time = () => Math.floor(next() * 20);
    const maybe = <T>(make: () => T): T | undefined => (next() < 0.5 ? make() : undefined);
    const lessons: Progress['lessons'] = {};
    for (const slug of ['a', 'b', 'c']) {
      if (next() < 0.3) continue;
      const lesson: Progress['lessons'][string] = {};
      const visitedAt = maybe(time);
      const completedAt = maybe(time);
      const uncompletedAt = maybe(time);
      if (visitedAt !== undefined) lesson.visitedAt = visitedAt;
      if (completedAt !== undefined) lesson.completedAt = completedAt;
      if (uncompletedAt !== undefined) lesson.uncompletedAt = uncompletedAt;
      if (next() < 0.5) lesson.exercises = { x: time(), ...(next() < 0.5 ? { y: time() } : {}) };
      lessons[slug] = lesson;
    }
    const progress: Progress = { lessons };
    const attempts = Array.from({ length: Math.floor(next() * 3) }, () =>
      attempt(`q${Math.floor(next() * 4)}`, time(), Math.floor(next() * 6)),
    );
    if (attempts.length > 0) progress.quiz = attempts;
    const last = maybe(() => ({ lesson: ['a', 'b'][Math.floor(next() * 2)]!, at: time() }));
    if (last) progress.last = last;
    const resetAt = next() < 0.3 ? time() : undefined;
    if (resetAt !== undefined) progress.resetAt = resetAt;
    if (next() < 0.2) progress.epoch = Math.floor(next() * 2);
    return progress;
  }

  const runs = 400;
  const next = random(20_261_125);
  const samples = Array.from({ length: runs }, () => [randomProgress(next), randomProgress(next), randomProgress(next)]);

  it('is commutative: a ⊔ b = b ⊔ a', () => {
    for (const [a, b] of samples) assert.deepEqual(mergeProgress(a!, b!), mergeProgress(b!, a!), JSON.stringify({ a, b }));
  });

  it('is associative: (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)', () => {
    for (const [a, b, c] of samples) {
      assert.deepEqual(mergeProgress(mergeProgress(a!, b!), c!), mergeProgress(a!, mergeProgress(b!, c!)), JSON.stringify({ a, b, c }));
    }
  });

  it('is idempotent: a ⊔ a = a (normalized), and merging again changes nothing', () => {
    for (const [a, b] of samples) {
      assert.deepEqual(mergeProgress(a!, a!), normalizeProgress(a!));
      const merged = mergeProgress(a!, b!);
      assert.deepEqual(mergeProgress(merged, a!), merged);
      assert.deepEqual(mergeProgress(merged, b!), merged);
    }
  });

  it('normalizing twice is normalizing once', () => {
    for (const [a] of samples) assert.deepEqual(normalizeProgress(normalizeProgress(a!)), normalizeProgress(a!));
  });
});
