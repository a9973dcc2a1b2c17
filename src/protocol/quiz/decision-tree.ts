/**
 * The decision tree of lesson 9: which technique fits a situation. The tree is
 * data (content/quiz/decision-tree.json); this module checks it, walks it and
 * turns it into a mermaid flowchart, so that the walker widget and the lesson's
 * diagram are built from the same nodes and cannot disagree.
 *
 * Imports nothing from the DOM, Node or Astro: the build, the browser and the
 * unit tests all use it.
 */
import { TECHNIQUES, TECHNIQUE_LESSONS, isTechnique, type Technique } from './techniques.ts';

/** One way to answer a question. */
export interface Answer {
  /** Unique within its question, e.g. `yes`. Scenarios name answers by it. */
  id: string;
  /** The button text in the walker. */
  label: string;
  /** The edge label in the flowchart: a word or two, so it reads on a phone. */
  short: string;
  /** The id of the node this answer leads to. */
  next: string;
}

export interface QuestionNode {
  /** Kebab-case; also the node's id in the flowchart. */
  id: string;
  kind: 'question';
  /** The question as the walker asks it. */
  text: string;
  /** The question in a few words, for the flowchart. */
  short: string;
  /** What to consider, with examples. */
  help: string;
  /** At least two, each leading to a different node. */
  answers: Answer[];
}

/** A leaf: the technique to use, and why. */
export interface RecommendationNode {
  id: string;
  kind: 'recommendation';
  technique: Technique;
  /** Slug of the lesson that teaches the technique (see TECHNIQUE_LESSONS). */
  lesson: string;
  /** The leaf's label in the flowchart. */
  short: string;
  /** Why this technique fits the answers that lead here. */
  why: string;
}

export type TreeNode = QuestionNode | RecommendationNode;

export interface DecisionTree {
  /** The id of the first question. */
  start: string;
  nodes: TreeNode[];
}

/** An answered question on a path through the tree. */
export interface Step {
  question: QuestionNode;
  answer: Answer;
}

/** Where a set of answers leads. */
export interface TreeWalk {
  /** The questions answered on the way, in order. */
  steps: Step[];
  /** The node reached: the next question to ask, or the recommendation. */
  node: TreeNode;
  /** Set when the walk reached a leaf. */
  recommendation?: RecommendationNode;
  /** Question ids in the answers that the path never asked. */
  unused: string[];
}

/** Kebab-case, so ids work unchanged as mermaid node ids and in `data-` attributes. */
const NODE_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Words mermaid's flowchart grammar reserves; a node with one of these ids breaks the diagram. */
const MERMAID_KEYWORDS = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'style',
  'class',
  'classdef',
  'click',
  'linkstyle',
  'default',
  'direction',
]);

/** Thrown by {@link parseDecisionTree}; lists every problem found, not just the first. */
export class InvalidTreeError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`The decision tree is invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidTreeError';
    this.problems = problems;
  }
}

/** Checks `data` and returns it typed, or throws {@link InvalidTreeError}. */
export function parseDecisionTree(data: unknown): DecisionTree {
  const problems = treeProblems(data);
  if (problems.length > 0) throw new InvalidTreeError(problems);
  return data as DecisionTree;
}

/**
 * Everything wrong with `data` as a decision tree; empty when it is valid:
 * well-formed nodes with unique ids; a start question; every answer leading to
 * an existing node, each answer of a question to a different one; no cycles;
 * every node reachable from the start; every leaf naming a technique and its lesson.
 */
export function treeProblems(data: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(data) || !Array.isArray(data.nodes)) return ['expected an object with `start` and a `nodes` array'];

  const nodes = new Map<string, TreeNode>();
  // Ids of every node, well-formed or not, so that one broken node is reported once,
  // not again by every answer that leads to it.
  const ids = new Set<string>();
  data.nodes.forEach((raw: unknown, index: number) => {
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    if (id !== undefined && ids.has(id)) problems.push(`node id "${id}" is used twice`);
    if (id !== undefined) ids.add(id);
    const node = nodeProblems(raw, `nodes[${index}]`, problems);
    if (node && !nodes.has(node.id)) nodes.set(node.id, node);
  });

  const start = nodes.get(String(data.start));
  if (typeof data.start !== 'string' || !ids.has(data.start)) problems.push(`start "${String(data.start)}" is not a node`);
  else if (start && start.kind !== 'question') problems.push(`start "${start.id}" must be a question`);

  for (const node of nodes.values()) {
    if (node.kind !== 'question') continue;
    const targets = new Set<string>();
    for (const answer of node.answers) {
      if (!ids.has(answer.next)) problems.push(`answer "${answer.id}" of "${node.id}" leads to "${answer.next}", which is not a node`);
      if (targets.has(answer.next)) problems.push(`two answers of "${node.id}" lead to "${answer.next}"`);
      targets.add(answer.next);
    }
  }
  if (problems.length > 0 || !start) return problems;

  // Depth-first from the start: a node met again on the current path closes a cycle.
  const reached = new Set<string>();
  const onPath = new Set<string>();
  const visit = (node: TreeNode): void => {
    if (onPath.has(node.id)) {
      problems.push(`the path through "${[...onPath].join('" → "')}" comes back to "${node.id}" (a cycle)`);
      return;
    }
    if (reached.has(node.id)) return;
    reached.add(node.id);
    onPath.add(node.id);
    if (node.kind === 'question') for (const answer of node.answers) visit(nodes.get(answer.next)!);
    onPath.delete(node.id);
  };
  visit(start);
  for (const id of nodes.keys()) if (!reached.has(id)) problems.push(`node "${id}" cannot be reached from the start`);
  return problems;
}

function nodeProblems(raw: unknown, where: string, problems: string[]): TreeNode | undefined {
  if (!isObject(raw)) {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const before = problems.length;
  const id = raw.id;
  if (typeof id !== 'string' || !NODE_ID.test(id)) problems.push(`${where}: id ${JSON.stringify(id)} must be kebab-case, like "two-way"`);
  else if (MERMAID_KEYWORDS.has(id.toLowerCase())) problems.push(`${where}: id "${id}" is a mermaid keyword`);
  const label = typeof id === 'string' ? `"${id}"` : where;
  const text = (key: string, owner: Record<string, unknown> = raw, name = label) => {
    if (typeof owner[key] !== 'string' || (owner[key] as string).trim() === '') problems.push(`${name} needs a non-empty \`${key}\``);
  };

  if (raw.kind === 'question') {
    text('text');
    text('short');
    text('help');
    if (!Array.isArray(raw.answers) || raw.answers.length < 2) {
      problems.push(`question ${label} needs at least two answers`);
    } else {
      const answerIds = new Set<string>();
      raw.answers.forEach((answer: unknown, index: number) => {
        const name = `answer ${index + 1} of ${label}`;
        if (!isObject(answer)) {
          problems.push(`${name} is not an object`);
          return;
        }
        for (const key of ['id', 'label', 'short', 'next']) text(key, answer, name);
        if (typeof answer.id === 'string') {
          if (answerIds.has(answer.id)) problems.push(`question ${label} has two answers "${answer.id}"`);
          answerIds.add(answer.id);
        }
      });
    }
  } else if (raw.kind === 'recommendation') {
    text('short');
    text('why');
    if (!isTechnique(raw.technique)) {
      problems.push(`leaf ${label}: technique ${JSON.stringify(raw.technique)} is not one of ${TECHNIQUES.join(', ')}`);
    } else if (raw.lesson !== TECHNIQUE_LESSONS[raw.technique]) {
      problems.push(
        `leaf ${label}: ${raw.technique} is taught in lesson "${TECHNIQUE_LESSONS[raw.technique]}", not ${JSON.stringify(raw.lesson)}`,
      );
    }
  } else {
    problems.push(`${label}: kind must be "question" or "recommendation"`);
  }
  return problems.length === before ? (raw as unknown as TreeNode) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node with `id`; throws for an unknown id. */
export function nodeById(tree: DecisionTree, id: string): TreeNode {
  const node = tree.nodes.find((candidate) => candidate.id === id);
  if (!node) throw new Error(`No node "${id}" in the decision tree`);
  return node;
}

/**
 * Follows `answers` (question id → answer id) from the start until a leaf, or a
 * question they don't answer. Throws on an answer id the question doesn't have.
 */
export function walk(tree: DecisionTree, answers: Readonly<Record<string, string>>): TreeWalk {
  const steps: Step[] = [];
  let node = nodeById(tree, tree.start);
  while (node.kind === 'question' && Object.hasOwn(answers, node.id)) {
    const question: QuestionNode = node;
    const answer = question.answers.find((candidate) => candidate.id === answers[question.id]);
    if (!answer) throw new Error(`Question "${question.id}" has no answer "${answers[question.id]}"`);
    steps.push({ question, answer });
    node = nodeById(tree, answer.next);
  }
  const asked = new Set(steps.map((step) => step.question.id));
  return {
    steps,
    node,
    recommendation: node.kind === 'recommendation' ? node : undefined,
    unused: Object.keys(answers).filter((id) => !asked.has(id)),
  };
}

/** Every path from the start to a leaf, each as its answers (question id → answer id). */
export function allPaths(tree: DecisionTree): Record<string, string>[] {
  const paths: Record<string, string>[] = [];
  const extend = (node: TreeNode, answers: Record<string, string>) => {
    if (node.kind === 'recommendation') paths.push(answers);
    else for (const answer of node.answers) extend(nodeById(tree, answer.next), { ...answers, [node.id]: answer.id });
  };
  extend(nodeById(tree, tree.start), {});
  return paths;
}

/**
 * The `data-id` mermaid gives the first edge from `from` to `to` in a flowchart's
 * SVG (`L_<from>_<to>_<n>`, on the edge path and on its label). The validator
 * allows one edge per pair, so `n` is always 0.
 */
export function flowchartEdgeId(from: string, to: string): string {
  return `L_${from}_${to}_0`;
}

/** Options of {@link toMermaid}. */
export interface FlowchartOptions {
  /** `accTitle`: the diagram's accessible name. */
  title?: string;
  /** `accDescr`: a description for screen readers. */
  description?: string;
  /** Node labels break into lines of about this many characters; default 14. */
  wrapAt?: number;
}

/**
 * Tighter spacing than mermaid's defaults (50 between nodes, 50 between ranks):
 * the tree is four nodes wide, and every pixel saved is a larger font on a phone.
 */
const FLOWCHART_INIT = '%%{init: {"flowchart": {"nodeSpacing": 24, "rankSpacing": 40, "padding": 8}}}%%';

/**
 * The tree as a top-down mermaid flowchart. Node ids are the tree's ids, so a
 * page script can find each node in the SVG (`data-node-id`, see
 * src/build/diagram-svg.ts) and each edge by {@link flowchartEdgeId}. Questions
 * are boxes and leaves rounded, with the short labels; leaves get the classes
 * `leaf` and `technique-<id>` for the page's CSS.
 */
export function toMermaid(tree: DecisionTree, options: FlowchartOptions = {}): string {
  const wrapAt = options.wrapAt ?? 14;
  const lines = [FLOWCHART_INIT, 'flowchart TD'];
  if (options.title) lines.push(`  accTitle: ${oneLine(options.title)}`);
  if (options.description) lines.push(`  accDescr: ${oneLine(options.description)}`);

  // Breadth-first from the start, so the source reads top-down like the picture.
  const order: TreeNode[] = [];
  const queue = [nodeById(tree, tree.start)];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    order.push(node);
    if (node.kind === 'question') queue.push(...node.answers.map((answer) => nodeById(tree, answer.next)));
  }

  for (const node of order) {
    const label = quoted(wrap(node.short, wrapAt));
    lines.push(node.kind === 'question' ? `  ${node.id}[${label}]` : `  ${node.id}(${label})`);
  }
  for (const node of order) {
    if (node.kind !== 'question') continue;
    for (const answer of node.answers) lines.push(`  ${node.id} -->|${quoted(oneLine(answer.short))}| ${answer.next}`);
  }
  const leaves = order.filter((node): node is RecommendationNode => node.kind === 'recommendation');
  if (leaves.length > 0) lines.push(`  class ${leaves.map((leaf) => leaf.id).join(',')} leaf`);
  for (const technique of TECHNIQUES) {
    const ids = leaves.filter((leaf) => leaf.technique === technique).map((leaf) => leaf.id);
    if (ids.length > 0) lines.push(`  class ${ids.join(',')} technique-${technique}`);
  }
  return lines.join('\n');
}

/** A mermaid string label: quotes become the entity mermaid understands; `<br>` stays a line break. */
function quoted(text: string): string {
  return `"${text.replaceAll('"', '#quot;')}"`;
}

/** Breaks `text` between words into lines of at most `width` characters (longer words stay whole), joined by `<br>`. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (const word of oneLine(text).split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join('<br>');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
