/**
 * A simulated CI build that streams on a channel (the SSE lesson's widget):
 * `log` events (data: the text of one or more lines), `progress` events
 * ({@link BuildProgress}), then one `done` ({@link BuildDone}). Its request
 * body is `startBuildRequest` in `request-bodies.ts`.
 */
export interface StartBuildResponse {
  id: string;
  channel: string;
  /** Log lines the build will write in all, so a client can check that none is missing. */
  totalLines: number;
}

export interface BuildProgress {
  build: string;
  /** 0–100. */
  percent: number;
  step: string;
}

export interface BuildDone {
  build: string;
  status: 'passed' | 'failed';
  /** Log lines written, equal to `totalLines`. */
  lines: number;
}

export const BUILD_LIMITS = {
  minDurationMs: 2_000,
  maxDurationMs: 120_000,
  defaultDurationMs: 15_000,
  /** Builds running at once, over all channels. */
  maxRunning: 500,
} as const;

export const BUILD_EVENT_TYPES = { log: 'log', progress: 'progress', done: 'done' } as const;
