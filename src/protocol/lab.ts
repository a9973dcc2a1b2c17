/**
 * The side-by-side lab (lesson 6): one event feed on one channel, delivered
 * to the same page by five clients at once, while the server counts every
 * byte each of them puts on the wire. Shared by the server (`server/lab/`),
 * the widget (`src/widgets/lab/`), the bench and the tests.
 */

/** The five ways the lab delivers the feed, in the order the lesson shows them. */
export const LAB_TECHNIQUES = ['short-polling', 'short-polling-etag', 'long-polling', 'sse', 'websocket'] as const;

export type LabTechnique = (typeof LAB_TECHNIQUES)[number];

/** True when `value` names one of {@link LAB_TECHNIQUES}. */
export function isLabTechnique(value: unknown): value is LabTechnique {
  return typeof value === 'string' && (LAB_TECHNIQUES as readonly string[]).includes(value);
}

/** How each technique is named to the reader. */
export const LAB_TECHNIQUE_LABELS: Record<LabTechnique, string> = {
  'short-polling': 'Short polling',
  'short-polling-etag': 'Short polling + ETag',
  'long-polling': 'Long polling',
  sse: 'Server-Sent Events',
  websocket: 'WebSocket',
};

/**
 * Query parameters that tag a request (or a WebSocket handshake) as lab
 * traffic: `?lab=<lab id>&via=<technique>`. The server attributes the bytes
 * of tagged requests to that lab and technique; untagged ones (the widget's
 * own stats polls) are never counted.
 */
export const LAB_PARAMS = { lab: 'lab', via: 'via' } as const;

/** `lab=<id>&via=<technique>`, to append to a URL's query. */
export function labQuery(labId: string, via: LabTechnique): string {
  return `${LAB_PARAMS.lab}=${encodeURIComponent(labId)}&${LAB_PARAMS.via}=${via}`;
}

/** Lab ids: 12 URL-safe random characters. */
export const LAB_ID_PATTERN = /^[A-Za-z0-9_-]{12}$/;

/** Type of the events the lab's publisher puts on the channel. */
export const LAB_TICK_EVENT = 'tick';

/** `data` of a `tick` event. */
export interface LabTick {
  /** 1 for the first event of the run, then 2, 3… */
  seq: number;
  /**
   * The server's clock when it published the event, in ms since the epoch.
   * In `data` because SSE sends only `id`, `event` and `data` — not the
   * event's `ts` — and every technique must measure from the same instant.
   */
  publishedAt: number;
}

/** Answer of `POST /api/labs` (201). */
export interface CreateLabResponse {
  id: string;
  /** The channel the lab publishes on: `lab-<id>`. */
  channel: string;
}

export type LabRunState = 'running' | 'finished' | 'stopped';

/** The publisher of a lab: what it was asked to do and how far it got. */
export interface LabRun {
  state: LabRunState;
  ratePerMinute: number;
  durationMs: number;
  /** Server time the run started, ms since the epoch. */
  startedAt: number;
  /** Server time it ends (or ended, when stopped early). */
  endsAt: number;
  /** Events published so far. */
  published: number;
  /** Id of the last event published, 0 before the first. */
  lastEventId: number;
}

/** What the server measured for one technique of one lab, since the lab was created. */
export interface LabTraffic {
  /** HTTP requests received (for SSE: stream requests; for WebSocket: handshakes). */
  requests: number;
  /**
   * Bytes the server read from the client: request lines, headers and bodies,
   * WebSocket frames — everything above TCP, on the technique's connections.
   */
  bytesUp: number;
  /** Bytes the server wrote: status lines, headers, bodies, chunk framing, WebSocket frames. */
  bytesDown: number;
  /** Connections busy with this technique right now: a request in flight, a stream or a socket open. */
  connectionsHeld: number;
  /** Different TCP connections that carried this technique's traffic so far. */
  connectionsUsed: number;
}

/** Answer of `GET /api/labs/{id}/stats`. */
export interface LabStats {
  id: string;
  channel: string;
  /** The latest run, or null before the first. */
  run: LabRun | null;
  traffic: Record<LabTechnique, LabTraffic>;
  /** The server's clock when it answered, ms since the epoch (also in `x-server-time`). */
  serverTime: number;
}

/** Answer of `POST /api/labs/{id}/drop-connections` (202). */
export interface DropConnectionsResponse {
  /** TCP connections the server cut. */
  dropped: number;
}

export const LAB_LIMITS = {
  /** One event an hour. */
  minRatePerMinute: 1 / 60,
  /** 50 events a second. */
  maxRatePerMinute: 3_000,
  minDurationMs: 5_000,
  maxDurationMs: 60 * 60_000,
  /** Events one run may publish (rate × duration): the browser keeps every latency. */
  maxEventsPerRun: 30_000,
  /** Labs remembered at once; the least recently used idle one is forgotten first. */
  maxLabs: 1_000,
  /** Labs publishing at once, over all readers. */
  maxRunning: 100,
  /** A lab nobody ran, polled or sent traffic for in this long is forgotten. */
  idleTtlMs: 10 * 60_000,
} as const;

/** Problem types of the lab endpoints (RFC 9457 `type`). */
export const LAB_PROBLEM_TYPES = {
  /** No lab has this id (never created, or forgotten after being idle). */
  unknownLab: 'tag:realtime-workbook,2026:unknown-lab',
  /** `LAB_LIMITS.maxRunning` labs are publishing; retry after `Retry-After` seconds. */
  tooManyLabs: 'tag:realtime-workbook,2026:too-many-labs',
} as const;
