import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiRoutes } from '../../../src/protocol/api-routes.ts';
import type { ExerciseRun, ExerciseVerdict, VerdictCheck } from '../../../src/protocol/exercise-runs.ts';
import type { LongPollResponse } from '../../../src/protocol/long-polling.ts';
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

/** What a long-poll loop under test does after a failed poll; the default is lesson 3's correct client. */
export type AfterFailure = 'same-cursor' | 'restart-from-zero' | 'give-up';

/** A long-poll loop as the lesson's learner would write it: returns the ids it showed, in order. */
export async function longPollLoop(url: string, afterFailure: AfterFailure = 'same-cursor'): Promise<number[]> {
  const shown: number[] = [];
  let cursor = 0;
  for (let polls = 0; polls < 40; polls += 1) {
    try {
      const response = await fetch(`${url}?cursor=${cursor}&timeout=5000`);
      if (response.status === 204) continue;
      const body = (await response.json()) as LongPollResponse;
      for (const event of body.events) shown.push(event.id);
      cursor = body.cursor;
      if (body.events.some((event) => event.type === 'done')) return shown;
    } catch {
      if (afterFailure === 'give-up') return shown;
      if (afterFailure === 'restart-from-zero') cursor = 0;
      await sleep(200);
    }
  }
  return shown;
}
