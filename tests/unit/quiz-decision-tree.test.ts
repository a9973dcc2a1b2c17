import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionTree } from '../../src/protocol/quiz/data.ts';
import {
  InvalidTreeError,
  allPaths,
  flowchartEdgeId,
  parseDecisionTree,
  toMermaid,
  treeProblems,
  walk,
  type DecisionTree,
  type QuestionNode,
} from '../../src/protocol/quiz/decision-tree.ts';
import { TECHNIQUES, TECHNIQUE_LESSONS } from '../../src/protocol/quiz/techniques.ts';

/** A small valid tree: one question, two leaves. */
function tinyTree(): DecisionTree {
  return {
    start: 'two-way',
    nodes: [
      {
        id: 'two-way',
        kind: 'question',
        text: 'Does the browser talk back?',
        short: 'Talks back?',
        help: 'Chat, games.',
        answers: [
          { id: 'yes', label: 'Yes', short: 'yes', next: 'websocket' },
          { id: 'no', label: 'No', short: 'no', next: 'sse' },
        ],
      },
      { id: 'websocket', kind: 'recommendation', technique: 'websocket', lesson: 'websockets', short: 'WebSockets', why: 'Both ways.' },
      { id: 'sse', kind: 'recommendation', technique: 'sse', lesson: 'server-sent-events', short: 'SSE', why: 'One way.' },
    ],
  };
}

const questions = (tree: DecisionTree) => tree.nodes.filter((node): node is QuestionNode => node.kind === 'question');

describe('the decision tree in content/quiz/decision-tree.json', () => {
  it('is valid: every answer leads to a node, no cycles, every node reachable, every leaf a technique', () => {
    assert.deepEqual(treeProblems(decisionTree), []);
  });

  it('reaches every leaf by some path, and every path ends at a leaf', () => {
    const paths = allPaths(decisionTree);
    const reached = new Set(paths.map((answers) => walk(decisionTree, answers).recommendation?.id));
    const leaves = decisionTree.nodes.filter((node) => node.kind === 'recommendation').map((node) => node.id);
    assert.deepEqual([...reached].sort(), [...leaves].sort());
    assert.equal(paths.length, leaves.length, 'a tree: one path per leaf');
  });

  it('asks every question on some path, and uses every answer of it', () => {
    const used = new Set<string>();
    for (const answers of allPaths(decisionTree)) {
      for (const step of walk(decisionTree, answers).steps) used.add(`${step.question.id}=${step.answer.id}`);
    }
    for (const question of questions(decisionTree)) {
      assert.ok(question.answers.length >= 2, `${question.id} offers a choice`);
      for (const answer of question.answers)
        assert.ok(used.has(`${question.id}=${answer.id}`), `${question.id} → ${answer.id} is on a path`);
    }
  });

  it('recommends each of the four techniques somewhere, linking to its lesson', () => {
    const leaves = decisionTree.nodes.filter((node) => node.kind === 'recommendation');
    for (const technique of TECHNIQUES) {
      const leaf = leaves.find((node) => node.technique === technique);
      assert.ok(leaf, `${technique} is recommended by some path`);
      assert.equal(leaf.lesson, TECHNIQUE_LESSONS[technique]);
    }
  });

  it('starts with the question the field asks first: must the browser talk back on the same channel?', () => {
    const first = walk(decisionTree, {}).node;
    assert.equal(first.kind, 'question');
    assert.match(first.kind === 'question' ? first.text : '', /browser send real-time messages/);
  });
});

describe('treeProblems on broken trees', () => {
  it('accepts a small valid tree', () => {
    assert.deepEqual(treeProblems(tinyTree()), []);
  });

  it('finds an answer that leads nowhere', () => {
    const tree = tinyTree();
    (tree.nodes[0] as QuestionNode).answers[1].next = 'nowhere';
    assert.deepEqual(treeProblems(tree), ['answer "no" of "two-way" leads to "nowhere", which is not a node']);
  });

  it('finds a node that cannot be reached', () => {
    const tree = tinyTree();
    tree.nodes.push({
      id: 'short-polling',
      kind: 'recommendation',
      technique: 'short-polling',
      lesson: 'short-polling',
      short: 'Poll',
      why: 'Slow.',
    });
    assert.deepEqual(treeProblems(tree), ['node "short-polling" cannot be reached from the start']);
  });

  it('finds a cycle', () => {
    const tree = tinyTree();
    tree.nodes.push({
      id: 'again',
      kind: 'question',
      text: 'Again?',
      short: 'Again?',
      help: 'Loops.',
      answers: [
        { id: 'yes', label: 'Yes', short: 'yes', next: 'two-way' },
        { id: 'no', label: 'No', short: 'no', next: 'sse' },
      ],
    });
    (tree.nodes[0] as QuestionNode).answers[1].next = 'again';
    const problems = treeProblems(tree);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /comes back to "two-way" \(a cycle\)/);
  });

  it('finds a question with one answer, two answers with one id, and two answers to one node', () => {
    const one = tinyTree();
    (one.nodes[0] as QuestionNode).answers.pop();
    assert.deepEqual(treeProblems(one), ['question "two-way" needs at least two answers']);

    const twins = tinyTree();
    (twins.nodes[0] as QuestionNode).answers[1].id = 'yes';
    assert.deepEqual(treeProblems(twins), ['question "two-way" has two answers "yes"']);

    const same = tinyTree();
    (same.nodes[0] as QuestionNode).answers[1].next = 'websocket';
    assert.ok(treeProblems(same).includes('two answers of "two-way" lead to "websocket"'));
  });

  it('finds a leaf without a technique, or with the wrong lesson', () => {
    const tree = tinyTree();
    Object.assign(tree.nodes[1], { technique: 'carrier-pigeon' });
    Object.assign(tree.nodes[2], { lesson: 'websockets' });
    assert.deepEqual(treeProblems(tree), [
      'leaf "websocket": technique "carrier-pigeon" is not one of short-polling, long-polling, sse, websocket',
      'leaf "sse": sse is taught in lesson "server-sent-events", not "websockets"',
    ]);
  });

  it('finds missing texts, bad ids, duplicate ids and a bad start', () => {
    const tree = tinyTree();
    Object.assign(tree.nodes[1], { why: '' });
    Object.assign(tree.nodes[2], { id: 'Not Kebab' });
    tree.start = 'missing';
    const problems = treeProblems(tree);
    assert.ok(problems.includes('"websocket" needs a non-empty `why`'), problems.join('\n'));
    assert.ok(problems.some((problem) => /must be kebab-case/.test(problem)));
    assert.ok(problems.includes('start "missing" is not a node'));

    const twice = tinyTree();
    Object.assign(twice.nodes[2], { id: 'websocket' });
    assert.ok(treeProblems(twice).includes('node id "websocket" is used twice'));

    const keyword = tinyTree();
    Object.assign(keyword.nodes[2], { id: 'end' });
    (keyword.nodes[0] as QuestionNode).answers[1].next = 'end';
    assert.deepEqual(treeProblems(keyword), ['nodes[2]: id "end" is a mermaid keyword']);
  });

  it('rejects what is not a tree at all', () => {
    assert.deepEqual(treeProblems(null), ['expected an object with `start` and a `nodes` array']);
    assert.throws(() => parseDecisionTree({ nodes: [] }), InvalidTreeError);
  });
});

describe('walk', () => {
  it('follows answers to a recommendation, step by step', () => {
    const result = walk(decisionTree, { 'two-way': 'yes', 'ws-blocked': 'no' });
    assert.deepEqual(
      result.steps.map((step) => [step.question.id, step.answer.id]),
      [
        ['two-way', 'yes'],
        ['ws-blocked', 'no'],
      ],
    );
    assert.equal(result.recommendation?.technique, 'websocket');
    assert.deepEqual(result.unused, []);
  });

  it('stops at the first unanswered question, and reports answers it never used', () => {
    const result = walk(decisionTree, { 'two-way': 'no', 'ws-blocked': 'yes' });
    assert.equal(result.node.id, 'freshness');
    assert.equal(result.recommendation, undefined);
    assert.deepEqual(result.unused, ['ws-blocked']);
  });

  it('refuses an answer the question does not offer', () => {
    assert.throws(() => walk(decisionTree, { 'two-way': 'maybe' }), /has no answer "maybe"/);
  });
});

describe('toMermaid', () => {
  const source = toMermaid(decisionTree, { title: 'Choosing', description: 'Seven questions.' });

  it('writes a top-down flowchart with the accessible title and description', () => {
    const lines = source.split('\n');
    assert.ok(lines.includes('flowchart TD'));
    assert.ok(lines.includes('  accTitle: Choosing'));
    assert.ok(lines.includes('  accDescr: Seven questions.'));
  });

  it('declares every node by its tree id, and one edge per answer', () => {
    for (const node of decisionTree.nodes) {
      assert.match(source, new RegExp(`^  ${node.id}[[(]"`, 'm'), `${node.id} is declared`);
    }
    for (const question of questions(decisionTree)) {
      for (const answer of question.answers) {
        assert.ok(source.includes(`  ${question.id} -->|"${answer.short}"| ${answer.next}`), `${question.id} → ${answer.next}`);
      }
    }
  });

  it('keeps labels short enough for a phone, and marks leaves by technique', () => {
    for (const match of source.matchAll(/"([^"]*)"/g)) {
      for (const line of match[1].split('<br>')) assert.ok(line.length <= 16, `"${line}" fits on a line`);
    }
    assert.match(source, /^ {2}class .*\bsse\b.* technique-sse$/m);
    assert.match(source, /^ {2}class .* leaf$/m);
  });

  it('escapes quotes in labels', () => {
    const tree = tinyTree();
    Object.assign(tree.nodes[1], { short: 'Say "hi"' });
    assert.ok(toMermaid(tree).includes('websocket("Say #quot;hi#quot;")'));
  });

  it('names edges the way mermaid ids them in the SVG', () => {
    assert.equal(flowchartEdgeId('two-way', 'ws-blocked'), 'L_two-way_ws-blocked_0');
  });
});
