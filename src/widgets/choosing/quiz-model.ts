import { batch, computed, signal, type ReadonlySignal } from '@preact/signals';
import { creditOf, missedScenarios, passMark, scoreAttempt, type AttemptScore, type Scenario } from '../../protocol/quiz/scenarios.ts';
import type { Technique } from '../../protocol/quiz/techniques.ts';

/**
 * The scenario quiz's state, with no DOM and no JSX. A round shows one scenario
 * at a time (what reads best on a phone): the reader picks a technique, sees the
 * feedback, and moves on. At the end of a round comes the score (a point for
 * the best fit, half a point for an acceptable pick); "retry the missed ones"
 * starts a round of the scenarios that earned nothing.
 */
export type QuizPhase = 'question' | 'feedback' | 'finished';

/** A first round covers every scenario; a retry round, the ones the previous round missed. */
export type RoundKind = 'full' | 'retry';

export interface RoundResult extends AttemptScore {
  kind: RoundKind;
  /** Scenario id → the technique picked, for this round's scenarios. */
  picks: Record<string, Technique>;
  /**
   * A full round passes at {@link passMark} points (10 of 12); a retry round
   * passes when every scenario in it earns a point or half a point.
   */
  passed: boolean;
}

export interface QuizModel {
  readonly round: ReadonlySignal<readonly Scenario[]>;
  readonly kind: ReadonlySignal<RoundKind>;
  /** Position of the current scenario in the round, from 0. */
  readonly index: ReadonlySignal<number>;
  readonly phase: ReadonlySignal<QuizPhase>;
  readonly current: ReadonlySignal<Scenario>;
  /** The technique picked for the current scenario, once picked. */
  readonly picked: ReadonlySignal<Technique | undefined>;
  /** Points so far in this round: 1 per right pick, ½ per acceptable one. */
  readonly runningScore: ReadonlySignal<number>;
  /** The finished round's result; null until the round ends. */
  readonly result: ReadonlySignal<RoundResult | null>;
  /** Picks `technique` for the current scenario; only the first pick counts. */
  pick(technique: Technique): void;
  /** The next scenario, or the score after the last one. */
  next(): void;
  /** A round of the scenarios the finished round missed. */
  retryMissed(): void;
  /** A full round again. */
  restart(): void;
}

export interface QuizModelOptions {
  /** Called once per finished round: save it, complete the exercise. */
  onRoundFinished?(result: RoundResult): void;
}

export function createQuizModel(scenarios: readonly Scenario[], options: QuizModelOptions = {}): QuizModel {
  if (scenarios.length === 0) throw new Error('The quiz needs at least one scenario');
  const round = signal<readonly Scenario[]>(scenarios);
  const kind = signal<RoundKind>('full');
  const index = signal(0);
  const phase = signal<QuizPhase>('question');
  const picks = signal<Readonly<Record<string, Technique>>>({});
  const result = signal<RoundResult | null>(null);
  const current = computed(() => round.value[index.value]);
  const picked = computed(() => picks.value[current.value.id]);
  const runningScore = computed(() => round.value.reduce((points, scenario) => points + creditOf(scenario, picks.value[scenario.id]), 0));

  function start(scenariosOfRound: readonly Scenario[], roundKind: RoundKind): void {
    batch(() => {
      round.value = scenariosOfRound;
      kind.value = roundKind;
      index.value = 0;
      picks.value = {};
      result.value = null;
      phase.value = 'question';
    });
  }

  return {
    round,
    kind,
    index,
    phase,
    current,
    picked,
    runningScore,
    result,
    pick(technique) {
      if (phase.value !== 'question') return;
      batch(() => {
        picks.value = { ...picks.value, [current.value.id]: technique };
        phase.value = 'feedback';
      });
    },
    next() {
      if (phase.value !== 'feedback') return;
      if (index.value < round.value.length - 1) {
        batch(() => {
          index.value += 1;
          phase.value = 'question';
        });
        return;
      }
      const score = scoreAttempt(round.value, picks.value);
      const finished: RoundResult = {
        ...score,
        kind: kind.value,
        picks: { ...picks.value },
        passed: kind.value === 'full' ? score.points >= passMark(score.total) : score.missed.length === 0,
      };
      batch(() => {
        result.value = finished;
        phase.value = 'finished';
      });
      options.onRoundFinished?.(finished);
    },
    retryMissed() {
      const last = result.value;
      if (!last) return;
      const missed = missedScenarios(round.value, last.picks);
      if (missed.length > 0) start(missed, 'retry');
    },
    restart() {
      start(scenarios, 'full');
    },
  };
}
