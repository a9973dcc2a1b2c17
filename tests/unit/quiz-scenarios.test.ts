import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionTree, scenarios } from '../../src/protocol/quiz/data.ts';
import { walk } from '../../src/protocol/quiz/decision-tree.ts';
import {
  InvalidScenariosError,
  PARTIAL_CREDIT,
  creditOf,
  formatPoints,
  missedScenarios,
  parseScenarios,
  passMark,
  scenarioProblems,
  scoreAttempt,
  verdictOf,
  type Picks,
  type Scenario,
} from '../../src/protocol/quiz/scenarios.ts';
import { TECHNIQUES, type Technique } from '../../src/protocol/quiz/techniques.ts';

/** A pick that earns nothing for `scenario`: neither its answer nor an acceptable technique. */
function wrongPick(scenario: Scenario): Technique {
  return TECHNIQUES.find((technique) => verdictOf(scenario, technique) === 'wrong')!;
}

/** A valid raw scenario for the real tree, to break in the tests. */
function rawScenario(): Record<string, unknown> {
  return structuredClone({ ...scenarios[0] }) as unknown as Record<string, unknown>;
}

describe('the scenarios in content/quiz/scenarios.json', () => {
  it('are at least 12, with unique ids', () => {
    assert.ok(scenarios.length >= 12, `${scenarios.length} scenarios`);
    assert.equal(new Set(scenarios.map((scenario) => scenario.id)).size, scenarios.length);
  });

  it('each lead through the decision tree to their right technique, using every answer they give', () => {
    for (const scenario of scenarios) {
      const result = walk(decisionTree, scenario.path);
      assert.equal(result.recommendation?.technique, scenario.answer, `${scenario.id} reaches ${scenario.answer}`);
      assert.deepEqual(result.unused, [], `${scenario.id} gives no answer the path skips`);
    }
  });

  it('have feedback for all four techniques', () => {
    for (const scenario of scenarios) {
      assert.deepEqual(Object.keys(scenario.feedback).sort(), [...TECHNIQUES].sort(), scenario.id);
      for (const technique of TECHNIQUES) assert.ok(scenario.feedback[technique].length > 40, `${scenario.id}: ${technique}`);
    }
  });

  it('have each technique as the right answer at least twice, and cover every leaf of the tree', () => {
    for (const technique of TECHNIQUES) {
      assert.ok(scenarios.filter((scenario) => scenario.answer === technique).length >= 2, technique);
    }
    const leaves = new Set(scenarios.map((scenario) => walk(decisionTree, scenario.path).recommendation?.id));
    for (const node of decisionTree.nodes)
      if (node.kind === 'recommendation') assert.ok(leaves.has(node.id), `a scenario ends at ${node.id}`);
  });

  it('accept other techniques only where the feedback says they work too, and the decision tree still leads to the best fit', () => {
    const withAcceptable = scenarios.filter((scenario) => (scenario.acceptable ?? []).length > 0);
    // The review of issue 12: polling every second for a payment is sound, and presence works over SSE with heartbeats.
    assert.deepEqual(Object.fromEntries(withAcceptable.map((scenario) => [scenario.id, scenario.acceptable])), {
      'payment-confirmation': ['short-polling'],
      'support-chat': ['sse'],
      'presence-dots': ['sse'],
    });
    for (const scenario of withAcceptable) {
      for (const technique of scenario.acceptable!) {
        assert.notEqual(technique, scenario.answer);
        assert.match(
          scenario.feedback[technique],
          /also|half a point/i,
          `${scenario.id}: the feedback for ${technique} says it's acceptable`,
        );
      }
    }
  });

  it('include the situations the issue names', () => {
    const titles = scenarios.map((scenario) => scenario.title.toLowerCase()).join(' | ');
    for (const words of [
      'payment',
      'build logs',
      'support chat',
      'proxy',
      'stock ticker',
      'cursors',
      'notification badge',
      'ai tokens',
      'multiplayer',
      'nightly import',
      'presence',
      'sports score',
    ]) {
      assert.ok(titles.includes(words), `a scenario about ${words}`);
    }
  });
});

describe('scenarioProblems', () => {
  it('accepts the real file', () => {
    assert.deepEqual(scenarioProblems({ scenarios }, decisionTree), []);
  });

  it('finds a path that leads to another technique than the answer', () => {
    const scenario = { ...rawScenario(), answer: 'websocket' };
    assert.deepEqual(scenarioProblems({ scenarios: [scenario] }, decisionTree), [
      'scenario "payment-confirmation": its path leads to long-polling ("long-polling-once"), not websocket',
    ]);
  });

  it('finds a path that stops short, or answers questions it never reaches', () => {
    const short = { ...rawScenario(), path: { 'two-way': 'no' } };
    assert.deepEqual(scenarioProblems({ scenarios: [short] }, decisionTree), [
      'scenario "payment-confirmation": its path stops at question "freshness" without a recommendation',
    ]);
    const extra = rawScenario();
    (extra.path as Record<string, string>)['fan-out'] = 'yes';
    assert.deepEqual(scenarioProblems({ scenarios: [extra] }, decisionTree), [
      'scenario "payment-confirmation": its path answers questions it never reaches: fan-out',
    ]);
  });

  it('finds acceptable techniques that are unknown, repeated or the answer itself', () => {
    const bad = { ...rawScenario(), acceptable: ['short-polling', 'short-polling', 'long-polling', 'fax'] };
    assert.deepEqual(scenarioProblems({ scenarios: [bad] }, decisionTree), [
      'scenario "payment-confirmation": short-polling is acceptable twice',
      'scenario "payment-confirmation": long-polling is the answer, not merely acceptable',
      'scenario "payment-confirmation": acceptable "fax" is not one of short-polling, long-polling, sse, websocket',
    ]);
    assert.deepEqual(scenarioProblems({ scenarios: [{ ...rawScenario(), acceptable: 'sse' }] }, decisionTree), [
      'scenario "payment-confirmation": acceptable must be an array of techniques',
    ]);
  });

  it('finds missing feedback, an unknown technique, duplicate ids and an unknown answer', () => {
    const noFeedback = rawScenario();
    delete (noFeedback.feedback as Record<string, string>).sse;
    const twice = rawScenario();
    const badAnswer = { ...rawScenario(), id: 'bad-answer', path: { 'two-way': 'perhaps' } };
    const problems = scenarioProblems({ scenarios: [noFeedback, twice, badAnswer] }, decisionTree);
    assert.deepEqual(problems, [
      'scenario "payment-confirmation" has no feedback for Server-Sent Events',
      'scenario "payment-confirmation" appears twice',
      'scenario "bad-answer": Question "two-way" has no answer "perhaps"',
    ]);
    assert.throws(() => parseScenarios({ scenarios: [{ ...rawScenario(), answer: 'fax' }] }, decisionTree), InvalidScenariosError);
  });
});

describe('scoring', () => {
  const rightPicks = (list: readonly Scenario[]): Record<string, Technique> =>
    Object.fromEntries(list.map((scenario) => [scenario.id, scenario.answer]));

  it('counts the right picks and lists the missed ones in quiz order', () => {
    const picks: Record<string, Technique> = rightPicks(scenarios);
    const [first, , third] = scenarios;
    picks[first.id] = wrongPick(first);
    delete picks[third.id];
    const result = scoreAttempt(scenarios, picks);
    assert.equal(result.total, scenarios.length);
    assert.equal(result.score, scenarios.length - 2);
    assert.equal(result.points, scenarios.length - 2);
    assert.deepEqual(result.missed, [first.id, third.id]);
    assert.deepEqual(result.acceptable, []);
    assert.equal(result.correct.length, scenarios.length - 2);
    assert.deepEqual(
      missedScenarios(scenarios, picks).map((scenario) => scenario.id),
      [first.id, third.id],
    );
  });

  it('gives half a point for an acceptable pick, which is not missed', () => {
    const payment = scenarios.find((scenario) => scenario.id === 'payment-confirmation')!;
    assert.deepEqual(
      TECHNIQUES.map((technique) => [technique, verdictOf(payment, technique), creditOf(payment, technique)]),
      [
        ['short-polling', 'acceptable', PARTIAL_CREDIT],
        ['long-polling', 'right', 1],
        ['sse', 'wrong', 0],
        ['websocket', 'wrong', 0],
      ],
    );
    assert.equal(verdictOf(payment, undefined), 'wrong');

    const picks = rightPicks(scenarios);
    picks[payment.id] = 'short-polling';
    const result = scoreAttempt(scenarios, picks);
    assert.deepEqual(
      [result.score, result.points, result.acceptable, result.missed],
      [scenarios.length - 1, scenarios.length - 0.5, [payment.id], []],
    );
    assert.deepEqual(missedScenarios(scenarios, picks), []);
  });

  it('shows half points as ½', () => {
    assert.deepEqual([0, 0.5, 1, 9.5, 12].map(formatPoints), ['0', '½', '1', '9½', '12']);
  });

  it('scores a perfect round and an empty one', () => {
    assert.equal(scoreAttempt(scenarios, rightPicks(scenarios)).score, scenarios.length);
    assert.deepEqual(missedScenarios(scenarios, rightPicks(scenarios)), []);
    const none: Picks = {};
    assert.deepEqual(scoreAttempt(scenarios, none).score, 0);
    assert.equal(missedScenarios(scenarios, none).length, scenarios.length);
  });

  it('scores a retry round on its own scenarios only', () => {
    const retry = scenarios.slice(0, 3);
    const result = scoreAttempt(retry, rightPicks(retry));
    assert.deepEqual([result.score, result.total], [3, 3]);
  });

  it('passes a round at 10 points of 12, or the same share rounded up', () => {
    assert.equal(passMark(12), 10);
    assert.equal(passMark(14), 12);
    assert.equal(passMark(6), 5);
    assert.equal(passMark(1), 1);
  });
});
