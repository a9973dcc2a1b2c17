import { randomBytes } from 'node:crypto';
import { assertJsonObject, assertValidChannel, invalidBody } from './validate.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/** What `POST /api/jobs` and `POST /api/builds` accept, and what they fill in. */
export interface SimulationRequestRules<Outcome extends string> {
  /** Starts the channel made up for a request that names none, e.g. `job-`. */
  channelPrefix: string;
  /** Bounds and default of `durationMs`, from the protocol's limits. */
  limits: { minDurationMs: number; maxDurationMs: number; defaultDurationMs: number };
  /** The allowed outcomes; the first is the default. */
  outcomes: readonly [Outcome, ...Outcome[]];
}

/**
 * Validates the body of a request that starts a simulated run (a job, a
 * build): `{channel?, durationMs?, outcome?}`, every member optional, or no
 * body at all. Fills in the defaults.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseSimulationRequest<Outcome extends string>(
  body: unknown,
  rules: SimulationRequestRules<Outcome>,
): { channel: string; durationMs: number; outcome: Outcome } {
  if (body === undefined) body = {};
  assertJsonObject(body, ['channel', 'durationMs', 'outcome']);

  // A reader who names no channel gets one of their own, so nobody else's events reach their run.
  const channel = body.channel ?? `${rules.channelPrefix}${randomBytes(9).toString('base64url')}`;
  assertValidChannel(channel, 'body');

  const durationMs = body.durationMs ?? rules.limits.defaultDurationMs;
  const { minDurationMs, maxDurationMs } = rules.limits;
  if (typeof durationMs !== 'number' || !Number.isInteger(durationMs) || durationMs < minDurationMs || durationMs > maxDurationMs) {
    throw invalidBody(
      `durationMs is ${typeof durationMs === 'number' ? durationMs : describeJsonKind(durationMs)}; ` +
        `it must be a whole number of milliseconds from ${minDurationMs} to ${maxDurationMs}.`,
      'durationMs',
    );
  }

  const outcome = body.outcome ?? rules.outcomes[0];
  if (!rules.outcomes.includes(outcome as Outcome)) {
    const allowed = rules.outcomes.map((name) => JSON.stringify(name)).join(' or ');
    throw invalidBody(`outcome is ${JSON.stringify(outcome)}; it must be ${allowed}.`, 'outcome');
  }

  return { channel, durationMs, outcome: outcome as Outcome };
}
