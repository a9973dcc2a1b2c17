import type { RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useProgress } from '../../progress/use-progress.ts';
import { markExerciseDone, recordQuizAttempt, type QuizAttempt } from '../../progress/local-progress.ts';
import { decisionTree, scenarios } from '../../protocol/quiz/data.ts';
import { walk } from '../../protocol/quiz/decision-tree.ts';
import { creditOf, formatPoints, passMark, verdictOf, type Scenario, type Verdict } from '../../protocol/quiz/scenarios.ts';
import { TECHNIQUES, TECHNIQUE_NAMES, type Technique } from '../../protocol/quiz/techniques.ts';
import { createQuizModel, type QuizModel, type RoundResult } from './quiz-model.ts';
import '../../styles/widget.css';
import './choosing.css';

/** Lesson 9's exercise, as saved in progress. */
export const QUIZ_EXERCISE = { lesson: 'choosing', id: 'scenario-quiz' } as const;

/**
 * Lesson 9's scenario quiz: one scenario at a time, four technique buttons,
 * feedback on every technique with the decision tree's path, a score at the
 * end (a point for the best fit, half a point for a technique that also works),
 * and "Retry the missed ones". Every finished round is saved with
 * `recordQuizAttempt` (its `score` counts the best fits); a first round of 10
 * points of 12 (or the same share), or a retry round with nothing missed,
 * completes the lesson's exercise.
 * State lives in quiz-model.ts; this file only renders.
 * Used from MDX as `<ScenarioQuiz client:reachable />`.
 */
export default function ScenarioQuiz() {
  const [model] = useState(() => createQuizModel(scenarios, { onRoundFinished: save }));
  const progress = useProgress();
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  const phase = model.phase.value;
  const current = model.current.value;

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
      <fieldset class="ch-fieldset">
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
          <span class="ch-running"> · {pointsText(model.runningScore.value)} so far</span>
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
            {picked && <span aria-hidden="true">{MARKS[verdict(technique, scenario, picked) ?? 'none']}</span>}
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

/** A technique button's verdict once a pick is made: the best fit and the acceptable ones always show; a wrong one only when picked. */
function verdict(technique: Technique, scenario: Scenario, picked: Technique): Verdict | undefined {
  const own = verdictOf(scenario, technique);
  return own !== 'wrong' || technique === picked ? own : undefined;
}

/** What follows a technique's name once a pick is made. */
const MARKS: Record<Verdict | 'none', string> = { right: ' ✓', acceptable: ' ½', wrong: ' ✗', none: '' };

/** `9½ points`, `1 point`. */
function pointsText(points: number): string {
  return `${formatPoints(points)} ${points === 1 ? 'point' : 'points'}`;
}

function Feedback({ scenario, picked, heading }: { scenario: Scenario; picked: Technique; heading: RefObject<HTMLHeadingElement> }) {
  const own = verdictOf(scenario, picked);
  const name = TECHNIQUE_NAMES[scenario.answer];
  const others = TECHNIQUES.filter((technique) => technique !== scenario.answer).sort(
    (a, b) => Number(b === picked) - Number(a === picked),
  );
  const { steps, recommendation } = walk(decisionTree, scenario.path);
  const headings: Record<Verdict, string> = {
    right: `Right: ${name}`,
    acceptable: `Acceptable: ${TECHNIQUE_NAMES[picked]} works here, for half a point. The best fit is ${name}.`,
    wrong: `Not quite. This one calls for ${name}.`,
  };
  return (
    <div class="ch-feedback" data-verdict={own}>
      <h4 class="ch-verdict" ref={heading} tabIndex={-1}>
        {headings[own]}
      </h4>
      <p>
        <strong>Why {name} fits:</strong> {scenario.feedback[scenario.answer]}
      </p>
      <p class="ch-kicker">
        {(scenario.acceptable ?? []).length > 0 ? "The others: which also work, and which don't" : 'Why not the others'}
      </p>
      <ul class="ch-others">
        {others.map((technique) => (
          <li key={technique} data-picked={technique === picked ? '' : undefined} data-verdict={verdictOf(scenario, technique)}>
            <strong>
              {TECHNIQUE_NAMES[technique]}
              {noteOf(technique === picked, verdictOf(scenario, technique) === 'acceptable')}:
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
        Your score: <span data-quiz-score>{`${formatPoints(result.points)} of ${result.total}`}</span>
      </h3>
      <p>{verdictText(result)}</p>
      <ul class="ch-summary">
        {model.round.value.map((scenario) => {
          const picked = result.picks[scenario.id];
          const own = verdictOf(scenario, picked);
          const best = TECHNIQUE_NAMES[scenario.answer];
          return (
            <li key={scenario.id} data-verdict={own}>
              <span aria-hidden="true" class="ch-mark">
                {MARKS[own].trim()}
              </span>
              <span class="visually-hidden">{SUMMARY_LABELS[own]}</span>
              <span>
                {scenario.title}:{' '}
                {own === 'right'
                  ? best
                  : own === 'acceptable'
                    ? `${TECHNIQUE_NAMES[picked!]}, half a point (best: ${best})`
                    : `${best}, not ${picked ? TECHNIQUE_NAMES[picked] : 'no pick'}`}
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

/** Read by screen readers before each line of the summary. */
const SUMMARY_LABELS: Record<Verdict, string> = { right: 'Right: ', acceptable: 'Acceptable: ', wrong: 'Missed: ' };

/** " (your pick)", " (also acceptable)", both, or nothing. */
function noteOf(picked: boolean, acceptable: boolean): string {
  const notes = [picked && 'your pick', acceptable && 'also acceptable, half a point'].filter(Boolean);
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

function verdictText(result: RoundResult): string {
  const missed = result.missed.length;
  const halves = result.acceptable.length;
  if (result.kind === 'retry') {
    if (missed > 0) return `${missed} still missed. Read the feedback again, then retry those.`;
    return halves === 0
      ? 'Every scenario you missed is right now. That completes the exercise.'
      : `Nothing missed this time (${halves} for half a point). That completes the exercise.`;
  }
  if (missed === 0 && halves === 0) return 'Every scenario right. That completes the exercise.';
  const mark = passMark(result.total);
  const points = pointsText(result.points);
  if (missed === 0) return `${points}: nothing missed, ${halves} for half a point. That completes the exercise.`;
  return result.passed
    ? `${points} pass (${mark} needed), and complete the exercise. Retry the ${missed} you missed to see why.`
    : `${mark} points pass. Retry the ${missed} you missed: getting each of them right, or acceptable, completes the exercise too.`;
}

/** The points of a saved round, recomputed from its picks; its `score` counts only the best fits. */
function savedPoints(attempt: QuizAttempt): number {
  const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));
  let points = 0;
  for (const [id, pick] of Object.entries(attempt.answers)) {
    const scenario = byId.get(id);
    if (scenario) points += creditOf(scenario, pick as Technique);
  }
  // A round saved before a scenario changed or went away keeps at least what it scored then.
  return Math.max(points, attempt.score);
}

function SavedResult({ last, count, done }: { last: QuizAttempt | undefined; count: number; done: boolean }) {
  if (!last) return null;
  const when = new Date(last.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <p class="ch-saved-result" data-quiz-saved>
      Saved in your progress: your last round scored <strong>{`${formatPoints(savedPoints(last))} of ${last.total}`}</strong> ({when}
      {count > 1 ? `, ${count} rounds in all` : ''}).{done ? ' Exercise complete ✓' : ''}
    </p>
  );
}
