import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiRoutes } from '../../../src/protocol/api-routes.ts';
import type { ExerciseRun, ExerciseVerdict, VerdictCheck } from '../../../src/protocol/exercise-runs.ts';
import { LEARNER_COOKIE } from '../../../src/protocol/progress.ts';

/** A learner of an exercise test: a fresh id, and the cookie that carries it. */
export function newLearner(): { id: string; headers: Record<string, string> } {
  const id = randomBytes(16).toString('base64url').slice(0, 22);
  return { id, headers: { Cookie: `${LEARNER_COOKIE}=${id}` } };
}

/** Starts a run of `lesson`'s `exercise` for the learner; the 201 is asserted. */
export async function startRun(baseUrl: string, lesson: string, exercise: string, headers: Record<string, string>): Promise<ExerciseRun> {
  const response = await fetch(baseUrl + apiRoutes.exerciseRuns.path({ lesson, exercise }), { method: 'POST', headers });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as ExerciseRun;
}

/** Ends the learner's run and answers its verdict; the 200 is asserted. */
export async function finishRun(baseUrl: string, run: ExerciseRun, headers: Record<string, string>): Promise<ExerciseVerdict> {
  const response = await fetch(baseUrl + apiRoutes.exerciseRunFinish.path({ id: run.id }), { method: 'POST', headers });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as ExerciseVerdict;
}

/** The verdict's check `id`; the test fails if there is none. */
export function checkOf(verdict: ExerciseVerdict, id: string): VerdictCheck {
  const check = verdict.checks.find((candidate) => candidate.id === id);
  assert.ok(check, `no check ${id} in ${verdict.checks.map((candidate) => candidate.id).join(', ')}`);
  return check;
}
