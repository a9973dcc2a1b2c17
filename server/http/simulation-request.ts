import { randomBytes } from 'node:crypto';

/** What `POST /api/jobs` and `POST /api/builds` fill in. */
export interface SimulationDefaults<Outcome extends string> {
  /** Starts the channel made up for a request that names none, e.g. `job-`. */
  channelPrefix: string;
  defaultDurationMs: number;
  defaultOutcome: Outcome;
}

/**
 * A checked request to start a simulated run (a job, a build;
 * `src/protocol/request-bodies.ts`) with the defaults filled in.
 */
export function withSimulationDefaults<Outcome extends string>(
  request: { channel?: string; durationMs?: number; outcome?: Outcome },
  defaults: SimulationDefaults<Outcome>,
): { channel: string; durationMs: number; outcome: Outcome } {
  return {
    // A reader who names no channel gets one of their own, so nobody else's events reach their run.
    channel: request.channel ?? `${defaults.channelPrefix}${randomBytes(9).toString('base64url')}`,
    durationMs: request.durationMs ?? defaults.defaultDurationMs,
    outcome: request.outcome ?? defaults.defaultOutcome,
  };
}
