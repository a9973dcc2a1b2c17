import { apiRoutes } from '../protocol/api-routes.ts';
import type { ExerciseRun, ExerciseVerdict } from '../protocol/exercise-runs.ts';
import { companionServer, errorFrom } from '../widgets/shared/http.ts';

/**
 * The calls of a coded exercise's run (src/protocol/exercise-runs.ts), same
 * origin and with the learner cookie: start a run, read its checks while it
 * goes, finish it.
 */

const server = companionServer();

/** Sends `method` to `path` with no body, and the JSON of an answer with status `expected`; any other is an ApiError. */
async function exchange<Answer>(method: 'GET' | 'POST', path: string, expected: number, signal?: AbortSignal): Promise<Answer> {
  const response = await server.call(server.url(path), { method, cache: 'no-store', headers: { accept: 'application/json' }, signal });
  if (response.status !== expected) throw await errorFrom(response);
  return (await response.json()) as Answer;
}

/** `POST …/runs` → 201 {@link ExerciseRun}: a channel and URLs of the run's own. */
export function startExerciseRun(lesson: string, exercise: string, signal?: AbortSignal): Promise<ExerciseRun> {
  return exchange('POST', apiRoutes.exerciseRuns.path({ lesson, exercise }), 201, signal);
}

/** `GET /api/exercise-runs/{id}` → the checks as they stand. */
export function readExerciseRun(id: string, signal?: AbortSignal): Promise<ExerciseVerdict> {
  return exchange('GET', apiRoutes.exerciseRun.path({ id }), 200, signal);
}

/** `POST /api/exercise-runs/{id}/finish` → the verdict: the learner's client is done. */
export function finishExerciseRun(id: string, signal?: AbortSignal): Promise<ExerciseVerdict> {
  return exchange('POST', apiRoutes.exerciseRunFinish.path({ id }), 200, signal);
}
