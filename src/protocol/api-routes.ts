/**
 * Every route of the companion server, in one table: its pattern, the methods
 * it answers, and the path builder the browser, the tests and the bench use.
 * The server's router registers handlers by entry (`server/http/router.ts`),
 * so a pattern is written here and nowhere else; docs/api.md documents each
 * (`tests/unit/api-docs.test.ts` checks both ways).
 */

import type { LongPollQuery, ResumeQuery, SseQuery } from './request-queries.ts';

/** The methods the API answers (HEAD is answered wherever GET is). */
export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** `'/api/jobs/:id/run'` → `'id'`: the names of a pattern's `:name` segments. */
type ParamName<Pattern extends string> = Pattern extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamName<`/${Rest}`>
  : Pattern extends `${string}:${infer Name}`
    ? Name
    : never;

/** The values of a pattern's segments, e.g. `{ id: 'j1' }` for `/api/jobs/:id`. */
export type PathParams<Pattern extends string> = { readonly [Name in ParamName<Pattern>]: string | number };

/** A query's values; `undefined` leaves the parameter out. */
export type QueryValues = Readonly<Record<string, string | number | undefined>>;

/** The arguments of a path builder: no params for a pattern without `:name` segments. */
type PathArgs<Pattern extends string, Query extends QueryValues> = [ParamName<Pattern>] extends [never]
  ? [params?: PathParams<Pattern>, query?: Query]
  : [params: PathParams<Pattern>, query?: Query];

/** One URL of the API, and the methods it answers. */
export interface ApiRoute<Pattern extends string = string, Method extends ApiMethod = ApiMethod, Query extends QueryValues = QueryValues> {
  /** Literal segments and `:name` parameters, e.g. `/api/jobs/:id`; a parameter matches one non-empty segment. */
  readonly pattern: Pattern;
  readonly methods: readonly Method[];
  /** The URL of this route: each parameter percent-encoded (RFC 3986 §2.1), then the query, in the order given. */
  path(...args: PathArgs<Pattern, Query>): string;
}

/**
 * Declares the query a route's path builder takes: a type only, the output of
 * the route's query schema (`request-queries.ts`, imported as a type so pages
 * download no zod); the server checks the query with that schema.
 */
function takesQuery<Query extends QueryValues>(): { readonly query?: Query } {
  return {};
}

function route<Pattern extends string, Method extends ApiMethod, Query extends QueryValues = never>(
  pattern: Pattern,
  methods: readonly Method[],
  _query?: { readonly query?: Query },
): ApiRoute<Pattern, Method, Query> {
  return {
    pattern,
    methods,
    path: (...[params, query]: PathArgs<Pattern, Query>) => {
      const values: Readonly<Record<string, string | number>> = params ?? {};
      const path = pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
      const pairs = Object.entries(query ?? {}).filter((pair): pair is [string, string | number] => pair[1] !== undefined);
      return pairs.length === 0 ? path : `${path}?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`;
    },
  };
}

/** The API, by route. docs/api.md says what each one takes and answers. */
export const apiRoutes = {
  // Health
  health: route('/healthz', ['GET']),
  ready: route('/readyz', ['GET']),

  // Channels (`src/protocol/events.ts`, `faults.ts`, `channel-latest.ts`)
  channelEvents: route('/api/channels/:channel/events', ['POST']),
  channelLatest: route('/api/channels/:channel/latest', ['GET']),
  channelFaults: route('/api/channels/:channel/faults', ['POST']),

  // The techniques (`src/protocol/jobs.ts`, `long-polling.ts`, `sse.ts`, `builds.ts`)
  jobs: route('/api/jobs', ['POST']),
  job: route('/api/jobs/:id', ['GET']),
  longPoll: route('/api/long-poll/:channel', ['GET'], takesQuery<LongPollQuery>()),
  sse: route('/api/sse/:channel', ['GET'], takesQuery<SseQuery>()),
  builds: route('/api/builds', ['POST']),

  /** The frame that runs a learner's own code (`text/html`, its own policy; `src/exercises/sandbox-frame.js`). */
  exerciseSandbox: route('/api/exercise-sandbox', ['GET']),

  /** The reader's progress, for the learner in the `rtw_learner` cookie (`src/protocol/progress.ts`). */
  progress: route('/api/progress', ['GET', 'PUT', 'DELETE']),

  // Exercises the server verifies (`src/protocol/exercise-runs.ts`)
  /** `POST` → 201 `ExerciseRun`: a run of the exercise, with its own channel and URLs; sets `rtw_learner` when absent. */
  exerciseRuns: route('/api/exercises/:lesson/:exercise/runs', ['POST']),
  /** `GET` → `ExerciseVerdict` so far (404 unless the run is the learner's). */
  exerciseRun: route('/api/exercise-runs/:id', ['GET']),
  /** `POST` → `ExerciseVerdict`: ends the run and judges it; a pass is recorded as verified. */
  exerciseRunFinish: route('/api/exercise-runs/:id/finish', ['POST']),
  /** `GET` → `SavedCode`; `PUT {code, savedAt}` → `SavedCode`: the learner's code of a coded exercise, the newer copy kept. */
  exerciseCode: route('/api/exercises/:lesson/:exercise/code', ['GET', 'PUT']),
  /** `GET` SSE: the run's feed from one of its two instances (`a`, `b`; lesson 8), the run id its capability. */
  exerciseRunInstanceStream: route('/api/exercise-runs/:id/instances/:instance/stream', ['GET'], takesQuery<SseQuery>()),
  /** `GET` with `Upgrade: websocket`: the run's own socket (lesson 5), the run id its capability; a plain GET → 426. */
  exerciseRunSocket: route('/api/exercise-runs/:id/socket', ['GET']),

  // Lesson 6's side-by-side lab (`src/protocol/lab.ts`)
  labs: route('/api/labs', ['POST']),
  labRun: route('/api/labs/:id/run', ['POST']),
  labStop: route('/api/labs/:id/stop', ['POST']),
  labStats: route('/api/labs/:id/stats', ['GET']),
  labDropConnections: route('/api/labs/:id/drop-connections', ['POST']),

  // Lesson 7's experiments (`src/protocol/production.ts`)
  storms: route('/api/production/storms', ['POST']),
  stormConnect: route('/api/production/storms/:id/connect', ['GET']),
  idleHop: route('/api/production/idle-hop/:idleMs/sse/:channel', ['GET'], takesQuery<SseQuery>()),
  slowConsumers: route('/api/production/slow-consumers', ['POST']),
  drains: route('/api/production/drains', ['POST']),
  /** One running storm, slow consumer or drain, by the id its POST answered: `DELETE` stops it. */
  experiment: route('/api/production/experiments/:id', ['DELETE']),

  // Lesson 8's two-instance demo (`src/protocol/scaling.ts`)
  scaling: route('/api/scaling', ['GET']),
  scalingDemo: route('/api/scaling/:channel', ['POST', 'GET', 'DELETE']),
  scalingAction: route('/api/scaling/:channel/instances/:instance/:action', ['POST']),
  /** A note published on one instance (forwarded to its `/api/channels/{feed}/events`). */
  scalingPublish: route('/api/scaling/:channel/instances/:instance/api/channels/:feed/events', ['POST']),
  /** The feed's stream from one instance, and nothing else when it is down. */
  scalingStream: route('/api/scaling/:channel/instances/:instance/api/sse/:feed', ['GET'], takesQuery<SseQuery>()),
  /** The feed's stream through the demo's sticky balancer: pinned to `instance`, moved to the other one while it is down. */
  scalingStickyStream: route('/api/scaling/:channel/sticky/:instance/api/sse/:feed', ['GET'], takesQuery<SseQuery>()),

  // Workshops (`src/protocol/workshops.ts`)
  /** `POST {title}` → 201 `CreatedWorkshop`. */
  workshops: route('/api/workshops', ['POST']),
  /** `GET` → `PublicWorkshop` (404 unknown code): what a join form shows before joining. */
  workshop: route('/api/workshops/:code', ['GET']),
  /** `POST {name}` → 201 (new) or 200 (rejoined / renamed) `Membership`; sets `rtw_learner` when absent. */
  workshopMembers: route('/api/workshops/:code/members', ['POST']),
  /** `GET` → `Membership` (404 when not a member); `DELETE` → 204: leave. */
  workshopMe: route('/api/workshops/:code/me', ['GET', 'DELETE']),
  /** `POST {lesson, channels}` (`Heartbeat`) → 204. */
  workshopHeartbeat: route('/api/workshops/:code/me/heartbeat', ['POST']),
  /** `PUT {done: boolean}` → 200 `Membership`: raise or lower "done with this step". */
  workshopDone: route('/api/workshops/:code/me/done', ['PUT']),
  /** `GET` SSE for the learner: `LEARNER_EVENTS`; resumes with `Last-Event-ID` / `?lastEventId=`. */
  workshopLearnerStream: route('/api/workshops/:code/me/stream', ['GET'], takesQuery<ResumeQuery>()),
  /** `POST` with `Authorization: Bearer <secret>` → 204 and the `rtw_host` cookie. */
  workshopHostSession: route('/api/workshops/:code/host/session', ['POST']),
  /** `GET` → `HostSnapshot`. */
  workshopHost: route('/api/workshops/:code/host', ['GET']),
  /** `GET` SSE for the host: `HOST_EVENTS`; resumes like any stream; `reset` → refetch the snapshot. */
  workshopHostStream: route('/api/workshops/:code/host/stream', ['GET'], takesQuery<ResumeQuery>()),
  /** `POST {lesson}` → 200 `HostWorkshop`: point everyone to a lesson (clears every "done"). */
  workshopGoto: route('/api/workshops/:code/host/goto', ['POST']),
  /** `POST {text}` → 202 `BroadcastReceipt`: an event into every online learner's live demos. */
  workshopBroadcast: route('/api/workshops/:code/host/broadcast', ['POST']),
  /** `PUT {state}` → 200 `HostWorkshop`: lock, reopen or close. Closing is final. */
  workshopState: route('/api/workshops/:code/host/state', ['PUT']),
  /** `GET` → `text/csv` attachment: one row per member (`CSV_COLUMNS`). */
  workshopResults: route('/api/workshops/:code/host/results.csv', ['GET']),
} as const;

/** Every method and pattern of the table, e.g. `{ method: 'GET', pattern: '/api/jobs/:id' }`. */
export const API_ROUTE_LIST: readonly { method: ApiMethod; pattern: string }[] = Object.values(apiRoutes).flatMap((entry: ApiRoute) =>
  entry.methods.map((method) => ({ method, pattern: entry.pattern })),
);
