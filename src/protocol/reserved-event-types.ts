import { BUILD_EVENT_TYPES } from './builds.ts';
import { JOB_EVENT_TYPE } from './jobs.ts';
import { LAB_TICK_EVENT } from './lab.ts';
import { FIREHOSE_EVENT_TYPE, PRODUCTION_EVENTS } from './production.ts';
import { SSE_RESET_EVENT } from './sse.ts';
import { BROADCAST_EVENT_TYPE } from './workshops.ts';

/**
 * Event types only the server publishes on a channel. Widgets trust them
 * (a `workshop-broadcast` shows as the instructor's, a `done` ends a build, a
 * `storm-bin` draws lesson 7's curve), so `POST /api/channels/{channel}/events`
 * refuses them with 403 `reserved-event-type`: whoever knows a channel's name
 * cannot fake the instructor, a job, a build or an experiment's result.
 */
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set([
  BROADCAST_EVENT_TYPE,
  JOB_EVENT_TYPE,
  ...Object.values(BUILD_EVENT_TYPES),
  LAB_TICK_EVENT,
  SSE_RESET_EVENT,
  FIREHOSE_EVENT_TYPE,
  ...Object.values(PRODUCTION_EVENTS),
  // EventSource dispatches these names itself (open, error): an event named so would pose as the connection's own.
  'open',
  'error',
]);

/** True when only the server may publish events of `type`. */
export function isReservedEventType(type: string): boolean {
  return RESERVED_EVENT_TYPES.has(type);
}
