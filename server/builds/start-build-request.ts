import { randomBytes } from 'node:crypto';
import { BUILD_LIMITS } from '../../src/protocol/builds.ts';
import { assertJsonObject, assertValidChannel, describe, invalidBody } from '../http/validate.ts';
import { type BuildPlan } from './build-simulation.ts';

const OUTCOMES = ['passed', 'failed'] as const;

/**
 * Validates the body of `POST /api/builds` (a `StartBuildRequest`, every
 * member optional, or no body at all) and fills in the defaults.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartBuildRequest(body: unknown): BuildPlan {
  if (body === undefined) body = {};
  assertJsonObject(body, ['channel', 'durationMs', 'outcome']);

  const channel = body.channel ?? `build-${randomBytes(9).toString('base64url')}`;
  assertValidChannel(channel, 'body');

  const durationMs = body.durationMs ?? BUILD_LIMITS.defaultDurationMs;
  const { minDurationMs, maxDurationMs } = BUILD_LIMITS;
  if (
    typeof durationMs !== 'number' ||
    !Number.isInteger(durationMs) ||
    durationMs < minDurationMs ||
    durationMs > maxDurationMs
  ) {
    throw invalidBody(
      `durationMs is ${typeof durationMs === 'number' ? durationMs : describe(durationMs)}; ` +
        `it must be a whole number of milliseconds from ${minDurationMs} to ${maxDurationMs}.`,
      'durationMs',
    );
  }

  const outcome = body.outcome ?? 'passed';
  if (!OUTCOMES.includes(outcome as BuildPlan['outcome'])) {
    throw invalidBody(`outcome is ${JSON.stringify(outcome)}; it must be "passed" or "failed".`, 'outcome');
  }

  return { channel, durationMs, outcome: outcome as BuildPlan['outcome'] };
}
