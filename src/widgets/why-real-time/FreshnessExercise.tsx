import { useId, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { FRESHNESS_EXERCISE, checkAnswer, parseNumber, type AnswerCheck, type QuestionId } from './freshness-exercise.ts';
import '../../styles/widget.css';
import './FreshnessCostCalculator.css';

const QUESTIONS: { id: QuestionId; text: string; unit: string }[] = [
  {
    id: 'interval',
    text: 'Drag “Polling interval” down from 5 s. At which interval does polling first move 1 GB an hour or more?',
    unit: 'seconds',
  },
  {
    id: 'staleness',
    text: 'Your budget is 100 MB an hour for polling. What’s the best average staleness you can offer?',
    unit: 'seconds',
  },
  {
    id: 'changes',
    text: 'With a 30 s interval, how many changes per hour does it take before push moves as many bytes as polling?',
    unit: 'changes per hour',
  },
];

type Answers = Record<QuestionId, string>;

/**
 * Lesson 1's exercise under the calculator: the learner types the three numbers
 * they found, and "Check" tells, per answer, what the calculator says at that
 * number. Three right answers complete the lesson. Used from MDX as
 * `<FreshnessExercise client:reachable />`.
 */
export default function FreshnessExercise() {
  const ids = useId();
  const [answers, setAnswers] = useState<Answers>({ interval: '', staleness: '', changes: '' });
  const [checks, setChecks] = useState<Record<QuestionId, AnswerCheck> | null>(null);
  const doneBefore = useDoneBefore(FRESHNESS_EXERCISE);

  const solved = checks !== null && QUESTIONS.every(({ id }) => checks[id].correct);

  const check = (event: Event) => {
    event.preventDefault();
    const next = Object.fromEntries(QUESTIONS.map(({ id }) => [id, checkAnswer(id, parseNumber(answers[id]))])) as Record<
      QuestionId,
      AnswerCheck
    >;
    setChecks(next);
    if (QUESTIONS.every(({ id }) => next[id].correct)) markExerciseDone(FRESHNESS_EXERCISE.lesson, FRESHNESS_EXERCISE.id);
  };

  return (
    <div class="fcc-exercise" data-widget="freshness-exercise">
      <ExerciseBox title="a budget for freshness" done={solved || doneBefore}>
        <p>
          <strong>Exercise: a budget for freshness.</strong> In the calculator, set “Readers” to 1,000 and keep the default sizes (700 B
          request, 400 B response, 60 B push message). Then enter what you find.
        </p>
        <form class="fcc-exercise-form" onSubmit={check}>
          {/* Usable from the first paint: client:reachable replays what the reader typed and pressed before hydration. */}
          <fieldset>
            <legend class="visually-hidden">Your answers</legend>
            <ol class="fcc-exercise-questions">
              {QUESTIONS.map(({ id, text, unit }) => (
                <li key={id}>
                  <label for={`${ids}-${id}`}>{text}</label>
                  <span class="fcc-exercise-answer">
                    <input
                      id={`${ids}-${id}`}
                      class="widget-input"
                      type="text"
                      inputMode="decimal"
                      autoComplete="off"
                      value={answers[id]}
                      onInput={(event) => {
                        // From the latest state, not this render's: client:reachable replays several fields' input in one tick.
                        const { value } = event.currentTarget;
                        setAnswers((latest) => ({ ...latest, [id]: value }));
                      }}
                    />
                    <span class="fcc-exercise-unit">{unit}</span>
                  </span>
                </li>
              ))}
            </ol>
            <button type="submit" class="widget-button widget-primary">
              Check answers
            </button>
          </fieldset>
        </form>
        {checks && (
          <ul class="widget-checks" aria-label="Checked answers">
            {QUESTIONS.map(({ id }, index) => (
              <ExerciseCheckItem key={id} state={checks[id].correct ? 'met' : 'missed'}>
                Answer {index + 1}: {checks[id].explanation}
              </ExerciseCheckItem>
            ))}
          </ul>
        )}
      </ExerciseBox>
    </div>
  );
}
