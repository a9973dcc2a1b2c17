import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROGRESS_EXPORT_FORMAT, PROGRESS_LIMITS } from '../../src/protocol/progress.ts';
import { MAX_PROBLEMS, validateProgress, validateProgressExport } from '../../src/protocol/validate-progress.ts';

const known = ['why-real-time', 'short-polling', 'sse'];

function problemsOf(value: unknown) {
  const result = validateProgress(value, known);
  assert.equal(result.ok, false, 'expected problems');
  return result.ok ? { problems: [], unknownLessons: [] } : result;
}

describe('validateProgress', () => {
  it('accepts a full progress and returns a normalized copy', () => {
    const result = validateProgress(
      {
        lessons: {
          sse: { visitedAt: 5, completedAt: 9, exercises: { resume: 9 } },
          'short-polling': { uncompletedAt: 3 },
        },
        quiz: [{ id: 'a1', at: 10, score: 4, total: 5, answers: { chat: 'websocket' } }],
        last: { lesson: 'sse', section: 'retry-and-reconnect', at: 11 },
        resetAt: 1,
        epoch: 2,
      },
      known,
    );
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(result.progress.lessons), ['short-polling', 'sse']);
    assert.equal(result.progress.epoch, 2);
  });

  it('accepts the empty progress', () => {
    assert.deepEqual(validateProgress({ lessons: {} }, known), { ok: true, progress: { lessons: {} } });
  });

  it('names unknown lessons, in lessons and in last', () => {
    const { problems, unknownLessons } = problemsOf({
      lessons: { 'lesson-99': { visitedAt: 1 } },
      last: { lesson: 'nope', at: 1 },
    });
    assert.deepEqual(unknownLessons, ['lesson-99', 'nope']);
    assert.deepEqual(
      problems.map((problem) => problem.field),
      ['/lessons/lesson-99', '/last/lesson'],
    );
  });

  it('refuses wrong types, with a JSON Pointer to each', () => {
    const { problems, unknownLessons } = problemsOf({
      lessons: { sse: { visitedAt: '2026-01-01', completedAt: -1, exercises: { 'a/b': 1.5 } } },
      quiz: {},
      resetAt: 1e20,
      epoch: 'one',
    });
    assert.deepEqual(unknownLessons, []);
    assert.deepEqual(
      problems.map((problem) => problem.field),
      ['/lessons/sse/visitedAt', '/lessons/sse/completedAt', '/lessons/sse/exercises/a~1b', '/quiz', '/resetAt', '/epoch'],
    );
  });

  it('refuses what is not an object, and a missing lessons', () => {
    for (const value of [null, [], 'x', 3]) assert.equal(problemsOf(value).problems[0]?.field, '');
    assert.equal(problemsOf({}).problems[0]?.field, '/lessons');
  });

  it('refuses unknown members (a typo is reported, not dropped)', () => {
    assert.deepEqual(
      problemsOf({ lessons: { sse: { completed: 1 } }, lesson: {} }).problems.map((problem) => problem.field),
      ['/lesson', '/lessons/sse/completed'],
    );
  });

  it('refuses too many entries and ids that are too long', () => {
    const exercises = Object.fromEntries(Array.from({ length: PROGRESS_LIMITS.maxExercisesPerLesson + 1 }, (_, i) => [`e${i}`, 1]));
    assert.match(problemsOf({ lessons: { sse: { exercises } } }).problems[0]!.message, /Too many exercises/);

    const quiz = Array.from({ length: PROGRESS_LIMITS.maxQuizAttempts + 1 }, (_, i) => ({
      id: `q${i}`,
      at: 1,
      score: 0,
      total: 1,
      answers: {},
    }));
    assert.match(problemsOf({ lessons: {}, quiz }).problems[0]!.message, /Too many quiz attempts/);

    const longId = 'x'.repeat(PROGRESS_LIMITS.maxIdLength + 1);
    assert.equal(problemsOf({ lessons: { sse: { exercises: { [longId]: 1 } } } }).problems.length, 1);
    assert.equal(
      problemsOf({ lessons: {}, quiz: [{ id: longId, at: 1, score: 0, total: 1, answers: {} }] }).problems[0]?.field,
      '/quiz/0/id',
    );
  });

  it('checks quiz attempts: every member present, score within total', () => {
    const { problems } = problemsOf({
      lessons: {},
      quiz: [
        { id: 'a', at: 1, score: 6, total: 5, answers: { chat: 'websocket' } },
        { id: 'b', at: 1, total: 5, answers: { chat: '' } },
      ],
    });
    assert.deepEqual(
      problems.map((problem) => problem.field),
      ['/quiz/0/score', '/quiz/1/score', '/quiz/1/answers/chat'],
    );
  });

  it('says what a value must be and what it is, or that it is missing, once a field', () => {
    const { problems } = problemsOf({ lessons: { sse: { visitedAt: -1.5 } }, last: { lesson: 'sse' } });
    assert.deepEqual(problems, [
      { field: '/lessons/sse/visitedAt', message: 'A time must be a whole number of ms since 1970 (≥ 0), not -1.5.' },
      { field: '/last/at', message: 'A time must be a whole number of ms since 1970 (≥ 0); it is missing.' },
    ]);
  });

  it('refuses too many quiz answers with one problem, before reading them', () => {
    const answers = Object.fromEntries(Array.from({ length: PROGRESS_LIMITS.maxQuizAnswers + 1 }, (_, i) => [`s${i}`, '']));
    assert.deepEqual(problemsOf({ lessons: {}, quiz: [{ id: 'a', at: 1, score: 0, total: 1, answers }] }).problems, [
      {
        field: '/quiz/0/answers',
        message: `Too many answers: ${PROGRESS_LIMITS.maxQuizAnswers + 1}; at most ${PROGRESS_LIMITS.maxQuizAnswers}.`,
      },
    ]);
  });

  it('stops after a bounded number of problems', () => {
    const lessons = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`unknown-${i}`, {}]));
    const { problems, unknownLessons } = problemsOf({ lessons });
    assert.equal(problems.length, MAX_PROBLEMS);
    assert.equal(unknownLessons.length, MAX_PROBLEMS);
  });
});

describe('validateProgressExport', () => {
  const file = (progress: unknown, extra: object = {}) => ({
    format: PROGRESS_EXPORT_FORMAT,
    version: 1,
    exportedAt: '2026-11-25T10:00:00.000Z',
    progress,
    ...extra,
  });

  it('reads the progress of an exported file', () => {
    const result = validateProgressExport(file({ lessons: { sse: { completedAt: 5 } } }), known);
    assert.deepEqual(result, { ok: true, progress: { lessons: { sse: { completedAt: 5 } } } });
  });

  it('refuses another kind of file, another version, and names fields inside progress', () => {
    const fieldOf = (value: unknown) => {
      const result = validateProgressExport(value, known);
      return result.ok ? undefined : result.problems[0]?.field;
    };
    assert.equal(fieldOf({ lessons: {} }), '/format');
    assert.equal(fieldOf(file({ lessons: {} }, { version: 2 })), '/version');
    assert.equal(fieldOf({ format: PROGRESS_EXPORT_FORMAT, progress: { lessons: {} } }), '/version');
    assert.equal(fieldOf(file({ lessons: {} }, { extra: true })), '/extra');
    assert.equal(fieldOf(file({ lessons: { sse: { visitedAt: 'x' } } })), '/progress/lessons/sse/visitedAt');
  });
});
