import type { RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useProgress } from '../../components/progress/use-progress.ts';
import { markExerciseDone, recordQuizAttempt, type QuizAttempt } from '../../progress/local-progress.ts';
import { decisionTree, scenarios } from '../../quiz/data.ts';
import { walk } from '../../quiz/decision-tree.ts';
import { passMark, type Scenario } from '../../quiz/scenarios.ts';
import { TECHNIQUES, TECHNIQUE_NAMES, type Technique } from '../../quiz/techniques.ts';
import { createQuizModel, type QuizModel, type RoundResult } from './quiz-model.ts';
import '../../styles/widget.css';
import './choosing.css';

/** Lesson 9's exercise, as saved in progress. */
export const QUIZ_EXERCISE = { lesson: 'choosing', id: 'scenario-quiz' } as const;

/**
 * Lesson 9's scenario quiz: one scenario at a time, four technique buttons,
 * feedback on every technique with the decision tree's path, a score at the
 * end, and "Retry the missed ones". Every finished round is saved with
 * `recordQuizAttempt`; a first round of 10 of 12 (or the same share), or a
 * retry round with everything right, completes the lesson's exercise.
 * State lives in quiz-model.ts; this file only renders.
 * Used from MDX as `<ScenarioQuiz client:visible />`.
 */
export default function ScenarioQuiz() {
  const [model] = useState(() => createQuizModel(scenarios, { onRoundFinished: save }));
  const [hydrated, setHydrated] = useState(false);
  const progress = useProgress();
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  const phase = model.phase.value;
  const current = model.current.value;

  useEffect(() => setHydrated(true), []);
  // After the reader's own moves, focus goes to what changed: the feedback, the next scenario, the score.
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [phase, current]);

  const act = (action: () => void) => () => {
    moved.current = true;
    action();
  };

  const attempts = progress.quiz ?? [];
  const done = progress.lessons[QUIZ_EXERCISE.lesson]?.exercises?.[QUIZ_EXERCISE.id] !== undefined;

  return (
    <section class="widget ch ch-quiz" data-widget="scenario-quiz" aria-label="Scenario quiz" data-phase={phase}>
      {phase !== 'finished' && <SavedResult last={attempts.at(-1)} count={attempts.length} done={done} />}
      <fieldset class="ch-fieldset" disabled={!hydrated}>
        <legend class="visually-hidden">Pick a technique for each scenario</legend>
        {phase === 'finished' ? (
          <Result model={model} heading={heading} act={act} done={done} />
        ) : (
          <ScenarioCard model={model} heading={heading} act={act} />
        )}
      </fieldset>
    </section>
  );
}

/** Saves a finished round and completes the exercise when it passes. */
function save(result: RoundResult): void {
  const attempt: QuizAttempt = { id: randomId(), at: Date.now(), score: result.score, total: result.total, answers: result.picks };
  recordQuizAttempt(attempt);
  if (result.passed) markExerciseDone(QUIZ_EXERCISE.lesson, QUIZ_EXERCISE.id);
}

/** 16 random bytes in hex. `crypto.randomUUID` needs a secure context, and a workshop on a LAN may be plain http. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

type Act = (action: () => void) => () => void;

function ScenarioCard({ model, heading, act }: { model: QuizModel; heading: RefObject<HTMLHeadingElement>; act: Act }) {
  const ids = useId();
  const scenario = model.current.value;
  const picked = model.picked.value;
  const round = model.round.value;
  const index = model.index.value;
  const position = `Scenario ${index + 1} of ${round.length}`;
  return (
    <div class="ch-card">
      <div class="ch-meter">
        <p class="ch-kicker">
          {model.kind.value === 'retry' ? `Retry · ${position}` : position}
          <span class="ch-running"> · {model.runningScore.value} right so far</span>
        </p>
        <div
          class="ch-bar"
          role="progressbar"
          aria-label="Quiz progress"
          aria-valuemin={0}
          aria-valuemax={round.length}
          aria-valuenow={index + (picked ? 1 : 0)}
        >
          <span style={{ width: `${((index + (picked ? 1 : 0)) / round.length) * 100}%` }} />
        </div>
      </div>
      <h3 class="ch-title" id={`${ids}-title`} ref={picked ? undefined : heading} tabIndex={-1}>
        {scenario.title}
      </h3>
      <p class="ch-situation">{scenario.situation}</p>
      <p class="ch-ask" id={`${ids}-ask`}>
        Which technique fits best?
      </p>
      <div class="ch-choices ch-techniques" role="group" aria-labelledby={`${ids}-ask`}>
        {TECHNIQUES.map((technique) => (
          <button
            key={technique}
            type="button"
            class="widget-button ch-choice"
            data-technique={technique}
            data-verdict={picked ? verdict(technique, scenario, picked) : undefined}
            aria-pressed={picked ? technique === picked : undefined}
            disabled={picked !== undefined}
            onClick={act(() => model.pick(technique))}
          >
            {TECHNIQUE_NAMES[technique]}
            {picked && technique === scenario.answer && <span aria-hidden="true"> ✓</span>}
            {picked && technique === picked && technique !== scenario.answer && <span aria-hidden="true"> ✗</span>}
          </button>
        ))}
      </div>
      {picked && <Feedback scenario={scenario} picked={picked} heading={heading} />}
      {picked && (
        <div class="widget-row ch-row">
          <button type="button" class="widget-button widget-primary ch-button" onClick={act(() => model.next())}>
            {index < round.length - 1 ? 'Next scenario' : 'See your score'}
          </button>
        </div>
      )}
    </div>
  );
}

function verdict(technique: Technique, scenario: Scenario, picked: Technique): string | undefined {
  if (technique === scenario.answer) return 'right';
  return technique === picked ? 'wrong' : undefined;
}

function Feedback({ scenario, picked, heading }: { scenario: Scenario; picked: Technique; heading: RefObject<HTMLHeadingElement> }) {
  const right = picked === scenario.answer;
  const name = TECHNIQUE_NAMES[scenario.answer];
  const others = TECHNIQUES.filter((technique) => technique !== scenario.answer).sort((a, b) => Number(b === picked) - Number(a === picked));
  const { steps, recommendation } = walk(decisionTree, scenario.path);
  return (
    <div class="ch-feedback" data-verdict={right ? 'right' : 'wrong'}>
      <h4 class="ch-verdict" ref={heading} tabIndex={-1}>
        {right ? `Right: ${name}` : `Not quite. This one calls for ${name}.`}
      </h4>
      <p>
        <strong>Why {name} fits:</strong> {scenario.feedback[scenario.answer]}
      </p>
      <p class="ch-kicker">Why not the others</p>
      <ul class="ch-others">
        {others.map((technique) => (
          <li key={technique} data-picked={technique === picked ? '' : undefined}>
            <strong>
              {TECHNIQUE_NAMES[technique]}
              {technique === picked ? ' (your pick)' : ''}:
            </strong>{' '}
            {scenario.feedback[technique]}
          </li>
        ))}
      </ul>
      <p class="ch-kicker">The decision tree's path</p>
      <ol class="ch-path-list">
        {steps.map((step) => (
          <li key={step.question.id}>
            <span class="ch-path-question">{step.question.text}</span> <strong>{step.answer.label}</strong>
          </li>
        ))}
      </ol>
      {recommendation && (
        <p class="ch-path-end">
          Leads to: <strong>{recommendation.short}</strong>
        </p>
      )}
    </div>
  );
}

function Result({ model, heading, act, done }: { model: QuizModel; heading: RefObject<HTMLHeadingElement>; act: Act; done: boolean }) {
  const result = model.result.value;
  if (!result) return null;
  return (
    <div class="ch-card ch-result">
      <p class="ch-kicker">{result.kind === 'retry' ? 'Retry finished' : 'Quiz finished'}</p>
      <h3 class="ch-title" ref={heading} tabIndex={-1}>
        Your score: <span data-quiz-score>{`${result.score} of ${result.total}`}</span>
      </h3>
      <p>{verdictText(result)}</p>
      <ul class="ch-summary">
        {model.round.value.map((scenario) => {
          const picked = result.picks[scenario.id];
          const right = picked === scenario.answer;
          return (
            <li key={scenario.id} data-verdict={right ? 'right' : 'wrong'}>
              <span aria-hidden="true" class="ch-mark">
                {right ? '✓' : '✗'}
              </span>
              <span class="visually-hidden">{right ? 'Right: ' : 'Missed: '}</span>
              <span>
                {scenario.title}:{' '}
                {right ? TECHNIQUE_NAMES[scenario.answer] : `${TECHNIQUE_NAMES[scenario.answer]}, not ${picked ? TECHNIQUE_NAMES[picked] : 'no pick'}`}
              </span>
            </li>
          );
        })}
      </ul>
      <p class="ch-saved" role="status">
        Saved to your progress.{done ? ' Exercise complete ✓' : ''}
      </p>
      <div class="widget-row ch-row">
        {result.missed.length > 0 && (
          <button type="button" class="widget-button widget-primary ch-button" onClick={act(() => model.retryMissed())}>
            Retry the missed ones
          </button>
        )}
        <button type="button" class="widget-button ch-button" onClick={act(() => model.restart())}>
          Start the quiz again
        </button>
      </div>
    </div>
  );
}

function verdictText(result: RoundResult): string {
  const missed = result.missed.length;
  if (result.kind === 'retry') {
    return missed === 0
      ? 'Every scenario you missed is right now. That completes the exercise.'
      : `${missed} still missed. Read the feedback again, then retry those.`;
  }
  if (missed === 0) return 'Every scenario right. That completes the exercise.';
  const mark = passMark(result.total);
  return result.passed
    ? `${result.score} right passes (${mark} needed), and completes the exercise. Retry the ${missed} you missed to see why.`
    : `${mark} right passes. Retry the ${missed} you missed: getting them all right completes the exercise too.`;
}

function SavedResult({ last, count, done }: { last: QuizAttempt | undefined; count: number; done: boolean }) {
  if (!last) return null;
  const when = new Date(last.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <p class="ch-saved-result" data-quiz-saved>
      Saved in your progress: your last round scored <strong>{`${last.score} of ${last.total}`}</strong> ({when}
      {count > 1 ? `, ${count} rounds in all` : ''}).{done ? ' Exercise complete ✓' : ''}
    </p>
  );
}
