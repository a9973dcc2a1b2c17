import type { ExerciseRun, ExerciseVerdict } from '../protocol/exercise-runs.ts';
import { companionServer, errorFrom } from '../widgets/shared/http.ts';

/**
 * The calls of a coded exercise's run (src/protocol/exercise-runs.ts), same
 * origin and with the learner cookie: start a run, read its checks while it
 * goes, finish it. The paths are written here until the route table has the
 * entries `exerciseRuns`, `exerciseRun` and `exerciseRunFinish`, which will
 * replace them.
 */

const server = companionServer();

export const exerciseRunPaths = {
  runs: (lesson: string, exercise: string) => `/api/exercises/${encodeURIComponent(lesson)}/${encodeURIComponent(exercise)}/runs`,
  run: (id: string) => `/api/exercise-runs/${encodeURIComponent(id)}`,
  finish: (id: string) => `/api/exercise-runs/${encodeURIComponent(id)}/finish`,
};

/** `POST …/runs` → 201 {@link ExerciseRun}: a channel and URLs of the run's own. */
export async function startExerciseRun(lesson: string, exercise: string, signal?: AbortSignal): Promise<ExerciseRun> {
  const response = await server.postJson(exerciseRunPaths.runs(lesson, exercise), {}, 201, signal);
  return (await response.json()) as ExerciseRun;
}

/** `GET /api/exercise-runs/{id}` → the checks as they stand. */
export async function readExerciseRun(id: string, signal?: AbortSignal): Promise<ExerciseVerdict> {
  const response = await server.call(server.url(exerciseRunPaths.run(id)), {
    cache: 'no-store',
    headers: { accept: 'application/json' },
    signal,
  });
  if (response.status !== 200) throw await errorFrom(response);
  return (await response.json()) as ExerciseVerdict;
}

/** `POST /api/exercise-runs/{id}/finish` → the verdict: the learner's client is done. */
export async function finishExerciseRun(id: string, signal?: AbortSignal): Promise<ExerciseVerdict> {
  const response = await server.postJson(exerciseRunPaths.finish(id), {}, 200, signal);
  return (await response.json()) as ExerciseVerdict;
}
