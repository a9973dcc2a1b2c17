/** Every URL of the companion server, in one place for server routes, widgets and tests. */
export const paths = {
  health: '/healthz',
  ready: '/readyz',
  jobs: '/api/jobs',
  job: (id: string) => `/api/jobs/${encodeURIComponent(id)}`,
  channelEvents: (channel: string) => `/api/channels/${encodeURIComponent(channel)}/events`,
} as const;
