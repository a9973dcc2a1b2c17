import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeProgress } from '../../server/workshops/progress-summary.ts';

describe('summarizeProgress', () => {
  it('keeps the latest attempt and works out its points from the answers, half a point per acceptable pick', () => {
    const summary = summarizeProgress({
      lessons: { 'short-polling': { visitedAt: 1, completedAt: 2 }, 'long-polling': { visitedAt: 3 } },
      quiz: [
        // 'short-polling' is acceptable for the payment page, 'websocket' the best fit for support chat.
        {
          id: 'late',
          at: 20,
          score: 1,
          total: 3,
          answers: { 'payment-confirmation': 'short-polling', 'support-chat': 'websocket', 'ci-build-logs': 'websocket' },
        },
        { id: 'early', at: 10, score: 0, total: 1, answers: { 'support-chat': 'long-polling' } },
      ],
    });
    assert.deepEqual(summary.completed, { 'short-polling': 2 });
    assert.deepEqual(summary.quiz, {
      at: 20,
      score: 1,
      points: 1.5,
      total: 3,
      answers: { 'payment-confirmation': 'short-polling', 'support-chat': 'websocket', 'ci-build-logs': 'websocket' },
    });
  });

  it('gives no points for scenarios it does not know', () => {
    const summary = summarizeProgress({ lessons: {}, quiz: [{ id: 'a', at: 1, score: 1, total: 1, answers: { retired: 'sse' } }] });
    assert.equal(summary.quiz?.points, 0);
  });
});
