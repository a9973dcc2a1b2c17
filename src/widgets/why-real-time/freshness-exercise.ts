/**
 * Lesson 1's exercise: three questions the calculator answers. Each answer is
 * checked with the calculator's own arithmetic (freshness-cost.ts), so the
 * lesson and the widget can never disagree: an answer is right when it meets
 * the question's condition and is at least as good as the best the calculator's
 * slider offers. The exact value (from solving the formula) and the slider's
 * step are then both right, and anything between them too.
 */
import { DEFAULT_INPUTS, STEPS, formatBytes, formatSeconds, freshnessCost, pollingCost, type FreshnessInputs } from './freshness-cost.ts';

export const FRESHNESS_EXERCISE = {
  lesson: 'why-real-time',
  id: 'freshness-budget',
  /** The exercise's fixed inputs: 1,000 readers and the calculator's default sizes. */
  inputs: { ...DEFAULT_INPUTS, readers: 1_000 } satisfies FreshnessInputs,
  /** Question 1: polling passes this many bytes an hour. */
  bytesTarget: 1e9,
  /** Question 2: polling's budget, bytes an hour. */
  bytesBudget: 100e6,
  /** Question 3: the polling interval, seconds. */
  fixedIntervalSeconds: 30,
} as const;

export type QuestionId = 'interval' | 'staleness' | 'changes';

export interface AnswerCheck {
  /** Whether the answer meets the question's condition and is as good as the slider's best step. */
  correct: boolean;
  /** What the calculator says at the learner's number, and why it is right or not. */
  explanation: string;
}

/** A small allowance so the exact answer, typed rounded (3.96, 19.8, 2,188), still counts. */
const ROUNDING = 1e-6;

const { inputs, bytesTarget, bytesBudget, fixedIntervalSeconds } = FRESHNESS_EXERCISE;

function pollingBytes(intervalSeconds: number): number {
  return pollingCost({ ...inputs, intervalSeconds }).bytesPerHour;
}

function pushAndPollingBytes(eventsPerHour: number): { push: number; polling: number } {
  const cost = freshnessCost({ ...inputs, intervalSeconds: fixedIntervalSeconds, eventsPerHour });
  return { push: cost.push.bytesPerHour, polling: cost.polling.bytesPerHour };
}

/** Q1: polling moves at least {@link FRESHNESS_EXERCISE.bytesTarget} an hour. Longer intervals are better. */
const passesTarget = (interval: number) => pollingBytes(interval) >= bytesTarget * (1 - ROUNDING);
/** Q2: polling at twice the staleness stays within the budget. Less staleness is better. */
const withinBudget = (staleness: number) => pollingBytes(2 * staleness) <= bytesBudget * (1 + ROUNDING);
/** Q3: push moves at least as many bytes as polling. Fewer changes are better. */
const pushCatchesUp = (changes: number) => {
  const { push, polling } = pushAndPollingBytes(changes);
  return push >= polling * (1 - ROUNDING);
};

/** The best value a slider step gives for each question: the learner who only drags sliders finds these. */
export const SLIDER_ANSWERS: Record<QuestionId, number> = {
  interval: Math.max(...STEPS.intervalSeconds.filter(passesTarget)),
  staleness: Math.min(...STEPS.intervalSeconds.map((s) => s / 2).filter(withinBudget)),
  changes: Math.min(...STEPS.eventsPerHour.filter(pushCatchesUp)),
};

/** The exact answers, solving the calculator's formulas (for the lesson's worked answers and the tests). */
export const EXACT_ANSWERS: Record<QuestionId, number> = {
  interval: pollingBytes(1) / bytesTarget,
  staleness: pollingBytes(1) / bytesBudget / 2,
  changes: (() => {
    const none = pushAndPollingBytes(0);
    const perChange = pushAndPollingBytes(1).push - none.push;
    return (none.polling - none.push) / perChange;
  })(),
};

/** Checks one answer. `value` is what the learner typed, as a number (NaN when it isn't one). */
export function checkAnswer(question: QuestionId, value: number): AnswerCheck {
  if (!Number.isFinite(value) || value <= 0) return { correct: false, explanation: 'Enter a number above 0.' };
  switch (question) {
    case 'interval': {
      const bytes = formatBytes(pollingBytes(value));
      if (!passesTarget(value)) {
        return {
          correct: false,
          explanation: `Every ${formatSeconds(value)}, polling moves ${bytes} an hour: under 1 GB. Poll more often.`,
        };
      }
      if (value < SLIDER_ANSWERS.interval) {
        const longer = SLIDER_ANSWERS.interval;
        return {
          correct: false,
          explanation: `Every ${formatSeconds(value)} moves ${bytes}, but ${formatSeconds(longer)} still moves ${formatBytes(pollingBytes(longer))}: a longer interval passes 1 GB too.`,
        };
      }
      return { correct: true, explanation: `Every ${formatSeconds(value)}, polling moves ${bytes} an hour.` };
    }
    case 'staleness': {
      const interval = 2 * value;
      const bytes = formatBytes(pollingBytes(interval));
      if (!withinBudget(value)) {
        return {
          correct: false,
          explanation: `${formatSeconds(value)} on average means polling every ${formatSeconds(interval)}: ${bytes} an hour, over the budget.`,
        };
      }
      if (value > SLIDER_ANSWERS.staleness) {
        const best = SLIDER_ANSWERS.staleness;
        return {
          correct: false,
          explanation: `Within budget (${bytes} an hour), but polling every ${formatSeconds(2 * best)} costs ${formatBytes(pollingBytes(2 * best))} and leaves ${formatSeconds(best)}: you can offer fresher data.`,
        };
      }
      return { correct: true, explanation: `Polling every ${formatSeconds(interval)}: ${bytes} an hour, within budget.` };
    }
    case 'changes': {
      const { push, polling } = pushAndPollingBytes(value);
      const figures = `push ${formatBytes(push)} against polling ${formatBytes(polling)} an hour`;
      if (!pushCatchesUp(value)) {
        return {
          correct: false,
          explanation: `At ${Math.round(value).toLocaleString('en-US')} changes an hour, ${figures}: push still moves less.`,
        };
      }
      if (value > SLIDER_ANSWERS.changes) {
        const best = SLIDER_ANSWERS.changes;
        return {
          correct: false,
          explanation: `Push has passed polling here (${figures}), but already at ${best.toLocaleString('en-US')} it moves ${formatBytes(pushAndPollingBytes(best).push)}: fewer changes are enough.`,
        };
      }
      return { correct: true, explanation: `At ${Math.round(value).toLocaleString('en-US')} changes an hour, ${figures}.` };
    }
  }
}

/**
 * What the learner typed, as a number: `2,188` and `2188` alike, `19,8` as
 * 19.8, a trailing unit (`20 s`) ignored. NaN when it isn't a number.
 */
export function parseNumber(text: string): number {
  const trimmed = text
    .trim()
    .replace(/\s*[a-z]+$/i, '')
    .replace(/[\s_]/g, '');
  if (trimmed === '') return Number.NaN;
  const thousands = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(trimmed);
  return Number(thousands ? trimmed.replace(/,/g, '') : trimmed.replace(',', '.'));
}
