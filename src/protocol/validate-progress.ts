/**
 * What a progress document may hold, as zod schemas: the server's check of
 * `PUT /api/progress` and the check of an "Import progress" file run the same
 * code. Each schema is typed by its interface in `progress.ts`, so a member
 * the schema reads differently from the type fails `tsc`. Every message is a
 * whole sentence: what the value must be, and what it is.
 *
 * The progress page loads this module only when the reader imports a file,
 * so zod stays out of its first load (and out of every lesson page).
 */
import * as z from 'zod/mini';
import { describeJsonKind } from './json-kind.ts';
import { normalizeProgress } from './merge-progress.ts';
import {
  PROGRESS_EXPORT_FORMAT,
  PROGRESS_EXPORT_VERSION,
  PROGRESS_ID_PATTERN,
  PROGRESS_LIMITS,
  type LastPosition,
  type LessonProgress,
  type Progress,
  type QuizAttempt,
} from './progress.ts';

/** One thing wrong with a progress value. */
export interface ProgressProblem {
  /** Where, as a JSON Pointer (RFC 6901) into the checked value: `/lessons/short-polling/completedAt`. */
  field: string;
  /** What is wrong, phrased for a person. */
  message: string;
}

export type ProgressValidation =
  | { ok: true; progress: Progress }
  | {
      ok: false;
      /** At most {@link MAX_PROBLEMS}, one a field, in document order. */
      problems: ProgressProblem[];
      /** Lesson slugs named in the value that the workbook does not have (also among `problems`). */
      unknownLessons: string[];
    };

/** Problems reported at the most: a hostile body must not make a long answer. */
export const MAX_PROBLEMS = 20;

/**
 * Checks that `value` (parsed JSON from a request or a file) is a
 * {@link Progress} within {@link PROGRESS_LIMITS}, naming only lessons in
 * `knownLessons`. Unknown members are refused, so a typo is reported instead
 * of silently dropped.
 *
 * @returns a fresh, normalized copy holding nothing but the known members, or
 *   the problems found.
 */
export function validateProgress(value: unknown, knownLessons: Iterable<string>): ProgressValidation {
  const result = progressSchema(new Set(knownLessons)).safeParse(value, { reportInput: true });
  return result.success ? { ok: true, progress: normalizeProgress(result.data) } : { ok: false, ...problemsOf(result.error.issues) };
}

/**
 * Checks an exported file (`{format, version, exportedAt, progress}`) and
 * returns its progress, validated as {@link validateProgress} does.
 */
export function validateProgressExport(value: unknown, knownLessons: Iterable<string>): ProgressValidation {
  const result = progressExportSchema(new Set(knownLessons)).safeParse(value, { reportInput: true });
  return result.success
    ? { ok: true, progress: normalizeProgress(result.data.progress) }
    : { ok: false, ...problemsOf(result.error.issues) };
}

/** The progress document, naming only lessons of `knownLessons`. */
function progressSchema(knownLessons: ReadonlySet<string>): z.ZodMiniType<Progress> {
  const slug = (what: string) => lessonSlug(knownLessons, what);
  const lesson: z.ZodMiniType<LessonProgress> = strictObject('A lesson', {
    visitedAt: z.optional(time),
    completedAt: z.optional(time),
    uncompletedAt: z.optional(time),
    exercises: z.optional(
      atMost(
        PROGRESS_LIMITS.maxExercisesPerLesson,
        (count) => `Too many exercises: ${count}; at most ${PROGRESS_LIMITS.maxExercisesPerLesson} per lesson.`,
        z.record(progressId('An exercise id'), time, mustBe('"exercises" must be a JSON object')),
      ),
    ),
  });
  const last: z.ZodMiniType<LastPosition> = strictObject('"last"', {
    lesson: slug('"last.lesson"'),
    section: z.optional(sectionId),
    at: time,
  });
  return strictObject('The progress', {
    lessons: z.record(slug('A lesson'), lesson, mustBe('"lessons" must be a JSON object ({} when empty)')),
    quiz: z.optional(
      atMost(
        PROGRESS_LIMITS.maxQuizAttempts,
        (count) => `Too many quiz attempts: ${count}; at most ${PROGRESS_LIMITS.maxQuizAttempts}.`,
        z.array(quizAttempt, mustBe('"quiz" must be an array of attempts')),
      ),
    ),
    last: z.optional(last),
    resetAt: z.optional(time),
    epoch: z.optional(z.int(mustBe('"epoch" must be a whole number ≥ 0')).check(z.gte(0))),
  });
}

/** The file "Export as JSON" writes: its `format` and `version` are checked first, then the rest. */
function progressExportSchema(knownLessons: ReadonlySet<string>) {
  const header = z
    .looseObject(
      {
        format: z.literal(PROGRESS_EXPORT_FORMAT, {
          error: `This is not a Realtime Workbook progress file: "format" must be "${PROGRESS_EXPORT_FORMAT}".`,
        }),
      },
      mustBe('The file must hold a JSON object'),
    )
    .check(
      z.refine((file) => file.version === PROGRESS_EXPORT_VERSION, {
        path: ['version'],
        error: (issue) => {
          const { version } = issue.input as { version?: unknown };
          const found = version === undefined ? 'has no "version"' : `is version ${JSON.stringify(version)}`;
          return `The file ${found}; this workbook reads version ${PROGRESS_EXPORT_VERSION}.`;
        },
      }),
    );
  return z.pipe(
    header,
    strictObject('The file', {
      format: z.literal(PROGRESS_EXPORT_FORMAT),
      version: z.literal(PROGRESS_EXPORT_VERSION),
      /** For people; ignored on import. */
      exportedAt: z.optional(z.unknown()),
      progress: progressSchema(knownLessons),
    }),
  );
}

/** A time: ms since the epoch, as a JavaScript Date can hold it. */
const time = z.int(mustBe('A time must be a whole number of ms since 1970 (≥ 0)')).check(z.gte(0), z.lte(PROGRESS_LIMITS.maxTime));

/** An exercise, attempt or scenario id. */
function progressId(what: string) {
  return z
    .string(mustBe(`${what} must be 1–${PROGRESS_LIMITS.maxIdLength} characters of A–Z a–z 0–9 . _ : -`))
    .check(z.maxLength(PROGRESS_LIMITS.maxIdLength), z.regex(PROGRESS_ID_PATTERN));
}

/** A slug of `knownLessons`; an unknown one is marked, so that the server can answer 422 instead of 400. */
function lessonSlug(knownLessons: ReadonlySet<string>, what: string) {
  return z.string(mustBe(`${what} must be a lesson slug`)).check(
    z.refine((slug) => knownLessons.has(slug), {
      error: (issue) => `There is no lesson ${JSON.stringify(String(issue.input).slice(0, 80))} in this workbook.`,
      params: { unknownLesson: true },
    }),
  );
}

/** A section heading id, as `last.section`. */
const sectionId = z
  .string(mustBe(`"last.section" must be a heading id (1–${PROGRESS_LIMITS.maxSectionLength} characters, no spaces or #)`))
  .check(z.minLength(1), z.maxLength(PROGRESS_LIMITS.maxSectionLength), z.regex(/^[^\s#]+$/));

const quizScore = (total: number) => `"score" must be a whole number from 0 to ${total}`;

const quizAttempt: z.ZodMiniType<QuizAttempt> = strictObject('A quiz attempt', {
  id: progressId('A quiz attempt id'),
  at: time,
  score: z.int(mustBe(quizScore(PROGRESS_LIMITS.maxQuizTotal))).check(z.gte(0), z.lte(PROGRESS_LIMITS.maxQuizTotal)),
  total: z
    .int(mustBe(`"total" must be a whole number from 1 to ${PROGRESS_LIMITS.maxQuizTotal}`))
    .check(z.gte(1), z.lte(PROGRESS_LIMITS.maxQuizTotal)),
  answers: atMost(
    PROGRESS_LIMITS.maxQuizAnswers,
    (count) => `Too many answers: ${count}; at most ${PROGRESS_LIMITS.maxQuizAnswers}.`,
    z.record(
      progressId('A scenario id'),
      z
        .string(mustBe(`An answer must be a string of 1–${PROGRESS_LIMITS.maxAnswerLength} characters`))
        .check(z.minLength(1), z.maxLength(PROGRESS_LIMITS.maxAnswerLength)),
      mustBe('"answers" must be a JSON object'),
    ),
  ),
}).check(
  z.refine(({ score, total }) => score <= total, {
    path: ['score'],
    error: (issue) => {
      const { score, total } = issue.input as QuizAttempt;
      return `${quizScore(total)}, not ${score}.`;
    },
  }),
);

/**
 * An object with exactly the members of `shape`. `what` names it in the
 * message for a value that is not an object; an unknown member's problem
 * lists the allowed ones (see {@link problemsOf}).
 */
function strictObject<Shape extends z.core.$ZodLooseShape>(what: string, shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  const notAnObject = mustBe(`${what} must be a JSON object`).error;
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed: ${allowed}` : notAnObject(issue)),
  });
}

/**
 * `schema`, for an array or object of at most `max` items or members: a
 * longer one is refused before its items are read, with one problem that
 * names the limit rather than a problem for each item.
 */
function atMost<Schema extends z.ZodMiniType>(max: number, tooMany: (count: number) => string, schema: Schema) {
  return z.pipe(
    z.custom((value) => countOf(value) <= max, { error: (issue) => tooMany(countOf(issue.input)) }),
    schema,
  );
}

function countOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  return typeof value === 'object' && value !== null ? Object.keys(value).length : 0;
}

/** A schema's `error`: `rule` says what the value must be; the message goes on with the value found, or says it is missing. */
function mustBe(rule: string) {
  return {
    error: (issue: { input?: unknown }) => `${rule}${issue.input === undefined ? '; it is missing' : `, not ${shown(issue.input)}`}.`,
  };
}

/**
 * The problems of a failed check, in document order, one a field (the first
 * says enough), at most {@link MAX_PROBLEMS}; and the unknown lessons named.
 */
function problemsOf(issues: readonly z.core.$ZodIssue[]): { problems: ProgressProblem[]; unknownLessons: string[] } {
  const found: { path: readonly PropertyKey[]; problem: ProgressProblem }[] = [];
  const unknownLessons = new Set<string>();
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // zod reports an object's unknown members after its known ones; name them first,
      // as a typo is the cause of the member it leaves missing.
      const unknown = issue.keys.map((key) => ({
        path: [...issue.path, key],
        problem: { field: pointer([...issue.path, key]), message: `Unknown member ${JSON.stringify(key.slice(0, 80))}; ${issue.message}.` },
      }));
      const firstInside = found.findIndex(({ path }) => issue.path.every((key, i) => path[i] === key));
      found.splice(firstInside === -1 ? found.length : firstInside, 0, ...unknown);
      continue;
    }
    // A record's bad key (an unknown lesson, a malformed id): its key schema's issue says what is wrong.
    const cause = issue.code === 'invalid_key' ? (issue.issues[0] ?? issue) : issue;
    if (cause.code === 'custom' && cause.params?.unknownLesson && unknownLessons.size < MAX_PROBLEMS) {
      unknownLessons.add(String(cause.input).slice(0, 80));
    }
    found.push({ path: issue.path, problem: { field: pointer(issue.path), message: cause.message } });
  }
  const fields = new Set<string>();
  const problems = found
    .map(({ problem }) => problem)
    .filter(({ field }) => !fields.has(field) && fields.add(field))
    .slice(0, MAX_PROBLEMS);
  return { problems, unknownLessons: [...unknownLessons] };
}

/** RFC 6901 §3: `~` and `/` in a member name are escaped in a JSON Pointer. */
function pointer(path: readonly PropertyKey[]): string {
  return path.map((key) => `/${String(key).slice(0, 80).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeJsonKind(value);
}
