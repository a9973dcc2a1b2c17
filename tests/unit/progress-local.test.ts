import assert from 'node:assert/strict';
import { beforeEach, describe, it, mock } from 'node:test';
import {
  adoptProgress,
  exportProgress,
  importProgress,
  lessonState,
  markComplete,
  markExerciseDone,
  markIncomplete,
  markVisited,
  onLocalChange,
  progress,
  readProgress,
  recordQuizAttempt,
  resetProgress,
} from '../../src/progress/local-progress.ts';
import { mergeProgress } from '../../src/protocol/merge-progress.ts';
import type { Progress } from '../../src/protocol/progress.ts';

// Node has no localStorage: the store keeps the progress in memory, which is what these tests exercise.
describe('local progress (the actions the islands and widgets call)', () => {
  // Replacing bumps the epoch, so each test starts empty whatever the last one left.
  beforeEach(() => importProgress({ lessons: {} }, 'replace'));
  /** Adopts `copy` as if the server sent it: same epoch as here (a lower one would be ignored outright). */
  const adopt = (copy: Progress) => adoptProgress({ ...copy, epoch: readProgress().epoch });

  it('marks visits, completion, undo and exercises, and publishes each change', () => {
    const seen: string[] = [];
    const stop = onLocalChange((next) => seen.push(lessonState(next, 'sse')));

    markVisited('sse', 'retry');
    assert.equal(lessonState(progress.value, 'sse'), 'in-progress');
    assert.deepEqual(readProgress().last?.section, 'retry');
    markComplete('sse');
    markComplete('sse'); // already complete: no change, no event
    markIncomplete('sse');
    markExerciseDone('sse', 'resume');
    stop();

    assert.deepEqual(seen, ['in-progress', 'complete', 'in-progress', 'complete']);
    assert.ok(readProgress().lessons.sse?.exercises?.resume);
  });

  it('lets the reader undo a completion stamped by a clock ahead of this one', () => {
    adopt({ lessons: { sse: { completedAt: Date.now() + 3_600_000 } } });
    assert.equal(lessonState(readProgress(), 'sse'), 'complete');
    markIncomplete('sse');
    assert.equal(lessonState(readProgress(), 'sse'), 'not-started');
    // And the undo survives merging with the stale copy again.
    const stale = {
      ...readProgress(),
      lessons: { sse: { completedAt: readProgress().lessons.sse!.uncompletedAt! - 1 } },
    };
    assert.equal(lessonState(mergeProgress(readProgress(), stale), 'sse'), 'not-started');
  });

  it('records after a reset stamped in the future, instead of vanishing', () => {
    adopt({ lessons: {}, resetAt: Date.now() + 3_600_000 });
    markVisited('websockets');
    markComplete('websockets');
    recordQuizAttempt({ id: 'q1', at: Date.now(), score: 3, total: 4, answers: { chat: 'websocket' } });
    assert.equal(lessonState(readProgress(), 'websockets'), 'complete');
    assert.equal(readProgress().quiz?.length, 1);
  });

  it('adopting the server copy changes the progress but is not a local change', () => {
    const listener = mock.fn();
    const stop = onLocalChange(listener);
    adopt({ lessons: { 'short-polling': { completedAt: 10 } } });
    stop();
    assert.equal(listener.mock.callCount(), 0);
    assert.equal(lessonState(progress.value, 'short-polling'), 'complete');
  });

  it('resets, exports and imports (merge keeps both sides; replace keeps the file)', () => {
    markComplete('sse');
    const file = exportProgress(new Date('2026-11-25T10:00:00Z'));
    assert.equal(file.format, 'realtime-workbook-progress');
    assert.equal(file.exportedAt, '2026-11-25T10:00:00.000Z');

    resetProgress();
    assert.deepEqual(readProgress().lessons, {});
    // The file is older than the reset: merging brings nothing back…
    assert.equal(importProgress(file.progress, 'merge'), false);
    assert.equal(lessonState(readProgress(), 'sse'), 'not-started');
    // …replacing does.
    assert.equal(importProgress(file.progress, 'replace'), true);
    assert.equal(lessonState(readProgress(), 'sse'), 'complete');

    markVisited('websockets');
    importProgress({ lessons: { 'short-polling': { completedAt: 1 } } }, 'merge');
    assert.deepEqual(Object.keys(readProgress().lessons), ['short-polling', 'sse', 'websockets']);
  });
});
