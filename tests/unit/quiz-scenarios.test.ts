import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionTree, scenarios } from '../../src/quiz/data.ts';
import { walk } from '../../src/quiz/decision-tree.ts';
import {
  InvalidScenariosError,
  missedScenarios,
  parseScenarios,
  passMark,
  scenarioProblems,
  scoreAttempt,
  type Picks,
  type Scenario,
} from '../../src/quiz/scenarios.ts';
import { TECHNIQUES, type Technique } from '../../src/quiz/techniques.ts';

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
    for (const node of decisionTree.nodes) if (node.kind === 'recommendation') assert.ok(leaves.has(node.id), `a scenario ends at ${node.id}`);
  });

  it('include the situations the issue names', () => {
    const titles = scenarios.map((scenario) => scenario.title.toLowerCase()).join(' | ');
    for (const words of ['payment', 'build logs', 'support chat', 'proxy', 'stock ticker', 'cursors', 'notification badge', 'ai tokens', 'multiplayer', 'nightly import', 'presence', 'sports score']) {
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
    picks[first.id] = TECHNIQUES.find((technique) => technique !== first.answer)!;
    delete picks[third.id];
    const result = scoreAttempt(scenarios, picks);
    assert.equal(result.total, scenarios.length);
    assert.equal(result.score, scenarios.length - 2);
    assert.deepEqual(result.missed, [first.id, third.id]);
    assert.equal(result.correct.length, scenarios.length - 2);
    assert.deepEqual(
      missedScenarios(scenarios, picks).map((scenario) => scenario.id),
      [first.id, third.id],
    );
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

  it('passes a round at 10 of 12, or the same share rounded up', () => {
    assert.equal(passMark(12), 10);
    assert.equal(passMark(14), 12);
    assert.equal(passMark(6), 5);
    assert.equal(passMark(1), 1);
  });
});
