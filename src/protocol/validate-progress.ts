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
import { normalizeProgress } from './merge-progress.ts';

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
      /** At most {@link MAX_PROBLEMS}, in document order. */
      problems: ProgressProblem[];
      /** Lesson slugs named in the value that the workbook does not have (also among `problems`). */
      unknownLessons: string[];
    };

/** Checking stops after this many problems: a hostile body must not make a long answer. */
export const MAX_PROBLEMS = 20;

const PROGRESS_MEMBERS = ['lessons', 'quiz', 'last', 'resetAt', 'epoch'];
const LESSON_MEMBERS = ['visitedAt', 'completedAt', 'uncompletedAt', 'exercises'];
const ATTEMPT_MEMBERS = ['id', 'at', 'score', 'total', 'answers'];
const LAST_MEMBERS = ['lesson', 'section', 'at'];

/**
 * Checks that `value` (parsed JSON from a request or a file) is a
 * {@link Progress} within {@link PROGRESS_LIMITS}, naming only lessons in
 * `knownLessons`. Unknown members are refused, so a typo is reported instead
 * of silently dropped.
 *
 * @returns a fresh, normalized copy holding nothing but the known members, or
 *   the problems found.
 */
export function validateProgress(value: unknown, knownLessons: Iterable<string>, pointer = ''): ProgressValidation {
  const check = new Checker(new Set(knownLessons));
  const progress = check.progress(value, pointer);
  if (check.problems.length > 0 || !progress) {
    return { ok: false, problems: check.problems.slice(0, MAX_PROBLEMS), unknownLessons: [...check.unknownLessons] };
  }
  return { ok: true, progress: normalizeProgress(progress) };
}

/**
 * Checks an exported file (`{format, version, exportedAt, progress}`) and
 * returns its progress, validated as {@link validateProgress} does.
 */
export function validateProgressExport(value: unknown, knownLessons: Iterable<string>): ProgressValidation {
  const fail = (field: string, message: string): ProgressValidation => ({
    ok: false,
    problems: [{ field, message }],
    unknownLessons: [],
  });
  if (!isObject(value)) return fail('', `The file must hold a JSON object, not ${kind(value)}.`);
  if (value.format !== PROGRESS_EXPORT_FORMAT) {
    return fail('/format', `This is not a Realtime Workbook progress file: "format" must be "${PROGRESS_EXPORT_FORMAT}".`);
  }
  if (value.version !== PROGRESS_EXPORT_VERSION) {
    return fail(
      '/version',
      `The file is version ${JSON.stringify(value.version)}; this workbook reads version ${PROGRESS_EXPORT_VERSION}.`,
    );
  }
  const unknown = Object.keys(value).find((key) => !['format', 'version', 'exportedAt', 'progress'].includes(key));
  if (unknown !== undefined) return fail(`/${escapePointerToken(unknown)}`, `Unknown member "${unknown}".`);
  if (!('progress' in value)) return fail('/progress', 'The file has no "progress".');
  return validateProgress(value.progress, knownLessons, '/progress');
}

class Checker {
  readonly problems: ProgressProblem[] = [];
  readonly unknownLessons = new Set<string>();
  readonly #known: Set<string>;

  constructor(known: Set<string>) {
    this.#known = known;
  }

  progress(value: unknown, at: string): Progress | undefined {
    if (!this.#object(value, at, PROGRESS_MEMBERS, 'The progress')) return undefined;
    const result: Progress = { lessons: {} };
    if (!('lessons' in value)) this.#problem(`${at}/lessons`, '"lessons" is required (an object, {} when empty).');
    else if (this.#object(value.lessons, `${at}/lessons`, undefined, '"lessons"')) {
      for (const [slug, lesson] of Object.entries(value.lessons)) {
        const where = `${at}/lessons/${escapePointerToken(slug)}`;
        if (!this.#knownLesson(slug, where)) continue;
        const checked = this.#lesson(lesson, where);
        if (checked) result.lessons[slug] = checked;
      }
    }
    if ('quiz' in value) result.quiz = this.#quiz(value.quiz, `${at}/quiz`);
    if ('last' in value) result.last = this.#last(value.last, `${at}/last`);
    if ('resetAt' in value) result.resetAt = this.#time(value.resetAt, `${at}/resetAt`);
    if ('epoch' in value) {
      const epoch = value.epoch;
      if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
        this.#problem(`${at}/epoch`, `"epoch" must be a whole number ≥ 0, not ${shown(epoch)}.`);
      } else result.epoch = epoch;
    }
    return result;
  }

  #lesson(value: unknown, at: string): LessonProgress | undefined {
    if (!this.#object(value, at, LESSON_MEMBERS, 'A lesson')) return undefined;
    const result: LessonProgress = {};
    for (const member of ['visitedAt', 'completedAt', 'uncompletedAt'] as const) {
      if (member in value) result[member] = this.#time(value[member], `${at}/${member}`);
    }
    if ('exercises' in value && this.#object(value.exercises, `${at}/exercises`, undefined, '"exercises"')) {
      const entries = Object.entries(value.exercises);
      if (entries.length > PROGRESS_LIMITS.maxExercisesPerLesson) {
        this.#problem(
          `${at}/exercises`,
          `Too many exercises: ${entries.length}; at most ${PROGRESS_LIMITS.maxExercisesPerLesson} per lesson.`,
        );
      } else {
        result.exercises = {};
        for (const [id, time] of entries) {
          const where = `${at}/exercises/${escapePointerToken(id)}`;
          if (this.#id(id, where, 'An exercise id')) result.exercises[id] = this.#time(time, where) ?? 0;
        }
      }
    }
    return result;
  }

  #quiz(value: unknown, at: string): QuizAttempt[] | undefined {
    if (!Array.isArray(value)) {
      this.#problem(at, `"quiz" must be an array of attempts, not ${kind(value)}.`);
      return undefined;
    }
    if (value.length > PROGRESS_LIMITS.maxQuizAttempts) {
      this.#problem(at, `Too many quiz attempts: ${value.length}; at most ${PROGRESS_LIMITS.maxQuizAttempts}.`);
      return undefined;
    }
    const attempts: QuizAttempt[] = [];
    value.forEach((item, index) => {
      const where = `${at}/${index}`;
      if (!this.#object(item, where, ATTEMPT_MEMBERS, 'A quiz attempt')) return;
      for (const member of ATTEMPT_MEMBERS) {
        if (!(member in item)) this.#problem(`${where}/${member}`, `A quiz attempt needs "${member}".`);
      }
      const id = this.#id(item.id, `${where}/id`, 'A quiz attempt id') ? (item.id as string) : '';
      const time = this.#time(item.at, `${where}/at`) ?? 0;
      const total = this.#count(item.total, `${where}/total`, 1, PROGRESS_LIMITS.maxQuizTotal);
      const score = this.#count(item.score, `${where}/score`, 0, total ?? PROGRESS_LIMITS.maxQuizTotal);
      const answers: Record<string, string> = {};
      if (this.#object(item.answers, `${where}/answers`, undefined, '"answers"')) {
        const entries = Object.entries(item.answers);
        if (entries.length > PROGRESS_LIMITS.maxQuizAnswers) {
          this.#problem(`${where}/answers`, `Too many answers: ${entries.length}; at most ${PROGRESS_LIMITS.maxQuizAnswers}.`);
        }
        for (const [scenario, answer] of entries.slice(0, PROGRESS_LIMITS.maxQuizAnswers)) {
          const answerAt = `${where}/answers/${escapePointerToken(scenario)}`;
          if (!this.#id(scenario, answerAt, 'A scenario id')) continue;
          if (typeof answer !== 'string' || answer.length === 0 || answer.length > PROGRESS_LIMITS.maxAnswerLength) {
            this.#problem(answerAt, `An answer must be a string of 1–${PROGRESS_LIMITS.maxAnswerLength} characters, not ${shown(answer)}.`);
          } else answers[scenario] = answer;
        }
      }
      attempts.push({ id, at: time, score: score ?? 0, total: total ?? 1, answers });
    });
    return attempts;
  }

  #last(value: unknown, at: string): LastPosition | undefined {
    if (!this.#object(value, at, LAST_MEMBERS, '"last"')) return undefined;
    const lesson = value.lesson;
    if (typeof lesson !== 'string') {
      this.#problem(`${at}/lesson`, `"last.lesson" must be a lesson slug, not ${shown(lesson)}.`);
      return undefined;
    }
    if (!this.#knownLesson(lesson, `${at}/lesson`)) return undefined;
    const result: LastPosition = { lesson, at: this.#time(value.at, `${at}/at`) ?? 0 };
    if (!('at' in value)) this.#problem(`${at}/at`, '"last" needs "at".');
    if ('section' in value) {
      const section = value.section;
      if (
        typeof section !== 'string' ||
        section.length === 0 ||
        section.length > PROGRESS_LIMITS.maxSectionLength ||
        /[\s#]/.test(section)
      ) {
        this.#problem(
          `${at}/section`,
          `"last.section" must be a heading id (1–${PROGRESS_LIMITS.maxSectionLength} characters, no spaces or #), not ${shown(section)}.`,
        );
      } else result.section = section;
    }
    return result;
  }

  #knownLesson(slug: string, at: string): boolean {
    if (this.#known.has(slug)) return true;
    if (this.unknownLessons.size < MAX_PROBLEMS) this.unknownLessons.add(slug.slice(0, 80));
    this.#problem(at, `There is no lesson "${slug.slice(0, 80)}" in this workbook.`);
    return false;
  }

  #time(value: unknown, at: string): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= PROGRESS_LIMITS.maxTime) {
      return value;
    }
    this.#problem(at, `A time must be a whole number of ms since 1970 (≥ 0), not ${shown(value)}.`);
    return undefined;
  }

  #count(value: unknown, at: string, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    if (value !== undefined) this.#problem(at, `Must be a whole number from ${min} to ${max}, not ${shown(value)}.`);
    return undefined;
  }

  #id(value: unknown, at: string, what: string): boolean {
    if (typeof value === 'string' && value.length <= PROGRESS_LIMITS.maxIdLength && PROGRESS_ID_PATTERN.test(value)) {
      return true;
    }
    if (value !== undefined) {
      this.#problem(at, `${what} must be 1–${PROGRESS_LIMITS.maxIdLength} characters of A–Z a–z 0–9 . _ : -, not ${shown(value)}.`);
    }
    return false;
  }

  #object(value: unknown, at: string, members: readonly string[] | undefined, what: string): value is Record<string, unknown> {
    if (!isObject(value)) {
      this.#problem(at, `${what} must be a JSON object, not ${kind(value)}.`);
      return false;
    }
    if (members) {
      for (const key of Object.keys(value)) {
        if (!members.includes(key)) {
          this.#problem(`${at}/${escapePointerToken(key)}`, `Unknown member "${key.slice(0, 80)}"; allowed: ${members.join(', ')}.`);
        }
      }
    }
    return true;
  }

  #problem(field: string, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, message });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901 §3: `~` and `/` in a member name are escaped in a JSON Pointer. */
function escapePointerToken(key: string): string {
  return key.slice(0, 80).replaceAll('~', '~0').replaceAll('/', '~1');
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return kind(value);
}
