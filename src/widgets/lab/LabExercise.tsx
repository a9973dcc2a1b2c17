import { formatInterval } from '../shared/format.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { EXERCISE_MIN_RUN_MS, type ExerciseCheck, type RunRecord } from './lab-exercise.ts';
import { formatDuration } from './settings.ts';

/** Lesson 6's exercise: a run where long polling asked less than short polling with ETag, and one where it asked more. */
export function LabExercise({ check, done }: { check: ExerciseCheck; done: boolean }) {
  return (
    <ExerciseBox title="find the crossover" done={done}>
      <p>
        <strong>Exercise: find the crossover.</strong> Find one setting where long polling sends fewer requests than short polling with
        ETag, and one where it sends more. Each run must last at least {formatDuration(EXERCISE_MIN_RUN_MS)}.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={check.fewer ? 'met' : 'pending'}>
          Long polling sent fewer requests. {describeRecord(check.fewer)}
        </ExerciseCheckItem>
        <ExerciseCheckItem state={check.more ? 'met' : 'pending'}>
          Long polling sent more requests. {describeRecord(check.more)}
        </ExerciseCheckItem>
      </ul>
    </ExerciseBox>
  );
}

function describeRecord(record: RunRecord | null): string {
  if (!record) return '';
  return `(${record.rateLabel}, polling every ${formatInterval(record.intervalMs)}: ${record.longPollRequests} against ${record.shortPollRequests})`;
}
