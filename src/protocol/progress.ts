import type { VerifiedCompletions } from './exercise-runs.ts';

/**
 * The reader's progress as the browser keeps it and the server stores it
 * (`GET`/`PUT`/`DELETE /api/progress`), and the file "Export as JSON" writes.
 * Every time is in ms since the epoch, by the clock of the device that
 * recorded it. How two copies combine is `mergeProgress()` in
 * `merge-progress.ts`; what a server accepts is `validateProgress()` in
 * `validate-progress.ts`, zod schemas typed by these interfaces.
 */

/** One lesson. A lesson is complete when `completedAt` is present (after normalizing: see {@link Progress}). */
export interface LessonProgress {
  /** The last time the lesson page was opened. Any visit makes the lesson "in progress". */
  visitedAt?: number;
  /** The last time the lesson was completed: marked by the reader, or earned by finishing its exercise. */
  completedAt?: number;
  /**
   * The last time the reader marked the lesson incomplete (undid "Mark complete").
   * A completion counts only when it is later, so an undo on one device is not
   * brought back by an older completion from another, and a later completion
   * wins over the undo. A normalized lesson has at most one of the two.
   */
  uncompletedAt?: number;
  /** Exercise id → the last time it was done. */
  exercises?: Record<string, number>;
}

/** One run through the scenario quiz (lesson 9). */
export interface QuizAttempt {
  /** Random id, so merging two copies' attempts never counts one twice. */
  id: string;
  /** When it was finished. */
  at: number;
  /**
   * Scenarios answered with their best technique, of `total`: a whole number.
   * The quiz also gives half a point for an acceptable technique; those are
   * not counted here, and can be recomputed from `answers`.
   */
  score: number;
  total: number;
  /** Scenario id → the technique the learner picked (`short-polling`, `long-polling`, `sse`, `websocket`). */
  answers: Record<string, string>;
}

/** Where the reader was last: "continue where you left off". */
export interface LastPosition {
  /** The lesson's slug. */
  lesson: string;
  /** The id of the section heading being read, if any. */
  section?: string;
  at: number;
}

export interface Progress {
  /** Lesson slug → what the reader did there. Only lessons with something recorded appear. */
  lessons: Record<string, LessonProgress>;
  /** Scenario quiz attempts, oldest first; the newest {@link PROGRESS_LIMITS.maxQuizAttempts} are kept. */
  quiz?: QuizAttempt[];
  /** The last lesson opened, and the section heading id, for "continue where you left off". */
  last?: LastPosition;
  /**
   * The last time the reader reset all progress: everything recorded at or
   * before it is gone, on every copy it reaches. What a copy recorded later
   * (another tab, an offline device) survives.
   */
  resetAt?: number;
  /**
   * Bumped when the reader replaces their progress with an imported file:
   * a copy with a higher epoch wins outright, with no merging. Absent is 0.
   */
  epoch?: number;
}

/** Bounds every copy of the progress respects; the server refuses a body past them. */
export const PROGRESS_LIMITS = {
  /** Largest `PUT /api/progress` body. Comfortably above the largest valid progress (about 70 KB). */
  maxBodyBytes: 128 * 1024,
  /** Exercises recorded per lesson. */
  maxExercisesPerLesson: 16,
  /** Quiz attempts kept: a merge keeps the newest; a body with more is refused. */
  maxQuizAttempts: 20,
  /** Answers per quiz attempt. */
  maxQuizAnswers: 24,
  /** Exercise ids, quiz attempt ids, scenario ids: `[A-Za-z0-9._:-]`, at most this long. */
  maxIdLength: 64,
  /** A picked answer (a technique name). */
  maxAnswerLength: 32,
  /** A section heading id in `last.section`. */
  maxSectionLength: 128,
  /** Scenarios in one quiz attempt (`total`). */
  maxQuizTotal: 100,
  /** Largest time accepted: the largest a JavaScript Date can hold (year 275760). */
  maxTime: 8.64e15,
} as const;

/** Exercise, attempt and scenario ids. */
export const PROGRESS_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** `GET`, `PUT` and `DELETE /api/progress` answer with this. */
export interface ProgressResponse {
  /** The progress stored for the learner, merged and normalized. */
  progress: Progress;
  /** When the server last saved it (ms since the epoch); `null` when it has nothing for this learner. */
  updatedAt: number | null;
  /**
   * The exercises the server itself saw the learner pass (`src/protocol/exercise-runs.ts`).
   * Read-only: only a passed exercise run writes it, never a `PUT`.
   */
  verified: VerifiedCompletions;
}

/** The cookie that carries the anonymous learner id. */
export const LEARNER_COOKIE = 'rtw_learner';
/** A learner id: 128 random bits, base64url without padding. */
export const LEARNER_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** How long the learner cookie lives, in seconds (a year; each save renews it). */
export const LEARNER_COOKIE_MAX_AGE = 31_536_000;

/** The `format` member of an exported file. */
export const PROGRESS_EXPORT_FORMAT = 'realtime-workbook-progress';
/** The version of the export file format this code writes and reads. */
export const PROGRESS_EXPORT_VERSION = 1;
/** The file name "Export as JSON" suggests. */
export const PROGRESS_EXPORT_FILE_NAME = 'realtime-workbook-progress.json';

/** The file "Export as JSON" downloads and "Import progress" reads. */
export interface ProgressExport {
  format: typeof PROGRESS_EXPORT_FORMAT;
  version: typeof PROGRESS_EXPORT_VERSION;
  /** When it was exported, ISO 8601 (for people; ignored on import). */
  exportedAt: string;
  progress: Progress;
}
