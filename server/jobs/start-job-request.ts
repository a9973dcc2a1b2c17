import { randomBytes } from 'node:crypto';
import { JOB_LIMITS } from '../../src/protocol/jobs.ts';
import { assertJsonObject, assertValidChannel, describe, invalidBody } from '../http/validate.ts';
import { type JobPlan } from './job-simulation.ts';

const OUTCOMES = ['succeeded', 'failed'] as const;

/**
 * Validates the body of `POST /api/jobs` (a `StartJobRequest`, every member
 * optional, or no body at all) and fills in the defaults.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartJobRequest(body: unknown): JobPlan {
  if (body === undefined) body = {};
  assertJsonObject(body, ['channel', 'durationMs', 'outcome']);

  // A reader who names no channel gets one of their own, so nobody else's notes reach their job.
  const channel = body.channel ?? `job-${randomBytes(9).toString('base64url')}`;
  assertValidChannel(channel, 'body');

  const durationMs = body.durationMs ?? JOB_LIMITS.defaultDurationMs;
  const { minDurationMs, maxDurationMs } = JOB_LIMITS;
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

  const outcome = body.outcome ?? 'succeeded';
  if (!OUTCOMES.includes(outcome as JobPlan['outcome'])) {
    throw invalidBody(`outcome is ${JSON.stringify(outcome)}; it must be "succeeded" or "failed".`, 'outcome');
  }

  return { channel, durationMs, outcome: outcome as JobPlan['outcome'] };
}
