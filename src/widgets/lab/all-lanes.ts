import type { LabTechnique } from '../../protocol/lab.ts';
import type { LaneFactory } from './lane.ts';
import { createLongPollLane } from './long-poll-lane.ts';
import { createShortPollLane } from './short-poll-lane.ts';
import { createSseLane } from './sse-lane.ts';
import { createWebSocketLane } from './websocket-lane.ts';

/** The lab's five lanes, each a real client of its technique: what the widget and `bench/lab.ts` both run. */
export const ALL_LANES: Record<LabTechnique, LaneFactory> = {
  'short-polling': (context) => createShortPollLane(context, { etag: false }),
  'short-polling-etag': (context) => createShortPollLane(context, { etag: true }),
  'long-polling': createLongPollLane,
  sse: createSseLane,
  websocket: createWebSocketLane,
};
