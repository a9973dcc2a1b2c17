/**
 * The JSON answers of the API as zod schemas, for the server's contract check
 * (`server/http/response-contract.ts`) and the tests; `api-schemas.ts` says
 * which route answers which. Each is typed by the interface the server and the
 * pages already use (`z.ZodMiniType<Job>`), so a member added to one and not
 * the other fails to compile; a schema is strict, so a member the server sends
 * and the type does not name fails the check at run time.
 *
 * Server and test side only: pages read the interfaces, never these (they
 * would download zod).
 */
import * as z from 'zod/mini';
import type { StartBuildResponse } from './builds.ts';
import type { ChannelLatestResponse } from './channel-latest.ts';
import type { ChannelEvent, PublishResponse } from './events.ts';
import type { ExerciseRun, ExerciseVerdict, SavedCode, VerifiedCompletions } from './exercise-runs.ts';
import { FAULT_TYPES, type FaultResponse } from './faults.ts';
import type { Job, JobState, StartJobResponse } from './jobs.ts';
import {
  type CreateLabResponse,
  type DropConnectionsResponse,
  LAB_TECHNIQUES,
  type LabRun,
  type LabStats,
  type LabTraffic,
} from './lab.ts';
import type { LongPollResponse } from './long-polling.ts';
import {
  SLOW_CONSUMER_TRANSPORTS,
  STORM_STRATEGIES,
  type StartDrainResponse,
  type StartSlowConsumerResponse,
  type StartStormResponse,
} from './production.ts';
import type { Progress, ProgressResponse } from './progress.ts';
import {
  SCALING_INSTANCES,
  type InstanceState,
  type ObservedStream,
  type PresenceView,
  type ScalingAvailability,
  type ScalingDemoState,
  type ScalingExercise,
} from './scaling.ts';
import { validateProgress } from './validate-progress.ts';
import {
  type BroadcastRecord,
  type CreatedWorkshop,
  type HostSnapshot,
  type HostWorkshop,
  type Membership,
  type MemberView,
  type PublicWorkshop,
  WORKSHOP_STATES,
  type WorkshopFocus,
} from './workshops.ts';

/** A count, an id of the channel log, a size in bytes: a whole number, 0 or more. */
const count = z.int().check(z.gte(0));
/** A server time or a duration, in ms. */
const ms = z.number();

// ── Health ──────────────────────────────────────────────────────────────────

/** `GET /healthz` (200): the process answers HTTP. */
export const livenessResponse = z.strictObject({ status: z.literal('ok') });
export type LivenessResponse = z.output<typeof livenessResponse>;

/** `GET /readyz`: 200 `{ready: true}`, or 503 `{ready: false, reason}`. */
export const readinessResponse = z.union([
  z.strictObject({ ready: z.literal(true) }),
  z.strictObject({ ready: z.literal(false), reason: z.string() }),
]);
export type ReadinessResponse = z.output<typeof readinessResponse>;

// ── Channels and the techniques ─────────────────────────────────────────────

export const channelEvent: z.ZodMiniType<ChannelEvent> = z.strictObject({
  id: count,
  type: z.string(),
  data: z.unknown(),
  ts: ms,
});

export const publishResponse: z.ZodMiniType<PublishResponse> = z.strictObject({ id: count, ts: ms });

export const channelLatestResponse: z.ZodMiniType<ChannelLatestResponse> = z.strictObject({
  latestId: count,
  events: z.array(channelEvent),
});

export const faultResponse: z.ZodMiniType<FaultResponse> = z.strictObject({ type: z.enum(FAULT_TYPES), affected: count });

export const startJobResponse: z.ZodMiniType<StartJobResponse> = z.strictObject({ id: z.string(), channel: z.string() });

const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const satisfies readonly JobState[];

export const jobResponse: z.ZodMiniType<Job> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  state: z.enum(JOB_STATES),
  progress: z.number().check(z.gte(0), z.lte(100)),
  note: z.nullable(z.string()),
  version: count,
  createdAt: ms,
  updatedAt: ms,
});

export const longPollResponse: z.ZodMiniType<LongPollResponse> = z.strictObject({
  events: z.array(channelEvent),
  cursor: count,
  reset: z.optional(z.boolean()),
});

export const startBuildResponse: z.ZodMiniType<StartBuildResponse> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  totalLines: count,
});

// ── Progress ────────────────────────────────────────────────────────────────

/**
 * The progress document, as `validateProgress()` checks it (the one check the
 * server runs on a `PUT`), whatever lessons it names: which lessons a
 * workbook has is the server's to say, not the shape's.
 */
export const progressDocument = z.custom<Progress>((value) => validateProgress(value, lessonsNamedIn(value)).ok, {
  error: 'The progress is not a valid progress document (validateProgress).',
});

function lessonsNamedIn(value: unknown): string[] {
  const { lessons, last } = (value ?? {}) as { lessons?: unknown; last?: { lesson?: unknown } };
  const named = typeof lessons === 'object' && lessons !== null ? Object.keys(lessons) : [];
  return typeof last?.lesson === 'string' ? [...named, last.lesson] : named;
}

/** Lesson slug → exercise id → when the server verified it. */
const verifiedCompletions: z.ZodMiniType<VerifiedCompletions> = z.record(z.string(), z.record(z.string(), ms));

export const progressResponse: z.ZodMiniType<ProgressResponse> = z.strictObject({
  progress: progressDocument,
  updatedAt: z.nullable(ms),
  verified: verifiedCompletions,
});

// ── Exercises the server verifies ───────────────────────────────────────────

export const exerciseRun: z.ZodMiniType<ExerciseRun> = z.strictObject({
  id: z.string(),
  lesson: z.string(),
  exercise: z.string(),
  channel: z.string(),
  urls: z.record(z.string(), z.string()),
  startedAt: ms,
  endsAt: ms,
});

export const savedCode: z.ZodMiniType<SavedCode> = z.strictObject({ code: z.nullable(z.string()), savedAt: z.nullable(ms) });

export const exerciseVerdict: z.ZodMiniType<ExerciseVerdict> = z.strictObject({
  run: exerciseRun,
  state: z.enum(['running', 'passed', 'failed']),
  checks: z.array(
    z.strictObject({ id: z.string(), title: z.string(), state: z.enum(['passed', 'failed', 'pending']), detail: z.string() }),
  ),
  requests: count,
  verifiedAt: z.optional(ms),
});

// ── Lesson 6's lab ──────────────────────────────────────────────────────────

export const createLabResponse: z.ZodMiniType<CreateLabResponse> = z.strictObject({ id: z.string(), channel: z.string() });

export const labRun: z.ZodMiniType<LabRun> = z.strictObject({
  state: z.enum(['running', 'finished', 'stopped']),
  ratePerMinute: z.number(),
  durationMs: ms,
  startedAt: ms,
  endsAt: ms,
  published: count,
  lastEventId: count,
});

const labTraffic: z.ZodMiniType<LabTraffic> = z.strictObject({
  requests: count,
  bytesUp: count,
  bytesDown: count,
  connectionsHeld: count,
  connectionsUsed: count,
});

export const labStats: z.ZodMiniType<LabStats> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  run: z.nullable(labRun),
  traffic: z.record(z.enum(LAB_TECHNIQUES), labTraffic),
  serverTime: ms,
});

export const dropConnectionsResponse: z.ZodMiniType<DropConnectionsResponse> = z.strictObject({ dropped: count });

// ── Lesson 7's experiments ──────────────────────────────────────────────────

export const startStormResponse: z.ZodMiniType<StartStormResponse> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  strategy: z.enum(STORM_STRATEGIES),
  clients: count,
  binMs: ms,
  outageMs: ms,
});

export const startSlowConsumerResponse: z.ZodMiniType<StartSlowConsumerResponse> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  firehose: z.string(),
  transport: z.enum(SLOW_CONSUMER_TRANSPORTS),
  readBytesPerSecond: count,
  capBytes: count,
});

export const startDrainResponse: z.ZodMiniType<StartDrainResponse> = z.strictObject({
  id: z.string(),
  channel: z.string(),
  fleet: count,
  retryMs: ms,
  spreadMs: ms,
  binMs: ms,
});

// ── Lesson 8's two-instance demo ────────────────────────────────────────────

const instanceName = z.enum(SCALING_INSTANCES);
const redisSource = z.enum(['REDIS_URL', 'redis-server']);
const installCommand = z.strictObject({ where: z.string(), command: z.string() });

export const scalingAvailability: z.ZodMiniType<ScalingAvailability> = z.strictObject({
  backplane: z.discriminatedUnion('available', [
    z.strictObject({ available: z.literal(true), source: redisSource, detail: z.string() }),
    z.strictObject({ available: z.literal(false), detail: z.string(), install: z.array(installCommand) }),
  ]),
  demos: z.strictObject({ running: count, max: count }),
});

const instanceState: z.ZodMiniType<InstanceState> = z.strictObject({
  name: instanceName,
  status: z.enum(['starting', 'running', 'paused', 'killed', 'exited']),
  pid: z.nullable(count),
  port: z.nullable(count),
  startedAt: z.nullable(ms),
  resumesAt: z.nullable(ms),
  openStreams: count,
  exit: z.optional(z.string()),
});

const observedStream: z.ZodMiniType<ObservedStream> = z.strictObject({
  n: count,
  instance: instanceName,
  pinned: instanceName,
  lastEventId: z.nullable(z.string()),
  openedAt: ms,
  closedAt: z.nullable(ms),
  end: z.enum(['open', 'client-closed', 'instance-died', 'ended']),
  ids: z.array(count),
  events: count,
  reset: z.nullable(z.strictObject({ reason: z.string(), latestId: count })),
});

const presenceView: z.ZodMiniType<PresenceView> = z.strictObject({
  room: z.string(),
  ttlMs: ms,
  heartbeatMs: ms,
  keys: z.nullable(
    z.array(
      z.strictObject({ memberId: z.string(), name: z.nullable(z.string()), key: z.string(), pttlMs: z.number(), indexMs: z.number() }),
    ),
  ),
  indexKey: z.nullable(z.string()),
  lists: z.record(instanceName, z.nullable(z.array(z.string()))),
  members: z.array(
    z.strictObject({
      name: z.string(),
      instance: instanceName,
      state: z.enum(['connecting', 'joined', 'disconnected']),
      memberId: z.nullable(z.string()),
    }),
  ),
});

const scalingExercise: z.ZodMiniType<ScalingExercise> = z.strictObject({
  backplane: z.boolean(),
  crossDelivery: z.nullable(z.strictObject({ id: count, publishedOn: instanceName, deliveredOn: instanceName })),
  killUnderStream: z.nullable(z.strictObject({ instance: instanceName, lastId: z.nullable(count), at: ms })),
  resumed: z.nullable(
    z.strictObject({
      on: instanceName,
      lastEventId: z.string(),
      firstId: z.nullable(count),
      replayed: count,
      gapless: z.boolean(),
    }),
  ),
  passed: z.boolean(),
  passedAt: z.nullable(ms),
});

export const scalingDemoState: z.ZodMiniType<ScalingDemoState> = z.strictObject({
  channel: z.string(),
  backplane: z.boolean(),
  redis: z.nullable(z.strictObject({ source: redisSource, prefix: z.string() })),
  startedAt: ms,
  stopsAt: ms,
  instances: z.record(instanceName, instanceState),
  streams: z.array(observedStream),
  publishes: z.array(z.strictObject({ id: count, on: instanceName, at: ms })),
  presence: presenceView,
  exercise: scalingExercise,
  now: ms,
});

// ── Workshops ───────────────────────────────────────────────────────────────

const workshopState = z.enum(WORKSHOP_STATES);
const workshopFocus: z.ZodMiniType<WorkshopFocus> = z.strictObject({ lesson: z.string(), at: ms });

export const publicWorkshop: z.ZodMiniType<PublicWorkshop> = z.strictObject({ code: z.string(), title: z.string(), state: workshopState });

export const hostWorkshop: z.ZodMiniType<HostWorkshop> = z.strictObject({
  code: z.string(),
  title: z.string(),
  state: workshopState,
  createdAt: ms,
  focus: z.nullable(workshopFocus),
  joinUrls: z.array(z.string()),
});

export const createdWorkshop: z.ZodMiniType<CreatedWorkshop> = z.strictObject({
  workshop: hostWorkshop,
  secret: z.string(),
  hostPath: z.string(),
});

export const membership: z.ZodMiniType<Membership> = z.strictObject({
  workshop: z.strictObject({ code: z.string(), title: z.string(), state: workshopState, focus: z.nullable(workshopFocus) }),
  member: z.strictObject({ id: z.string(), name: z.string(), joinedAt: ms, doneAt: z.nullable(ms) }),
});

export const broadcastRecord: z.ZodMiniType<BroadcastRecord> = z.strictObject({
  text: z.string(),
  at: ms,
  members: count,
  channels: count,
});

const memberView: z.ZodMiniType<MemberView> = z.strictObject({
  id: z.string(),
  name: z.string(),
  joinedAt: ms,
  leftAt: z.nullable(ms),
  online: z.boolean(),
  lastSeenAt: ms,
  lesson: z.nullable(z.string()),
  completed: z.record(z.string(), ms),
  verified: z.record(z.string(), ms),
  quiz: z.nullable(
    z.strictObject({ at: ms, score: z.number(), points: z.number(), total: count, answers: z.record(z.string(), z.string()) }),
  ),
  doneAt: z.nullable(ms),
});

export const hostSnapshot: z.ZodMiniType<HostSnapshot> = z.strictObject({
  workshop: hostWorkshop,
  members: z.array(memberView),
  broadcasts: z.array(broadcastRecord),
  cursor: count,
});
