import type { IncomingMessage } from 'node:http';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { LEARNER_COOKIE, PROGRESS_LIMITS, type Progress, type ProgressResponse } from '../../src/protocol/progress.ts';
import { validateProgress } from '../../src/protocol/validate-progress.ts';
import { HttpProblem } from '../http/problem.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';
import { learnerSetCookie, newLearnerId, readLearnerCookie } from '../progress/learner-cookie.ts';
import type { ProgressStore, StoredProgress } from '../progress/progress-store.ts';
import type { VerifiedStore } from '../exercises/verified-store.ts';

/** The handlers of `/api/progress`. */
export interface ProgressRoutes {
  /** `GET`: the learner's progress (empty for a visitor without a cookie, who is not recorded). */
  get: RouteHandler;
  /** `PUT`: merges the body into the stored progress and answers the result; the first one sets the cookie. */
  put: RouteHandler;
  /** `DELETE`: resets the learner's progress. */
  reset: RouteHandler;
}

export interface ProgressRoutesOptions {
  store: ProgressStore;
  /** The exercises the server verified: answered with the progress, never written by it. */
  verified: VerifiedStore;
  /** Lesson slugs a body may name (`readKnownLessons()`). */
  knownLessons: readonly string[];
  /** Told after every save and reset, with the stored result (workshops follow their members' progress). */
  onSaved?: (learnerId: string, progress: Progress) => void;
}

const nothingStored: Omit<ProgressResponse, 'verified'> = { progress: { lessons: {} }, updatedAt: null };

/**
 * The progress API (docs/api.md, "Progress"). The learner is the anonymous
 * id in the `rtw_learner` cookie. Every refusal happens before the store is
 * touched, so a bad request changes nothing.
 */
export function createProgressRoutes({ store, verified, knownLessons, onSaved }: ProgressRoutesOptions): ProgressRoutes {
  const known = new Set(knownLessons);

  /** The answer of every progress route: what is stored, and what the server verified. */
  async function answer(learner: string | undefined, stored: StoredProgress | undefined): Promise<ProgressResponse> {
    return { ...(stored ?? nothingStored), verified: learner === undefined ? {} : await verified.list(learner) };
  }

  return {
    get: async ({ request, response }) => {
      const learner = learnerFrom(request);
      const stored = learner === undefined ? undefined : await store.get(learner);
      sendJson(response, 200, await answer(learner, stored));
    },

    put: async ({ request, response }) => {
      const learner = learnerFrom(request);
      const body = await readJsonBody(request, { maxBytes: PROGRESS_LIMITS.maxBodyBytes });
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpProblem({
          status: 400,
          type: PROBLEM_TYPES.invalidBody,
          detail: `The body must be the progress as a JSON object ({"lessons": {…}}), not ${describeJsonKind(body)}.`,
        });
      }
      const checked = validateProgress(body, known);
      if (!checked.ok) {
        const onlyUnknownLessons = checked.unknownLessons.length === checked.problems.length;
        const first = checked.problems[0]!;
        throw new HttpProblem(
          onlyUnknownLessons
            ? {
                // Well-formed, but about lessons this workbook does not have: RFC 9110 §15.5.21.
                status: 422,
                type: PROBLEM_TYPES.unknownLesson,
                detail: `This workbook has no lesson ${list(checked.unknownLessons)}; it has ${list(knownLessons)}.`,
                extensions: { lessons: checked.unknownLessons, field: first.field },
              }
            : {
                status: 400,
                type: PROBLEM_TYPES.invalidProgress,
                detail: `${first.field || 'The body'}: ${first.message}`,
                extensions: { field: first.field, problems: checked.problems },
              },
        );
      }
      const id = learner ?? newLearnerId();
      const saved = await store.merge(id, checked.progress);
      onSaved?.(id, saved.progress);
      // Sent on every save: it renews the cookie's year.
      response.setHeader('Set-Cookie', learnerSetCookie(id, request));
      sendJson(response, 200, await answer(id, saved));
    },

    reset: async ({ request, response }) => {
      const learner = learnerFrom(request);
      const reset = learner === undefined ? undefined : await store.reset(learner);
      // A reset forgets what the server verified too: the reader asked to start over.
      if (learner !== undefined) await verified.forget(learner);
      if (reset && learner !== undefined) onSaved?.(learner, reset.progress);
      sendJson(response, 200, await answer(learner, reset));
    },
  };
}

/**
 * The learner id from the cookie, undefined without one.
 * @throws {HttpProblem} 400 `invalid-learner` for a malformed cookie, which
 *   the answer also expires, so the browser's next save starts afresh.
 */
export function learnerFrom(request: IncomingMessage): string | undefined {
  const cookie = readLearnerCookie(request);
  if (cookie.kind === 'absent') return undefined;
  if (cookie.kind === 'valid') return cookie.id;
  throw new HttpProblem({
    status: 400,
    type: PROBLEM_TYPES.invalidLearner,
    detail: `The ${LEARNER_COOKIE} cookie holds ${JSON.stringify(cookie.value)}, not a learner id this server issued (22 characters of A–Z a–z 0–9 _ -). It has been cleared; try again.`,
    headers: { 'Set-Cookie': `${LEARNER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax` },
  });
}

function list(items: readonly string[]): string {
  return items.map((item) => JSON.stringify(item)).join(', ') || 'none';
}
