/** Every URL of the companion server, in one place for server routes, widgets and tests. */
export const paths = {
  health: '/healthz',
  ready: '/readyz',
  jobs: '/api/jobs',
  job: (id: string) => `/api/jobs/${encodeURIComponent(id)}`,
  builds: '/api/builds',
  channelEvents: (channel: string) => `/api/channels/${encodeURIComponent(channel)}/events`,
  channelFaults: (channel: string) => `/api/channels/${encodeURIComponent(channel)}/faults`,
  longPoll: (channel: string, cursor: number, timeoutMs?: number) =>
    `/api/long-poll/${encodeURIComponent(channel)}?cursor=${cursor}` + (timeoutMs === undefined ? '' : `&timeout=${timeoutMs}`),
  sse: (channel: string) => `/api/sse/${encodeURIComponent(channel)}`,
  /** The reader's progress, for the learner in the `rtw_learner` cookie (`src/protocol/progress.ts`). */
  progress: '/api/progress',
  channelLatest: (channel: string) => `/api/channels/${encodeURIComponent(channel)}/latest`,
  labs: '/api/labs',
  labRun: (id: string) => `/api/labs/${encodeURIComponent(id)}/run`,
  labStop: (id: string) => `/api/labs/${encodeURIComponent(id)}/stop`,
  labStats: (id: string) => `/api/labs/${encodeURIComponent(id)}/stats`,
  labDropConnections: (id: string) => `/api/labs/${encodeURIComponent(id)}/drop-connections`,
  /** Lesson 7's experiments (`src/protocol/production.ts`). */
  storms: '/api/production/storms',
  stormConnect: (id: string) => `/api/production/storms/${encodeURIComponent(id)}/connect`,
  idleHop: (idleMs: number, channel: string) => `/api/production/idle-hop/${idleMs}/sse/${encodeURIComponent(channel)}`,
  slowConsumers: '/api/production/slow-consumers',
  drains: '/api/production/drains',
  /** One running storm, slow consumer or drain, by the id its POST answered: `DELETE` stops it. */
  experiment: (id: string) => `/api/production/experiments/${encodeURIComponent(id)}`,
  /** Lesson 8's two-instance demo (`src/protocol/scaling.ts`). */
  scaling: '/api/scaling',
  scalingDemo: (channel: string) => `/api/scaling/${encodeURIComponent(channel)}`,
  scalingAction: (channel: string, instance: string, action: string) =>
    `/api/scaling/${encodeURIComponent(channel)}/instances/${instance}/${action}`,
  /** A note published on one instance (forwarded to its `/api/channels/{feed}/events`). */
  scalingPublish: (channel: string, instance: string, feed: string) =>
    `/api/scaling/${encodeURIComponent(channel)}/instances/${instance}/api/channels/${encodeURIComponent(feed)}/events`,
  /** The feed's stream from one instance, and nothing else when it is down. */
  scalingStream: (channel: string, instance: string, feed: string) =>
    `/api/scaling/${encodeURIComponent(channel)}/instances/${instance}/api/sse/${encodeURIComponent(feed)}`,
  /** The feed's stream through the demo's sticky balancer: pinned to `instance`, moved to the other one while it is down. */
  scalingStickyStream: (channel: string, instance: string, feed: string) =>
    `/api/scaling/${encodeURIComponent(channel)}/sticky/${instance}/api/sse/${encodeURIComponent(feed)}`,
} as const;
