/**
 * Lesson 8, "Scaling out": the two-instance demo. The companion server starts
 * two real child instances of itself ("A" and "B": `node server/index.ts`
 * with `API_ONLY=1`, each on a port of its own) for one reader's channel,
 * with or without a shared Redis, and forwards the page's requests to them
 * under `/api/scaling/{channel}/…`, so the page stays on one origin.
 * Shared by the server (`server/scaling/`), the widget
 * (`src/widgets/scaling/`) and the tests; `docs/api.md` documents the
 * endpoints.
 */

/** The two instances, by the name the page shows. */
export const SCALING_INSTANCES = ['a', 'b'] as const;

export type InstanceName = (typeof SCALING_INSTANCES)[number];

export function isInstanceName(value: unknown): value is InstanceName {
  return value === 'a' || value === 'b';
}

/** The other instance. */
export function otherInstance(name: InstanceName): InstanceName {
  return name === 'a' ? 'b' : 'a';
}

export const SCALING_LIMITS = {
  /** Demos (each a pair of child processes) running at once, over all readers. */
  maxDemos: 3,
  /** Starts one channel may make per minute: each start spawns two processes. */
  startsPerMinute: 6,
  /** A demo nobody sent a request to (not even a state poll) for this long is stopped. */
  idleMs: 2 * 60_000,
  /** A demo whose reader did nothing (start, publish, kill, restart, pause) for this long is stopped. */
  quietMs: 15 * 60_000,
  /** How long a start waits for an instance to answer `/readyz` with 200. */
  startTimeoutMs: 20_000,
  /**
   * The instances' `PRESENCE_TTL_MS`: a chat member's key expires 9 s after
   * its instance last renewed it, and each instance renews its members every
   * third of that (3 s): the heartbeat every N, the TTL 3N.
   */
  presenceTtlMs: 9_000,
  /** A paused instance (SIGSTOP) resumes by itself after this long, if the reader does not. */
  pauseMs: 30_000,
  /** A forwarded request that is not a stream gets its answer within this, or a 504. */
  proxyTimeoutMs: 5_000,
  /** Longest text of a published note. */
  maxTextLength: 200,
  /** Streams and publishes the demo keeps on record (the newest). */
  maxObserved: 30,
  /** Event ids kept per observed stream (the newest). */
  maxIdsPerStream: 100,
} as const;

/** The channel on the instances that the demo's notes are published on and streamed from. */
export const SCALING_FEED = 'feed';

/** The event type of a published note. */
export const SCALING_NOTE_TYPE = 'note';

/** `data` of a note: what the reader typed, and the instance it was published on. */
export interface ScalingNote {
  text: string;
  on: InstanceName;
}

/** The chat room the demo's two members join, one on each instance (lesson 5's chat). */
export const SCALING_ROOM = 'lobby';

/** The demo's chat members: one per instance. */
export const SCALING_MEMBERS: Record<InstanceName, string> = { a: 'Ada', b: 'Grace' };

/** One way to get a Redis where none is. */
export interface InstallCommand {
  /** "Debian or Ubuntu", "macOS", "Docker". */
  where: string;
  command: string;
}

/** What the reader can run to get a Redis the demo finds by itself (`redis-server` on PATH, or REDIS_URL). */
export const REDIS_INSTALL_COMMANDS: readonly InstallCommand[] = [
  { where: 'Debian or Ubuntu', command: 'sudo apt install redis-server' },
  { where: 'macOS (Homebrew)', command: 'brew install redis' },
  { where: 'Docker (then start the workbook with REDIS_URL=redis://localhost:6379)', command: 'docker run -p 6379:6379 redis:7' },
];

/** Whether the demo can run its instances on a shared Redis, and which one. */
export type BackplaneAvailability =
  | {
      available: true;
      /** `REDIS_URL`: the workbook's own Redis (a fresh key prefix per demo); `redis-server`: a private one on a Unix socket. */
      source: 'REDIS_URL' | 'redis-server';
      detail: string;
    }
  | {
      available: false;
      /** What is missing, in one sentence. */
      detail: string;
      install: readonly InstallCommand[];
    };

/** Answer of `GET /api/scaling`. */
export interface ScalingAvailability {
  backplane: BackplaneAvailability;
  demos: { running: number; max: number };
}

/** What the reader can do to one instance (`POST /api/scaling/{channel}/instances/{a|b}/{action}`). */
export const INSTANCE_ACTIONS = ['kill', 'restart', 'pause', 'resume'] as const;

export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

export function isInstanceAction(value: unknown): value is InstanceAction {
  return typeof value === 'string' && (INSTANCE_ACTIONS as readonly string[]).includes(value);
}

export type InstanceStatus =
  /** Spawned; not yet answering `/readyz` with 200. */
  | 'starting'
  | 'running'
  /** Stopped with SIGSTOP: alive, holding its sockets, doing nothing — its heartbeats stop. */
  | 'paused'
  /** Killed with SIGKILL by the reader. */
  | 'killed'
  /** Exited on its own (`exit` says how). */
  | 'exited';

export interface InstanceState {
  name: InstanceName;
  status: InstanceStatus;
  pid: number | null;
  /** Its port on 127.0.0.1 (a new one after each restart). */
  port: number | null;
  /** When it last started (ms since the epoch). */
  startedAt: number | null;
  /** For a paused instance: when it resumes by itself. */
  resumesAt: number | null;
  /** Streams the demo forwards to it now. */
  openStreams: number;
  /** How it exited, with its last lines of output, when it exited on its own. */
  exit?: string;
}

/** How a forwarded stream ended, as the demo saw it. */
export type StreamEnd =
  | 'open'
  /** The page closed it (or reconnected). */
  | 'client-closed'
  /** Its instance died under it. */
  | 'instance-died'
  /** The instance ended the response. */
  | 'ended';

/** A Server-Sent Events stream the demo forwarded, and what the instance sent on it. */
export interface ObservedStream {
  /** 1, 2, 3… in the order the streams opened. */
  n: number;
  /** The instance that served it. */
  instance: InstanceName;
  /** The instance the page asked for (`sticky/{a|b}`): another one serves it when that one is down. */
  pinned: InstanceName;
  /** `Last-Event-ID` (or `?lastEventId=`) the request carried, if any. */
  lastEventId: string | null;
  openedAt: number;
  closedAt: number | null;
  end: StreamEnd;
  /** Ids of the events the instance sent, in order (the newest `maxIdsPerStream`). */
  ids: number[];
  /** Events sent, in all. */
  events: number;
  /** The `reset` the instance sent instead of a replay, if it did. */
  reset: { reason: string; latestId: number } | null;
}

/** A note the demo forwarded to an instance and saw answered `201`. */
export interface ObservedPublish {
  id: number;
  on: InstanceName;
  at: number;
}

/** A presence key of the demo's room, read from Redis (PTTL and the sorted-set index, never KEYS). */
export interface PresenceKey {
  memberId: string;
  /** From the key's own JSON; null once the key is gone. */
  name: string | null;
  /** The key's name, prefix included. */
  key: string;
  /** `PTTL` when read: ms left, or -2 once the key has expired. */
  pttlMs: number;
  /** The index's score minus Redis's clock: ms until the index counts the member as expired (negative: overdue). */
  indexMs: number;
}

/** One of the demo's chat members, connected to its instance by a WebSocket the server holds. */
export interface DemoMember {
  name: string;
  instance: InstanceName;
  state: 'connecting' | 'joined' | 'disconnected';
  /** Its member id in the room, once joined. */
  memberId: string | null;
}

/** The demo's chat room, as Redis and each instance see it. */
export interface PresenceView {
  room: string;
  ttlMs: number;
  /** How often an instance renews its members' keys (a third of the TTL). */
  heartbeatMs: number;
  /** The keys of the room's members, with their remaining TTL; null without the backplane (nothing is in Redis). */
  keys: PresenceKey[] | null;
  /** The sorted set that indexes the keys (what is read instead of KEYS); null without the backplane. */
  indexKey: string | null;
  /** The names in each instance's member list, as its member last heard it; null while it has no member connected. */
  lists: Record<InstanceName, string[] | null>;
  members: DemoMember[];
}

/** The lesson's exercise, checked by the server from what it forwarded. */
/** Lesson 8's exercise: the server judges it from the demo's record (`ScalingExercise`) and records the pass. */
export const SCALING_EXERCISE = { lesson: 'scaling-out', id: 'resume-across-instances' } as const;

export interface ScalingExercise {
  /** The demo runs with the backplane. */
  backplane: boolean;
  /** A note published on one instance, delivered by a stream of the other. */
  crossDelivery: { id: number; publishedOn: InstanceName; deliveredOn: InstanceName } | null;
  /** After that, the instance serving a stream was killed under it. */
  killUnderStream: { instance: InstanceName; lastId: number | null; at: number } | null;
  /** The stream that came back next, on the other instance. */
  resumed: {
    on: InstanceName;
    /** The `Last-Event-ID` it sent. */
    lastEventId: string;
    /** The first event id it delivered (null: none yet). */
    firstId: number | null;
    /** Events it delivered that had been published before it opened: the replay from the shared log. */
    replayed: number;
    /** Every id from `lastEventId + 1` on, none missing, none twice, no reset. */
    gapless: boolean;
  } | null;
  passed: boolean;
  passedAt: number | null;
}

/** Answer of `GET /api/scaling/{channel}` (and of the starts and actions): the whole demo, now. */
export interface ScalingDemoState {
  channel: string;
  backplane: boolean;
  /** Where the backplane's keys live, with the backplane. */
  redis: { source: 'REDIS_URL' | 'redis-server'; prefix: string } | null;
  startedAt: number;
  /** When the demo stops if nothing more happens (ms since the epoch). */
  stopsAt: number;
  instances: Record<InstanceName, InstanceState>;
  streams: ObservedStream[];
  publishes: ObservedPublish[];
  presence: PresenceView;
  exercise: ScalingExercise;
  /** The server's clock when this was composed. */
  now: number;
}
