import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionTree, scenarios } from '../../src/protocol/quiz/data.ts';
import { PARTIAL_CREDIT, passMark, verdictOf, type Scenario } from '../../src/protocol/quiz/scenarios.ts';
import { TECHNIQUES, type Technique } from '../../src/protocol/quiz/techniques.ts';
import { createQuizModel, type RoundResult } from '../../src/widgets/choosing/quiz-model.ts';
import { createWalkerModel } from '../../src/widgets/choosing/walker-model.ts';

describe('the walker model', () => {
  it('asks one question at a time, goes back one answer, and starts over', () => {
    const walker = createWalkerModel(decisionTree);
    assert.equal(walker.position.value.node.id, 'two-way');
    assert.deepEqual(walker.highlight.value, { nodes: ['two-way'], edges: [], current: 'two-way', atStart: true });

    walker.answer('yes');
    walker.answer('no');
    assert.equal(walker.position.value.recommendation?.technique, 'websocket');
    assert.deepEqual(walker.highlight.value, {
      nodes: ['two-way', 'ws-blocked', 'websocket'],
      edges: ['L_two-way_ws-blocked_0', 'L_ws-blocked_websocket_0'],
      current: 'websocket',
      atStart: false,
    });

    walker.answer('yes'); // a leaf asks nothing: ignored
    assert.equal(walker.position.value.node.id, 'websocket');

    walker.back();
    assert.equal(walker.position.value.node.id, 'ws-blocked');
    walker.answer('maybe'); // not an answer of this question: ignored
    assert.equal(walker.position.value.node.id, 'ws-blocked');

    walker.restart();
    assert.equal(walker.position.value.node.id, 'two-way');
    walker.back(); // nothing to take back
    assert.deepEqual(walker.answers.value, {});
  });
});

describe('the quiz model', () => {
  /** A pick that earns nothing: neither the answer nor an acceptable technique. */
  const wrong = (scenario: Scenario): Technique => TECHNIQUES.find((technique) => verdictOf(scenario, technique) === 'wrong')!;

  function playRound(quiz: ReturnType<typeof createQuizModel>, missIds: Set<string>, halfIds = new Set<string>()): void {
    for (const scenario of quiz.round.value) {
      assert.equal(quiz.current.value.id, scenario.id);
      quiz.pick(missIds.has(scenario.id) ? wrong(scenario) : halfIds.has(scenario.id) ? scenario.acceptable![0] : scenario.answer);
      quiz.pick(scenario.answer); // only the first pick counts
      assert.equal(quiz.phase.value, 'feedback');
      quiz.next();
    }
  }

  it('scores a round, retries the missed ones, and reports each finished round once', () => {
    const finished: RoundResult[] = [];
    const quiz = createQuizModel(scenarios, { onRoundFinished: (result) => finished.push(result) });
    const missed = new Set(scenarios.slice(0, 3).map((scenario) => scenario.id));

    playRound(quiz, missed);
    assert.equal(quiz.phase.value, 'finished');
    assert.equal(finished.length, 1);
    assert.deepEqual(
      [finished[0].kind, finished[0].score, finished[0].total, finished[0].passed],
      ['full', scenarios.length - 3, scenarios.length, false],
    );
    assert.deepEqual(new Set(finished[0].missed), missed);
    assert.equal(finished[0].picks[scenarios[0].id], wrong(scenarios[0]));

    quiz.retryMissed();
    assert.equal(quiz.kind.value, 'retry');
    assert.deepEqual(
      quiz.round.value.map((scenario) => scenario.id),
      [...missed],
    );
    playRound(quiz, new Set([scenarios[1].id]));
    assert.deepEqual([finished[1].score, finished[1].total, finished[1].passed], [2, 3, false]);

    quiz.retryMissed();
    assert.deepEqual(
      quiz.round.value.map((scenario) => scenario.id),
      [scenarios[1].id],
    );
    playRound(quiz, new Set());
    assert.deepEqual([finished[2].kind, finished[2].score, finished[2].total, finished[2].passed], ['retry', 1, 1, true]);
    quiz.next(); // nothing to move on to
    assert.equal(finished.length, 3);

    quiz.restart();
    assert.deepEqual([quiz.kind.value, quiz.index.value, quiz.round.value.length, quiz.result.value], ['full', 0, scenarios.length, null]);
  });

  it('passes a first round at the pass mark', () => {
    const finished: RoundResult[] = [];
    const quiz = createQuizModel(scenarios, { onRoundFinished: (result) => finished.push(result) });
    playRound(quiz, new Set(scenarios.slice(0, 2).map((scenario) => scenario.id)));
    assert.equal(finished[0].passed, true, `${scenarios.length - 2} of ${scenarios.length} passes`);
  });

  it('counts an acceptable pick as half a point toward the pass mark, and never retries it', () => {
    const finished: RoundResult[] = [];
    const quiz = createQuizModel(scenarios, { onRoundFinished: (result) => finished.push(result) });
    const halfIds = new Set(scenarios.filter((scenario) => (scenario.acceptable ?? []).length > 0).map((scenario) => scenario.id));
    assert.ok(halfIds.size >= 2, 'scenarios with an acceptable technique');
    const other = scenarios.find((scenario) => !halfIds.has(scenario.id))!;

    playRound(quiz, new Set(), halfIds);
    assert.equal(quiz.runningScore.value, scenarios.length - halfIds.size * PARTIAL_CREDIT);
    const [first] = finished;
    assert.equal(first.points, scenarios.length - halfIds.size * PARTIAL_CREDIT);
    assert.equal(first.score, scenarios.length - halfIds.size, 'the saved score counts the best fits only');
    assert.deepEqual(new Set(first.acceptable), halfIds);
    assert.deepEqual(first.missed, []);
    assert.equal(first.passed, first.points >= passMark(scenarios.length));
    quiz.retryMissed(); // nothing missed: no retry round
    assert.equal(quiz.phase.value, 'finished');

    quiz.restart();
    playRound(quiz, new Set([other.id]), halfIds);
    assert.equal(finished[1].points, scenarios.length - 1 - halfIds.size * PARTIAL_CREDIT);
    assert.equal(finished[1].passed, finished[1].points >= passMark(scenarios.length));
    quiz.retryMissed();
    assert.deepEqual(
      quiz.round.value.map((scenario) => scenario.id),
      [other.id],
      'only the scenario that earned nothing is retried',
    );
  });
});
