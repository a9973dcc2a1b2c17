/**
 * The request bodies of the API as zod schemas: one definition gives the
 * TypeScript type (`z.output`) and the server's check (`server/http/parse-body.ts`).
 * Each names its route of the table (`api-routes.ts`). They live apart from the
 * table so that a page which only builds URLs does not download zod; a form
 * checks with the same functions the schemas call (`displayNameProblem`).
 *
 * A message says what a field must be ("a whole number of milliseconds from
 * 5000 to 3600000"), and the server puts it after the field and its value; a
 * refinement's message is a whole sentence, and its `params.type` the problem type.
 */
import * as z from 'zod/mini';
import { BUILD_LIMITS } from './builds.ts';
import { isValidChannel } from './channel.ts';
import { EVENT_TYPE_PATTERN } from './events.ts';
import { FAULT_LIMITS, FAULT_TYPES, type FaultRequest } from './faults.ts';
import { isNoteEventData, JOB_LIMITS, NOTE_EVENT_TYPE } from './jobs.ts';
import { SAVED_CODE_LIMITS } from './exercise-runs.ts';
import { describeJsonKind } from './json-kind.ts';
import { LAB_LIMITS } from './lab.ts';
import { PROBLEM_TYPES } from './problem.ts';
import { DRAIN_LIMITS, SLOW_CONSUMER_LIMITS, SLOW_CONSUMER_TRANSPORTS, STORM_LIMITS, STORM_STRATEGIES } from './production.ts';
import { cleanDisplayName, displayNameProblem, WORKSHOP_LIMITS, WORKSHOP_STATES } from './workshops.ts';

/** Control, format and line/paragraph separator characters, and lone surrogates: never part of a title or a broadcast. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

const TRUE_OR_FALSE = { error: 'true or false' };

const EVENT_TYPE_RULE = '1–64 characters of A–Z a–z 0–9 . _ -';

/**
 * Text a person typed for others to read (a workshop title, a broadcast):
 * NFC, trimmed, spaces collapsed, 1–`maxLength` code points, no control characters.
 */
function plainText(field: string, maxLength: number) {
  return z.pipe(
    z.string({ error: 'text' }).check(
      z.refine((text) => !CONTROL_CHARACTERS.test(text), {
        error: `"${field}" is plain text on one line: no control characters or line breaks.`,
        abort: true,
      }),
      z.refine(
        (text) => {
          const length = [...cleanDisplayName(text)].length;
          return length > 0 && length <= maxLength;
        },
        {
          error: (issue) => `"${field}" must have 1–${maxLength} characters; it has ${[...cleanDisplayName(String(issue.input))].length}.`,
        },
      ),
    ),
    z.transform(cleanDisplayName),
  );
}

/** A display name, checked by {@link displayNameProblem} (the join form runs the same), stored clean. */
const displayName = z.pipe(
  z.custom<string>((value) => typeof value === 'string' && displayNameProblem(value) === null, {
    error: (issue) =>
      typeof issue.input === 'string'
        ? (displayNameProblem(issue.input) ?? '')
        : `The name must be a string, not ${describeJsonKind(issue.input)}.`,
    params: { type: PROBLEM_TYPES.invalidName },
  }),
  z.transform(cleanDisplayName),
);

/** A lesson slug; whether this workbook has it is the server's to say (422). */
const lessonSlug = z.string({ error: 'a lesson slug' });

const channelName = z.custom<string>((value) => typeof value === 'string' && isValidChannel(value), {
  error: (issue) => `${JSON.stringify(issue.input)?.slice(0, 80)} is not a channel name (1–64 characters of A–Z a–z 0–9 _ -).`,
  params: { type: PROBLEM_TYPES.invalidChannel },
});

/** Body of `POST /api/labs/{id}/run`: the rate from one an hour to 50 a second, the duration from 5 s to 1 h. */
export const runLabRequest = z
  .strictObject({
    /** Average events per minute, from 1/60 (one an hour) to 3 000 (50 a second). */
    ratePerMinute: z.number({ error: 'a number of events per minute' }).check(
      // A little slack below one an hour: 1/60 written with fewer digits must still pass.
      z.gte(LAB_LIMITS.minRatePerMinute * 0.999, { error: rateRange() }),
      z.lte(LAB_LIMITS.maxRatePerMinute, { error: rateRange() }),
    ),
    /** How long to publish, in ms. */
    durationMs: z
      .int({ error: durationRange() })
      .check(z.gte(LAB_LIMITS.minDurationMs, { error: durationRange() }), z.lte(LAB_LIMITS.maxDurationMs, { error: durationRange() })),
  })
  .check(
    z.refine(({ ratePerMinute, durationMs }) => (ratePerMinute * durationMs) / 60_000 <= LAB_LIMITS.maxEventsPerRun, {
      error: (issue) => {
        const { ratePerMinute, durationMs } = issue.input as RunLabRequest;
        return `This run would publish about ${Math.round((ratePerMinute * durationMs) / 60_000)} events; a run may publish ${LAB_LIMITS.maxEventsPerRun} at most. Lower the rate or the duration.`;
      },
      path: ['durationMs'],
    }),
  );
export type RunLabRequest = z.output<typeof runLabRequest>;

function rateRange(): string {
  return `from ${LAB_LIMITS.minRatePerMinute.toFixed(4)} (one an hour) to ${LAB_LIMITS.maxRatePerMinute} (50 a second)`;
}

function durationRange(): string {
  return `a whole number of milliseconds from ${LAB_LIMITS.minDurationMs} to ${LAB_LIMITS.maxDurationMs}`;
}

/** Body of `POST /api/workshops`. */
export const createWorkshopRequest = z.strictObject({ title: plainText('title', WORKSHOP_LIMITS.maxTitleLength) });

/** Body of `POST /api/workshops/{code}/members`: joining (or renaming oneself). */
export const joinWorkshopRequest = z.strictObject({ name: displayName });

/** What the learner's page reports every `WORKSHOP_TIMINGS.heartbeatMs` and on each page load. */
export const heartbeatRequest = z.strictObject({
  /** The lesson being read (a slug), or null on another page. */
  lesson: z.nullable(lessonSlug),
  /** The channels of the live demos on the page, where broadcasts go: each once, at most `maxChannelsPerMember`. */
  channels: z
    .pipe(
      z.array(channelName, { error: 'an array of channel names' }),
      z.transform((channels) => [...new Set(channels)]),
    )
    .check(
      z.refine((channels) => channels.length <= WORKSHOP_LIMITS.maxChannelsPerMember, {
        error: (issue) =>
          `A page may register at most ${WORKSHOP_LIMITS.maxChannelsPerMember} demo channels; this one has ${(issue.input as string[]).length}.`,
      }),
    ),
  /**
   * False while the page has closed its learner stream on purpose (it lent
   * the connection to lesson 4's experiment): until the stream reopens,
   * heartbeats alone say the page is there. Absent means true.
   */
  streaming: z.optional(z.boolean(TRUE_OR_FALSE)),
});
export type Heartbeat = z.input<typeof heartbeatRequest>;

/** Body of `PUT /api/workshops/{code}/me/done`. */
export const doneRequest = z.strictObject({ done: z.boolean(TRUE_OR_FALSE) });

/** Body of `POST /api/workshops/{code}/host/goto`. */
export const gotoRequest = z.strictObject({ lesson: lessonSlug });

/** Body of `POST /api/workshops/{code}/host/broadcast`. */
export const broadcastRequest = z.strictObject({ text: plainText('text', WORKSHOP_LIMITS.maxBroadcastLength) });

/** Body of `PUT /api/workshops/{code}/host/state`. */
export const workshopStateRequest = z.strictObject({ state: z.enum(WORKSHOP_STATES, { error: `one of ${WORKSHOP_STATES.join(', ')}` }) });

/** Body of `PUT /api/exercises/{lesson}/{exercise}/code`: the learner's code, and when their browser saved it. */
export const saveCodeRequest = z.strictObject({
  code: z
    .string({ error: 'the code, as a string' })
    .check(z.maxLength(SAVED_CODE_LIMITS.maxLength, { error: `a string of at most ${SAVED_CODE_LIMITS.maxLength} characters` })),
  savedAt: z
    .int({ error: 'a time in ms since the epoch' })
    .check(z.gte(0, { error: 'a time in ms since the epoch' }), z.lte(8.64e15, { error: 'a time in ms since the epoch' })),
});
export type SaveCodeRequest = z.input<typeof saveCodeRequest>;

/** Body of `POST /api/channels/{channel}/events`: a `note` must carry `{text}` (unfinished jobs of the channel take it as their note). */
export const publishRequest = z
  .strictObject({
    /** What happened, e.g. `note`. */
    type: z.string({ error: EVENT_TYPE_RULE }).check(z.regex(EVENT_TYPE_PATTERN, { error: EVENT_TYPE_RULE })),
    /** Any JSON value; absent is null. */
    data: z.optional(z.unknown()),
  })
  .check(
    z.refine(({ type, data }) => type !== NOTE_EVENT_TYPE || isNoteEventData(data), {
      error: `A "note" event needs data {"text": string} of at most ${JOB_LIMITS.maxNoteLength} characters.`,
      path: ['data'],
    }),
  );
export type PublishRequest = z.input<typeof publishRequest>;

/** Body of `POST /api/scaling/{channel}`: starts (or restarts) the channel's pair of instances. */
export const startScalingDemoRequest = z.strictObject({
  /** true: both instances get the same REDIS_URL and a fresh REDIS_PREFIX; false: each has its own in-memory bus. */
  backplane: z.boolean({ error: 'true (a shared Redis) or false (none)' }),
});
export type StartScalingDemoRequest = z.output<typeof startScalingDemoRequest>;

/** A channel named in a body (`channel`), checked as in a URL. */
const bodyChannel = z.custom<string>((value) => typeof value === 'string' && isValidChannel(value), {
  error: (issue) =>
    `The channel in the body is ${typeof issue.input === 'string' ? JSON.stringify(issue.input.slice(0, 80)) : describeJsonKind(issue.input)}; a channel name is 1–64 characters of A–Z a–z 0–9 _ -.`,
  params: { type: PROBLEM_TYPES.invalidChannel },
});

/** What starts a simulated run (a job, a build): `{channel?, durationMs?, outcome?}`, every member optional, or no body at all. */
function simulationRequest<const Outcome extends string>(
  limits: { minDurationMs: number; maxDurationMs: number },
  outcomes: readonly [Outcome, ...Outcome[]],
) {
  const duration = { error: `a whole number of milliseconds from ${limits.minDurationMs} to ${limits.maxDurationMs}` };
  return z.strictObject({
    /** The channel the run reports on; a random one of the reader's own when absent. */
    channel: z.optional(bodyChannel),
    /** How long the run lasts (the limits' default when absent). */
    durationMs: z.optional(z.int(duration).check(z.gte(limits.minDurationMs, duration), z.lte(limits.maxDurationMs, duration))),
    /** How the run ends (the first outcome when absent). */
    outcome: z.optional(z.enum(outcomes, { error: outcomes.map((name) => JSON.stringify(name)).join(' or ') })),
  });
}

/** Body of `POST /api/jobs` (optional). */
export const startJobRequest = simulationRequest(JOB_LIMITS, ['succeeded', 'failed']);
export type StartJobRequest = z.input<typeof startJobRequest>;

/** Body of `POST /api/builds` (optional). */
export const startBuildRequest = simulationRequest(BUILD_LIMITS, ['passed', 'failed']);
export type StartBuildRequest = z.input<typeof startBuildRequest>;

/** A whole number from `min` to `max`; `fallback` when absent or null. */
function wholeNumber(min: number, max: number, fallback: number) {
  const rule = { error: `a whole number from ${min} to ${max}` };
  return z.pipe(
    z.nullish(z.int(rule).check(z.gte(min, rule), z.lte(max, rule))),
    z.transform((value) => value ?? fallback),
  );
}

/** Body of `POST /api/production/storms`. */
export const startStormRequest = z.strictObject({
  /** The widget's channel: the storm's results are published on it. */
  channel: bodyChannel,
  /** Fleet size (default `STORM_LIMITS.defaultClients`). */
  clients: wholeNumber(STORM_LIMITS.minClients, STORM_LIMITS.maxClients, STORM_LIMITS.defaultClients),
  strategy: z.enum(STORM_STRATEGIES, { error: 'none, exponential or full-jitter' }),
});
export type StartStormRequest = z.input<typeof startStormRequest>;

/** Body of `POST /api/production/slow-consumers`. */
export const startSlowConsumerRequest = z.strictObject({
  channel: bodyChannel,
  transport: z.enum(SLOW_CONSUMER_TRANSPORTS, { error: 'sse or websocket' }),
  /** How fast the consumer reads, in bytes per second; 0 stalls it. */
  readBytesPerSecond: wholeNumber(0, SLOW_CONSUMER_LIMITS.maxReadBytesPerSecond, SLOW_CONSUMER_LIMITS.defaultReadBytesPerSecond),
});
export type StartSlowConsumerRequest = z.input<typeof startSlowConsumerRequest>;

/** Body of `POST /api/production/drains`. */
export const startDrainRequest = z.strictObject({
  channel: bodyChannel,
  /** Simulated EventSource clients to connect before draining (default `DRAIN_LIMITS.defaultFleet`). */
  fleet: wholeNumber(0, DRAIN_LIMITS.maxFleet, DRAIN_LIMITS.defaultFleet),
  /** The `retry:` every drained stream is sent, and (rounded up to seconds) the long polls' `Retry-After`. */
  retryMs: wholeNumber(DRAIN_LIMITS.minRetryMs, DRAIN_LIMITS.maxRetryMs, DRAIN_LIMITS.defaultRetryMs),
  /** Each SSE stream gets `retryMs` plus a random share of this: the server spreads its clients' return. */
  spreadMs: wholeNumber(0, DRAIN_LIMITS.maxSpreadMs, 0),
});
export type StartDrainRequest = z.input<typeof startDrainRequest>;

/** A whole number from `min` to `max`, required. */
function boundedInt(min: number, max: number) {
  const rule = { error: `a whole number from ${min} to ${max}` };
  return z.int(rule).check(z.gte(min, rule), z.lte(max, rule));
}

/**
 * Body of `POST /api/channels/{channel}/faults`: one fault, with exactly the
 * members its `type` takes. Typed by `FaultRequest` (`faults.ts`, where each
 * fault is explained), so the two cannot drift.
 */
export const faultRequest: z.ZodMiniType<FaultRequest> = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal(['drop-next-response', 'kill-streams', 'restart-streams']) }),
    z.strictObject({ type: z.literal('server-errors'), count: boundedInt(1, FAULT_LIMITS.maxServerErrors) }),
    z.strictObject({
      type: z.literal('slow'),
      delayMs: boundedInt(0, FAULT_LIMITS.maxDelayMs),
      durationMs: boundedInt(FAULT_LIMITS.minDurationMs, FAULT_LIMITS.maxDurationMs),
    }),
    z.strictObject({ type: z.literal('heartbeats'), enabled: z.boolean(TRUE_OR_FALSE) }),
    z.strictObject({ type: z.literal('retry'), retryMs: boundedInt(FAULT_LIMITS.minRetryMs, FAULT_LIMITS.maxRetryMs) }),
  ],
  { error: `one of ${FAULT_TYPES.join(', ')}` },
);
