import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STEPS } from '../../../src/widgets/why-real-time/freshness-cost.ts';
import { EXACT_ANSWERS, SLIDER_ANSWERS, checkAnswer, parseNumber } from '../../../src/widgets/why-real-time/freshness-exercise.ts';

describe('lesson 1 exercise answers', () => {
  it('solves the calculator’s formulas: 3.96 s, 19.8 s and 2,188 changes an hour', () => {
    assert.ok(Math.abs(EXACT_ANSWERS.interval - 3.96) < 1e-9);
    assert.ok(Math.abs(EXACT_ANSWERS.staleness - 19.8) < 1e-9);
    assert.ok(Math.abs(EXACT_ANSWERS.changes - 2_188) < 1e-9);
  });

  it('finds each answer on a slider step: 3 s, 20 s (a 40 s interval) and 2,200 an hour', () => {
    assert.deepEqual(SLIDER_ANSWERS, { interval: 3, staleness: 20, changes: 2_200 });
    assert.ok((STEPS.intervalSeconds as readonly number[]).includes(2 * SLIDER_ANSWERS.staleness));
    assert.ok((STEPS.eventsPerHour as readonly number[]).includes(SLIDER_ANSWERS.changes));
  });

  it('accepts the slider’s answer, the exact one, and anything between', () => {
    for (const value of [3, 3.5, 3.96]) assert.equal(checkAnswer('interval', value).correct, true, `interval ${value}`);
    for (const value of [19.8, 20]) assert.equal(checkAnswer('staleness', value).correct, true, `staleness ${value}`);
    for (const value of [2_188, 2_200]) assert.equal(checkAnswer('changes', value).correct, true, `changes ${value}`);
  });

  it('refuses an answer that misses the condition, and says what the calculator shows there', () => {
    assert.deepEqual(checkAnswer('interval', 4), {
      correct: false,
      explanation: 'Every 4 s, polling moves 990 MB an hour: under 1 GB. Poll more often.',
    });
    assert.match(checkAnswer('staleness', 15).explanation, /132 MB an hour, over the budget/);
    assert.match(checkAnswer('changes', 1_800).explanation, /push still moves less/);
  });

  it('refuses an answer that meets the condition but a slider step beats', () => {
    assert.match(checkAnswer('interval', 2).explanation, /3 s still moves 1.32 GB/);
    // The old answer key's 30 s: within budget, but a 40 s interval gives 20 s.
    assert.equal(checkAnswer('staleness', 30).correct, false);
    assert.equal(checkAnswer('changes', 3_600).correct, false);
  });

  it('refuses what is not a positive number', () => {
    for (const value of [Number.NaN, 0, -3]) assert.equal(checkAnswer('interval', value).correct, false);
  });
});

describe('parseNumber', () => {
  it('reads thousands separators, a decimal comma and a trailing unit', () => {
    assert.equal(parseNumber('2,188'), 2_188);
    assert.equal(parseNumber(' 2188 '), 2_188);
    assert.equal(parseNumber('19,8'), 19.8);
    assert.equal(parseNumber('20 s'), 20);
    assert.ok(Number.isNaN(parseNumber('')));
    assert.ok(Number.isNaN(parseNumber('soon')));
  });
});
