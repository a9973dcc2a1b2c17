import { SAVED_CODE_LIMITS } from '../../src/protocol/exercise-runs.ts';
import { saveCodeRequest } from '../../src/protocol/request-bodies.ts';
import { type CodeStore, NO_CODE } from '../exercises/code-store.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteContext, RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { learnerSetCookie, newLearnerId } from '../progress/learner-cookie.ts';
import { unknownExercise } from './exercise-runs.ts';
import { learnerFrom } from './progress.ts';

/** The exercises that take code, as `lesson/exercise`. */
export interface CodedExercises {
  has(lesson: string, exercise: string): boolean;
  names(): string[];
}

/**
 * `GET` and `PUT /api/exercises/{lesson}/{exercise}/code`: the learner's
 * code, kept like the progress (the browser first, the server a copy for
 * another browser of the same learner). The newer copy wins.
 */
export function createExerciseCodeRoutes(store: CodeStore, exercises: CodedExercises): { get: RouteHandler; put: RouteHandler } {
  const exerciseOf = ({ params }: RouteContext) => {
    const { lesson = '', exercise = '' } = params;
    if (!exercises.has(lesson, exercise)) throw unknownExercise(lesson, exercise, exercises.names());
    return { lesson, exercise };
  };
  return {
    get: async (context) => {
      const { lesson, exercise } = exerciseOf(context);
      const learner = learnerFrom(context.request);
      sendJson(context.response, 200, learner === undefined ? NO_CODE : await store.get(learner, lesson, exercise));
    },
    put: async (context) => {
      const { lesson, exercise } = exerciseOf(context);
      // A character takes up to 3 bytes of UTF-8, and JSON may escape some to 6.
      const { code, savedAt } = await readBody(context.request, saveCodeRequest, { maxBytes: 6 * SAVED_CODE_LIMITS.maxLength + 1_024 });
      const learner = learnerFrom(context.request) ?? newLearnerId();
      const kept = await store.save(learner, lesson, exercise, code, savedAt);
      context.response.setHeader('Set-Cookie', learnerSetCookie(learner, context.request));
      sendJson(context.response, 200, kept);
    },
  };
}
