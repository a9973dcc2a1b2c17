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
    `/api/long-poll/${encodeURIComponent(channel)}?cursor=${cursor}` +
    (timeoutMs === undefined ? '' : `&timeout=${timeoutMs}`),
  sse: (channel: string) => `/api/sse/${encodeURIComponent(channel)}`,
} as const;
