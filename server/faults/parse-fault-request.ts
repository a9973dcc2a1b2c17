import { FAULT_LIMITS, FAULT_TYPES, type FaultRequest, type FaultType } from '../../src/protocol/faults.ts';
import { assertJsonObject, invalidBody } from '../http/validate.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/**
 * Validates the body of `POST /api/channels/{channel}/faults`: one
 * {@link FaultRequest}, with exactly the members its `type` takes.
 * @throws {HttpProblem} 400 `invalid-body` naming the first wrong member.
 */
export function parseFaultRequest(body: unknown): FaultRequest {
  assertJsonObject(body, ['type', 'count', 'delayMs', 'durationMs', 'enabled', 'retryMs']);
  const type = body.type;
  if (typeof type !== 'string' || !FAULT_TYPES.includes(type as FaultType)) {
    throw invalidBody(`type is ${JSON.stringify(type) ?? 'missing'}; it must be one of ${FAULT_TYPES.join(', ')}.`, 'type');
  }

  switch (type as FaultType) {
    case 'drop-next-response':
    case 'kill-streams':
    case 'restart-streams':
      onlyMembers(body, type, []);
      return { type: type as 'drop-next-response' | 'kill-streams' | 'restart-streams' };
    case 'server-errors':
      onlyMembers(body, type, ['count']);
      return { type: 'server-errors', count: wholeNumber(body, 'count', 1, FAULT_LIMITS.maxServerErrors) };
    case 'slow':
      onlyMembers(body, type, ['delayMs', 'durationMs']);
      return {
        type: 'slow',
        delayMs: wholeNumber(body, 'delayMs', 0, FAULT_LIMITS.maxDelayMs),
        durationMs: wholeNumber(body, 'durationMs', FAULT_LIMITS.minDurationMs, FAULT_LIMITS.maxDurationMs),
      };
    case 'heartbeats':
      onlyMembers(body, type, ['enabled']);
      if (typeof body.enabled !== 'boolean') {
        throw invalidBody(`enabled is ${describeJsonKind(body.enabled)}; it must be true or false.`, 'enabled');
      }
      return { type: 'heartbeats', enabled: body.enabled };
    case 'retry':
      onlyMembers(body, type, ['retryMs']);
      return { type: 'retry', retryMs: wholeNumber(body, 'retryMs', FAULT_LIMITS.minRetryMs, FAULT_LIMITS.maxRetryMs) };
  }
}

/** A member that belongs to another fault type is a mistake worth reporting (`{type: 'slow', count: 3}`). */
function onlyMembers(body: Record<string, unknown>, type: string, allowed: string[]): void {
  const extra = Object.keys(body).find((key) => key !== 'type' && !allowed.includes(key));
  if (extra === undefined) return;
  const takes = allowed.length === 0 ? 'no other member' : allowed.join(', ');
  throw invalidBody(`A "${type}" fault takes ${takes}, not ${JSON.stringify(extra)}.`, extra);
}

function wholeNumber(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw invalidBody(
    `${field} is ${typeof value === 'number' ? value : describeJsonKind(value)}; it must be a whole number from ${min} to ${max}.`,
    field,
  );
}
