import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { EXERCISE_RUN_LIMITS } from '../../src/protocol/exercise-runs.ts';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpProblem } from '../http/problem.ts';
import { parseRequestUrl } from '../http/request-url.ts';
import { type RouteHandler, Router } from '../http/router.ts';
import { outboxSocketExercise } from './outbox-socket-exercise.ts';
import type { JobStarter } from '../routes/jobs.ts';
import { createExerciseCodeRoutes } from '../routes/exercise-code.ts';
import { createExerciseRunRoutes } from '../routes/exercise-runs.ts';
import type { CodeStore } from './code-store.ts';
import type { JobLookup } from '../techniques/short-polling.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ChannelFaults } from '../faults/channel-faults.ts';
import { cursorLoopExercise } from './cursor-loop-exercise.ts';
import { etagPollerExercise } from './etag-poller-exercise.ts';
import { failoverExercise } from './failover-exercise.ts';
import { resumeStreamExercise } from './resume-stream-exercise.ts';
import { ExerciseRunRegistry } from './exercise-run-registry.ts';
import { RequestGate } from './request-gate.ts';
import { StormVerifier } from './storm-verifier.ts';
import type { StormDone } from '../../src/protocol/production.ts';
import type { VerifiedStore } from './verified-store.ts';

/** The exercises the server verifies, wired into the app. */
export interface Exercises {
  readonly runs: ExerciseRunRegistry;
  /** The job endpoint, with the polls of exercise runs' jobs observed by their run. */
  watchJobPolls(jobRoute: RouteHandler): RouteHandler;
  /** A channel endpoint (the long poll, the SSE stream), with the requests on runs' channels observed by their run. */
  watchChannels(channelRoute: RouteHandler): RouteHandler;
  /** Records that the learner passed an exercise the server judged itself (lesson 8's demo). */
  recordPass(learnerId: string, lesson: string, exercise: string): void;
  /** Lesson 7: a storm a learner started has ended (the exercise compares their latest two). */
  stormDone(learnerId: string, done: StormDone): void;
  /** Registers the exercise-run routes. */
  register(router: Router): void;
  /** Whether an upgrade request is for an exercise run's socket (lesson 5), not `/ws`. */
  takesUpgrade(request: IncomingMessage): boolean;
  /** Hands an upgrade on a run's socket URL to the run. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** Overrides for tests: shorter jobs, fewer runs. */
export interface ExerciseSettings {
  /** How long lesson 2's job runs (default `ETAG_POLLER_JOB_MS`). */
  etagPollerJobMs?: number;
  /** Time between the events of lesson 3's run (default `CURSOR_LOOP_EVENT_MS`). */
  cursorLoopEventMs?: number;
  /** Time between the events of lesson 4's run (default `RESUME_STREAM_EVENT_MS`). */
  resumeStreamEventMs?: number;
  /** How long lesson 5's server refuses reconnects after a cut (default `OUTBOX_SOCKET_RULES.outageMs`). */
  outboxOutageMs?: number;
  /** Time between the events of lesson 8's run (default `FAILOVER_EVENT_MS`). */
  failoverEventMs?: number;
  limits?: Partial<typeof EXERCISE_RUN_LIMITS>;
}

export interface ExercisesOptions {
  jobs: JobStarter & JobLookup;
  bus: Pick<EventBus, 'publish'>;
  faults: Pick<ChannelFaults, 'inject'>;
  /** The SSE endpoint, which lesson 8's run serves as two instances. */
  sse: RouteHandler;
  verified: VerifiedStore;
  /** Where learners' code is kept. */
  code: CodeStore;
  settings?: ExerciseSettings;
  /** Told after a learner's pass is recorded. */
  onVerified?: (learnerId: string) => void;
  /** Told when a pass could not be recorded. */
  onError?: (error: unknown) => void;
}

/** Matches the run socket's pattern of the route table, so the pattern is written once. */
const socketPaths = new Router().on(apiRoutes.exerciseRunSocket, 'GET', () => {});

/** The run id of an upgrade on a run's socket URL, or undefined for any other upgrade. */
function socketIdOf(request: IncomingMessage): string | undefined {
  const match = socketPaths.match('GET', parseRequestUrl(request).pathname);
  return match.kind === 'found' ? match.params.id : undefined;
}

export function createExercises({
  jobs,
  bus,
  faults,
  sse,
  verified,
  code,
  settings = {},
  onVerified,
  onError,
}: ExercisesOptions): Exercises {
  const jobPolls = new RequestGate('id');
  const channels = new RequestGate('channel');
  const kinds = [
    etagPollerExercise(jobs, jobPolls, settings.etagPollerJobMs),
    cursorLoopExercise({ bus, faults, gate: channels, eventMs: settings.cursorLoopEventMs }),
    resumeStreamExercise({ bus, faults, gate: channels, eventMs: settings.resumeStreamEventMs }),
    outboxSocketExercise(settings.outboxOutageMs),
    failoverExercise({ bus, sse, eventMs: settings.failoverEventMs }),
  ];
  const runs = new ExerciseRunRegistry({ kinds, verified, limits: settings.limits, onVerified, onError });
  const routes = createExerciseRunRoutes(runs);
  const codeRoutes = createExerciseCodeRoutes(code, runs);
  const recordPass = async (learnerId: string, lesson: string, exercise: string) => {
    await verified.record(learnerId, lesson, exercise, Date.now());
    onVerified?.(learnerId);
  };
  const reportFailure = (error: unknown) => onError?.(error);
  const storms = new StormVerifier(recordPass);
  return {
    runs,
    watchJobPolls: (jobRoute) => jobPolls.route(jobRoute),
    watchChannels: (channelRoute) => channels.route(channelRoute),
    recordPass: (learnerId, lesson, exercise) => void recordPass(learnerId, lesson, exercise).catch(reportFailure),
    stormDone: (learnerId, done) => void storms.stormDone(learnerId, done).catch(reportFailure),
    register(router) {
      router
        .on(apiRoutes.exerciseRuns, 'POST', routes.start)
        .on(apiRoutes.exerciseRun, 'GET', routes.verdict)
        .on(apiRoutes.exerciseRunFinish, 'POST', routes.finish)
        .on(apiRoutes.exerciseCode, 'GET', codeRoutes.get)
        .on(apiRoutes.exerciseCode, 'PUT', codeRoutes.put)
        .on(apiRoutes.exerciseRunInstanceStream, 'GET', (context) => runs.serve(context.params.id ?? '', context))
        .on(apiRoutes.exerciseRunSocket, 'GET', () => {
          throw new HttpProblem({
            status: 426,
            detail: 'This is an exercise run’s WebSocket: open it with new WebSocket(run.urls.socket) (RFC 6455 §4.1).',
            headers: { Upgrade: 'websocket', Connection: 'Upgrade' },
          });
        });
    },
    takesUpgrade: (request) => socketIdOf(request) !== undefined,
    handleUpgrade: (request, socket, head) => runs.upgrade(socketIdOf(request) ?? '', request, socket, head),
    close: () => runs.close(),
  };
}
