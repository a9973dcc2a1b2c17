import type { Server } from 'node:http';
import type { BuildSimulation } from './builds/build-simulation.ts';
import type { EventBus } from './events/event-bus.ts';
import type { Production } from './experiments/production-routes.ts';
import type { ChannelFaults } from './faults/channel-faults.ts';
import type { JobSimulation } from './jobs/job-simulation.ts';
import type { RequestLimits } from './limits/request-limits.ts';
import type { Scaling } from './scaling/scaling-routes.ts';

/** The companion server, built but not listening. */
export interface WorkbookApp {
  /** The HTTP server; call `listen()` on it (port 0 in tests). */
  readonly server: Server;
  /** The event bus every technique publishes to and subscribes on. */
  readonly bus: EventBus;
  /** The simulated jobs behind the short-polling lesson. */
  readonly jobs: JobSimulation;
  /** The simulated builds behind the SSE lesson. */
  readonly builds: BuildSimulation;
  /** Faults readers armed on channels (`POST /api/channels/{channel}/faults`). */
  readonly faults: ChannelFaults;
  /**
   * Aborted when draining begins. Long-lived responses (long polls, SSE
   * streams, WebSockets) listen to it and end themselves, so a shutdown is
   * not held up by connections that would never finish on their own.
   */
  readonly draining: AbortSignal;
  /**
   * Resolves once the app can serve everything: the built site is loaded and
   * the database open and migrated. Rejects if either cannot (a `DatabaseStartError` for the database).
   */
  ready(): Promise<void>;
  /** True when ready and not draining: what `/readyz` reports. */
  isReady(): boolean;
  /** Number of requests whose response has not finished yet. */
  inFlightRequests(): number;
  /** Long polls held open now, on `channel` or in all. */
  heldPolls(channel?: string): number;
  /** SSE streams open now, on `channel` or in all. */
  openStreams(channel?: string): number;
  /** WebSocket connections open now (`/ws`). */
  openWebSockets(): number;
  /** Lesson 7's experiments: storms, the idle hop, slow consumers, channel drains. */
  readonly production: Production;
  /** Workshops this instance watches now: those in use here (idle ones are unloaded; the store keeps them). */
  loadedWorkshops(): number;
  /** Lesson 8's two-instance demos (child processes of this one, stopped by `close()`). */
  readonly scaling: Scaling;
  /** Connection caps and rate limits (`server/limits/`). */
  readonly limits: RequestLimits;
  /** Every API route: method and pattern. */
  routes(): { method: string; pattern: string }[];
  /**
   * Starts draining: `/readyz` turns 503, `draining` is aborted, responses
   * ask clients to close their connection. Still accepts connections, so a
   * load balancer has time to notice. Idempotent.
   */
  beginDraining(): void;
  /**
   * Drains (if not yet), stops accepting connections, closes idle keep-alive
   * connections, waits for in-flight requests to finish, and stops every job
   * and build timer. Idempotent; resolves when the last connection has closed.
   */
  close(): Promise<void>;
}
