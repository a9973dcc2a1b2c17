import { isValidChannel } from '../../src/protocol/channel.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from './problem.ts';

/**
 * Checks a channel name taken from the URL path or from the body's `channel` member.
 * @throws {HttpProblem} 400 `invalid-channel`.
 */
export function assertValidChannel(channel: unknown, source: 'path' | 'body'): asserts channel is string {
  if (typeof channel === 'string' && isValidChannel(channel)) return;
  const shown = typeof channel === 'string' ? JSON.stringify(channel.slice(0, 80)) : describeJsonKind(channel);
  const where = source === 'path' ? 'in the URL' : 'in the body';
  throw new HttpProblem({
    status: 400,
    type: PROBLEM_TYPES.invalidChannel,
    detail: `The channel ${where} is ${shown}; a channel name is 1–64 characters of A–Z a–z 0–9 _ -.`,
    extensions: source === 'body' ? { field: 'channel' } : {},
  });
}

/** A 400 `invalid-body` problem about `field`. */
export function invalidBody(detail: string, field?: string): HttpProblem {
  return new HttpProblem({
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail,
    extensions: field === undefined ? {} : { field },
  });
}
