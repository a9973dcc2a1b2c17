import { complete, type BuildTrack } from './build-tracker.ts';

/** The lesson's exercise, checked by the widget when a build ends. */
export const EXERCISE = {
  lesson: 'server-sent-events',
  id: 'resume-without-gaps',
} as const;

export interface ExerciseCheck {
  /** The build ran to its `done`. */
  finished: boolean;
  /** Kills of the connection by the reader during the build. */
  kills: number;
  /** Reconnects of the EventSource during the build. */
  reconnects: number;
  /** Every line exactly once: received === totalLines, no gap, no repeat, no reset. */
  exact: boolean;
  passed: boolean;
}

/**
 * Grades a build: it passes when it ran to its end with every line exactly
 * once although the reader killed the connection and the browser reconnected.
 * `ended` says the build's phase is `passed` or `failed`.
 */
export function checkExercise(build: BuildTrack | null, ended: boolean, kills: number, reconnects: number): ExerciseCheck {
  const finished = build?.done != null && ended;
  const exact = build !== null && complete(build);
  return { finished, kills, reconnects, exact, passed: finished && exact && kills > 0 && reconnects > 0 };
}
