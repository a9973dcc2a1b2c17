import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import type { RouteContext } from '../http/router.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ChannelFaults } from '../faults/channel-faults.ts';
import type { RequestGate } from './request-gate.ts';

/** What an exercise is given when a run starts. */
export interface RunSetup {
  /** The run's id (a URL of its own carries it). */
  id: string;
  /** The run's own channel. */
  channel: string;
  /** `http(s)://host[:port]` as the learner's page reached the server: the run's URLs start with it. */
  origin: string;
  /** Requests (and, for a socket, messages) the run's URLs answer before they refuse. */
  maxRequests: number;
}

/** One running exercise: what the learner's client talks to, and what the server makes of it. */
export interface OpenExercise {
  /** Absolute URLs the learner's client uses, by name. */
  readonly urls: Readonly<Record<string, string>>;
  /** Requests answered on the run's URLs so far. */
  readonly requests: number;
  /** The checks as they stand; `final` once nothing more will be observed. */
  checks(final: boolean): VerdictCheck[];
  /** A request on one of the run's own URLs (`/api/exercise-runs/{id}/instances/{instance}/stream`), for an exercise that has them. */
  serve?(context: RouteContext): Promise<void>;
  /** A WebSocket upgrade on the run's socket URL, for an exercise that has one. */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops observing and frees what the run holds. */
  close(): void;
}

/** What an exercise on a channel of its own needs: lessons 3 and 4. */
export interface ChannelExerciseDeps {
  bus: Pick<EventBus, 'publish'>;
  faults: Pick<ChannelFaults, 'inject'>;
  /** The gate, by channel, of the endpoint the learner's client uses. */
  gate: RequestGate;
  /** Time between two events of the run (tests shorten it). */
  eventMs?: number;
}

/** An exercise whose runs the server verifies: lessons 2–5's coded exercises. */
export interface ExerciseKind {
  readonly lesson: string;
  readonly exercise: string;
  open(setup: RunSetup): OpenExercise | Promise<OpenExercise>;
}
