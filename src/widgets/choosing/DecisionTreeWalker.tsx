import type { RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { decisionTree } from '../../protocol/quiz/data.ts';
import type { RecommendationNode, QuestionNode } from '../../protocol/quiz/decision-tree.ts';
import { TECHNIQUE_NAMES, lessonPath } from '../../protocol/quiz/techniques.ts';
import { highlightPath } from './highlight-path.ts';
import { createWalkerModel, type WalkerModel } from './walker-model.ts';
import '../../styles/widget.css';
import './choosing.css';

/**
 * Lesson 9's decision-tree walker: one question at a time, "Back" and "Start
 * over", and at the end the recommendation with why and a link to its lesson.
 * The path taken is listed, and highlighted on the page's `<DecisionTreeDiagram />`.
 * State lives in walker-model.ts; this file only renders.
 * Used from MDX as `<DecisionTreeWalker client:reachable />`.
 */
export default function DecisionTreeWalker() {
  const [model] = useState(() => createWalkerModel(decisionTree));
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus follows the reader's own moves only, never the first render.
  const moved = useRef(false);
  const { steps, node } = model.position.value;
  const highlight = model.highlight.value;

  useEffect(() => {
    return () => void highlightPath(document, null);
  }, []);

  useEffect(() => {
    highlightPath(document, highlight);
  }, [highlight]);

  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [node]);

  /** Wraps a reader's move, so that focus follows it. */
  const act = (action: () => void) => () => {
    moved.current = true;
    action();
  };
  const answer = (answerId: string) => act(() => model.answer(answerId))();

  return (
    <section class="widget ch ch-walker" data-widget="decision-tree" aria-label="Decision tree walker" data-node={node.id}>
      <fieldset class="ch-fieldset">
        <legend class="visually-hidden">Walk the decision tree</legend>
        {node.kind === 'question' ? (
          <Question question={node} number={steps.length + 1} heading={heading} onAnswer={answer} />
        ) : (
          <Recommendation leaf={node} heading={heading} />
        )}

        <div class="widget-row ch-row">
          <button type="button" class="widget-button ch-button" onClick={act(() => model.back())} disabled={steps.length === 0}>
            Back
          </button>
          <button type="button" class="widget-button ch-button" onClick={act(() => model.restart())} disabled={steps.length === 0}>
            Start over
          </button>
          <a class="ch-link" href="#decision-tree">
            See the path on the diagram
          </a>
        </div>

        <PathTaken model={model} />
      </fieldset>
    </section>
  );
}

function Question({
  question,
  number,
  heading,
  onAnswer,
}: {
  question: QuestionNode;
  number: number;
  heading: RefObject<HTMLHeadingElement>;
  onAnswer: (answerId: string) => void;
}) {
  const id = useId();
  return (
    <div class="ch-card">
      <p class="ch-kicker">Question {number}</p>
      <h3 class="ch-title" id={id} ref={heading} tabIndex={-1}>
        {question.text}
      </h3>
      <p class="ch-help">{question.help}</p>
      <div class="ch-choices" role="group" aria-labelledby={id}>
        {question.answers.map((answer) => (
          <button key={answer.id} type="button" class="widget-button ch-choice" onClick={() => onAnswer(answer.id)}>
            {answer.label}
          </button>
        ))}
      </div>
    </div>
  );
}

function Recommendation({ leaf, heading }: { leaf: RecommendationNode; heading: RefObject<HTMLHeadingElement> }) {
  const id = useId();
  const name = TECHNIQUE_NAMES[leaf.technique];
  return (
    <div class="ch-card ch-recommendation" role="region" aria-labelledby={id} data-recommendation={leaf.technique}>
      <p class="ch-kicker">Recommendation</p>
      <h3 class="ch-title" id={id} ref={heading} tabIndex={-1}>
        {name}
        {leaf.short !== name && <span class="ch-variant"> · {leaf.short}</span>}
      </h3>
      <p>{leaf.why}</p>
      <p>
        <a class="ch-link" href={lessonPath(leaf.lesson)}>
          Go to the lesson: {name}
        </a>
      </p>
    </div>
  );
}

function PathTaken({ model }: { model: WalkerModel }) {
  const { steps } = model.position.value;
  if (steps.length === 0) return null;
  return (
    <div class="ch-path" aria-label="Your answers so far" role="group">
      <p class="ch-kicker">Your answers so far</p>
      <ol class="ch-path-list">
        {steps.map((step) => (
          <li key={step.question.id}>
            <span class="ch-path-question">{step.question.short}</span> <strong>{step.answer.label}</strong>
          </li>
        ))}
      </ol>
    </div>
  );
}
