/** An error answer, RFC 9457 "Problem Details for HTTP APIs" (`application/problem+json`). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Extra members, e.g. the name of the invalid field. */
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The `type` of each problem the companion server reports, so a widget can
 * tell them apart without parsing `detail`. Generic HTTP errors (unknown path,
 * wrong method, body too large…) use `about:blank` (RFC 9457 §4.2.1), where
 * `title` is the HTTP status phrase. The others are tag URIs (RFC 4151):
 * identifiers, not links to fetch.
 */
export const PROBLEM_TYPES = {
  /** Nothing more specific than the HTTP status. */
  generic: 'about:blank',
  /** The channel name in the URL or body is not `[A-Za-z0-9_-]{1,64}`. */
  invalidChannel: 'tag:realtime-workbook,2026:invalid-channel',
  /** The body is not valid JSON. */
  invalidJson: 'tag:realtime-workbook,2026:invalid-json',
  /** The JSON is well formed but a field is missing or wrong; the `field` member names it. */
  invalidBody: 'tag:realtime-workbook,2026:invalid-body',
  /** A query parameter is missing or wrong; the `parameter` member names it. */
  invalidQuery: 'tag:realtime-workbook,2026:invalid-query',
  /** No job has this id (never existed, or finished long enough ago to be forgotten). */
  unknownJob: 'tag:realtime-workbook,2026:unknown-job',
  /** Too many jobs are running; retry after `Retry-After` seconds. */
  tooManyJobs: 'tag:realtime-workbook,2026:too-many-jobs',
  /** Too many builds are running; retry after `Retry-After` seconds. */
  tooManyBuilds: 'tag:realtime-workbook,2026:too-many-builds',
  /** A fault the reader injected (`server-errors`) answered this request; retry after `Retry-After` seconds. */
  injectedFault: 'tag:realtime-workbook,2026:injected-fault',
  /** The server is shutting down (graceful restart); retry after `Retry-After` seconds, maybe on another instance. */
  draining: 'tag:realtime-workbook,2026:draining',
  /** The progress body is not a valid `Progress`; `field` is a JSON Pointer to the first problem, `problems` lists them. */
  invalidProgress: 'tag:realtime-workbook,2026:invalid-progress',
  /** The progress names lessons this workbook does not have; `lessons` lists them. */
  unknownLesson: 'tag:realtime-workbook,2026:unknown-lesson',
  /** The `rtw_learner` cookie is not a learner id this server issues (22 characters of base64url). */
  invalidLearner: 'tag:realtime-workbook,2026:invalid-learner',
  /** An experiment of lesson 7 (storm, slow consumer, drain) is already running on this channel. */
  experimentRunning: 'tag:realtime-workbook,2026:experiment-running',
  /** Too many lesson 7 experiments are running over all channels; retry after `Retry-After` seconds. */
  tooManyExperiments: 'tag:realtime-workbook,2026:too-many-experiments',
} as const;
