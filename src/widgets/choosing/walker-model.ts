import { computed, signal, type ReadonlySignal } from '@preact/signals';
import { flowchartEdgeId, walk, type Answer, type DecisionTree, type TreeWalk } from '../../protocol/quiz/decision-tree.ts';

/**
 * The decision-tree walker's state, with no DOM and no JSX: the answers given
 * so far, and where they lead. One question at a time; "Back" forgets the last
 * answer, "Start over" all of them.
 */
export interface WalkerModel {
  /** Question id → answer id, as given so far. */
  readonly answers: ReadonlySignal<Readonly<Record<string, string>>>;
  /** Where the answers lead: the steps taken and the current question or recommendation. */
  readonly position: ReadonlySignal<TreeWalk>;
  /** What the diagram should highlight. */
  readonly highlight: ReadonlySignal<PathHighlight>;
  /** Answers the current question; ignored once a recommendation is reached. */
  answer(answerId: string): void;
  /** Takes back the last answer. */
  back(): void;
  /** Forgets every answer. */
  restart(): void;
}

/** The reader's path through the flowchart, by node id and mermaid edge id. */
export interface PathHighlight {
  /** Every node on the path, the current one included. */
  nodes: string[];
  /** The edge of every answer given. */
  edges: string[];
  /** The node the reader is at: a question, or the recommendation. */
  current: string;
  /** True before the first answer: nothing to highlight but the start. */
  atStart: boolean;
}

export function createWalkerModel(tree: DecisionTree): WalkerModel {
  const answers = signal<Readonly<Record<string, string>>>({});
  const position = computed(() => walk(tree, answers.value));
  const highlight = computed<PathHighlight>(() => {
    const { steps, node } = position.value;
    return {
      nodes: [...steps.map((step) => step.question.id), node.id],
      edges: steps.map((step) => flowchartEdgeId(step.question.id, step.answer.next)),
      current: node.id,
      atStart: steps.length === 0,
    };
  });

  return {
    answers,
    position,
    highlight,
    answer(answerId) {
      const { node } = position.value;
      if (node.kind !== 'question' || !node.answers.some((answer: Answer) => answer.id === answerId)) return;
      answers.value = { ...answers.value, [node.id]: answerId };
    },
    back() {
      const last = position.value.steps.at(-1);
      if (!last) return;
      const { [last.question.id]: _dropped, ...rest } = answers.value;
      answers.value = rest;
    },
    restart() {
      answers.value = {};
    },
  };
}
