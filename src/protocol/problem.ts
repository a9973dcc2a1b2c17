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
  /** The shared backplane (Redis) or database cannot be reached from this instance; retry after `Retry-After` seconds. */
  backendUnavailable: 'tag:realtime-workbook,2026:backend-unavailable',
  /** The progress body is not a valid `Progress`; `field` is a JSON Pointer to the first problem, `problems` lists them. */
  invalidProgress: 'tag:realtime-workbook,2026:invalid-progress',
  /** The progress names lessons this workbook does not have; `lessons` lists them. */
  unknownLesson: 'tag:realtime-workbook,2026:unknown-lesson',
  /** The `rtw_learner` cookie is not a learner id this server issues (22 characters of base64url). */
  invalidLearner: 'tag:realtime-workbook,2026:invalid-learner',
  /**
   * An experiment of lesson 7 (storm, slow consumer, drain) is already running on this channel.
   * Sent only to a start that another start on the same channel replaced while it waited: the newest start takes over.
   */
  experimentRunning: 'tag:realtime-workbook,2026:experiment-running',
  /** Too many lesson 7 experiments are running over all channels; retry after `Retry-After` seconds. */
  tooManyExperiments: 'tag:realtime-workbook,2026:too-many-experiments',
  /** No lesson 7 experiment runs with this id on this instance (it ended, or never existed). */
  unknownExperiment: 'tag:realtime-workbook,2026:unknown-experiment',
  /** Lesson 8's demo with the backplane was asked for, and there is no Redis: `install` lists the commands that get one. */
  backplaneMissing: 'tag:realtime-workbook,2026:backplane-missing',
  /** Too many two-instance demos (lesson 8) are running over all readers; retry after `Retry-After` seconds. */
  tooManyScalingDemos: 'tag:realtime-workbook,2026:too-many-scaling-demos',
  /** This channel started its two-instance demo too often in the last minute; retry after `Retry-After` seconds. */
  scalingStartsTooOften: 'tag:realtime-workbook,2026:scaling-starts-too-often',
  /** No two-instance demo runs for this channel (never started, stopped, or stopped after being idle). */
  unknownScalingDemo: 'tag:realtime-workbook,2026:unknown-scaling-demo',
  /** The demo's instance that should answer is not running (killed, paused, starting); `instance` names it. */
  instanceDown: 'tag:realtime-workbook,2026:instance-down',
  /** No workshop has this join code. */
  unknownWorkshop: 'tag:realtime-workbook,2026:unknown-workshop',
  /** The join code is not 6 characters of `JOIN_CODE_ALPHABET` (after upper-casing and removing spaces and dashes). */
  invalidJoinCode: 'tag:realtime-workbook,2026:invalid-join-code',
  /** The workshop is locked: its members stay, nobody new joins. */
  workshopLocked: 'tag:realtime-workbook,2026:workshop-locked',
  /** The workshop is closed: nobody joins or reports any more, and it cannot be reopened. */
  workshopClosed: 'tag:realtime-workbook,2026:workshop-closed',
  /** The workshop has as many members as it may (`WORKSHOP_LIMITS.maxMembers`). */
  workshopFull: 'tag:realtime-workbook,2026:workshop-full',
  /** Another member of the workshop already has this display name (case-insensitive). */
  nameTaken: 'tag:realtime-workbook,2026:name-taken',
  /** The display name is empty, too long, or holds control characters or `<` `>`. */
  invalidName: 'tag:realtime-workbook,2026:invalid-name',
  /** The learner (the `rtw_learner` cookie) is not a member of this workshop, or left it. */
  notAMember: 'tag:realtime-workbook,2026:not-a-member',
  /** A host endpoint was called without the workshop's secret (`Authorization: Bearer …` or the `rtw_host` cookie). */
  hostSecretRequired: 'tag:realtime-workbook,2026:host-secret-required',
  /** The secret given is not this workshop's. */
  hostSecretWrong: 'tag:realtime-workbook,2026:host-secret-wrong',
  /** This address (or learner) sent too many requests of one kind (`limit` names it, `src/protocol/rate-limits.ts`); retry after `Retry-After` seconds. */
  rateLimited: 'tag:realtime-workbook,2026:rate-limited',
  /** This address (`scope: "address"`) or the server (`scope: "server"`) holds as many streams as it may; close one, or retry after `Retry-After` seconds. */
  tooManyConnections: 'tag:realtime-workbook,2026:too-many-connections',
  /** Only the server publishes events of this type (`RESERVED_EVENT_TYPES`); `eventType` names it. */
  reservedEventType: 'tag:realtime-workbook,2026:reserved-event-type',
  /** The channel belongs to another reader (the learner cookie that opened it): only they may break, drain or stop it. */
  channelNotYours: 'tag:realtime-workbook,2026:channel-not-yours',
  /** No exercise run can be started for this lesson and exercise. */
  unknownExercise: 'tag:realtime-workbook,2026:unknown-exercise',
  /** No exercise run of this learner has this id (it ended more than `retainMs` ago, or is another learner's). */
  unknownExerciseRun: 'tag:realtime-workbook,2026:unknown-exercise-run',
  /**
   * 500: the server was about to answer JSON that its own contract
   * (`src/protocol/api-schemas.ts`) does not allow. Only with `RTW_CHECK_RESPONSES=1` (the tests).
   */
  responseContract: 'tag:realtime-workbook,2026:response-contract',
} as const;
