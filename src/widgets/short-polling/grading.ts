import type { ExerciseCheck, Phase, PollRecord } from './records.ts';
import { EXERCISE } from './settings.ts';

/**
 * The lesson's exercise (see EXERCISE in settings.ts): the run polled the job
 * to its end, the finish's worst case stayed under the limit, and few bodies
 * came again for nothing.
 */
export function gradeExercise(phase: Phase, polls: readonly PollRecord[], repeatedBodyBytes: number): ExerciseCheck {
  const finishPoll = phase === 'finished' ? polls.findLast((poll) => poll.outcome === 'changed') : undefined;
  const finishStalenessMs = finishPoll?.stalenessMs ?? null;
  const finishWorstCaseMs = finishPoll?.worstCaseMs ?? null;
  const finished = finishPoll !== undefined;
  const finishOk = finishWorstCaseMs !== null && finishWorstCaseMs <= EXERCISE.maxFinishWorstCaseMs;
  const bytesOk = repeatedBodyBytes < EXERCISE.maxRepeatedBodyBytes;
  return {
    finished,
    finishStalenessMs,
    finishWorstCaseMs,
    finishOk,
    repeatedBodyBytes,
    bytesOk,
    passed: finished && finishOk && bytesOk,
  };
}
