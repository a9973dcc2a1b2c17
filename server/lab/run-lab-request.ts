import { LAB_LIMITS, type RunLabRequest } from '../../src/protocol/lab.ts';
import { assertJsonObject, invalidBody } from '../http/validate.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/**
 * Checks the body of `POST /api/labs/{id}/run`: both members required, the
 * rate from one an hour to 50 a second, the duration from 5 s to 1 h, and
 * no more than `maxEventsPerRun` events in all.
 * @throws {HttpProblem} 400 `invalid-body` naming the field.
 */
export function parseRunLabRequest(body: unknown): RunLabRequest {
  assertJsonObject(body, ['ratePerMinute', 'durationMs']);
  const { ratePerMinute, durationMs } = body;
  if (typeof ratePerMinute !== 'number' || !Number.isFinite(ratePerMinute)) {
    throw invalidBody(`ratePerMinute is ${describeJsonKind(ratePerMinute)}; it must be a number of events per minute.`, 'ratePerMinute');
  }
  // A little slack below one an hour: 1/60 written with fewer digits must still pass.
  if (ratePerMinute < LAB_LIMITS.minRatePerMinute * 0.999 || ratePerMinute > LAB_LIMITS.maxRatePerMinute) {
    throw invalidBody(
      `ratePerMinute is ${ratePerMinute}; it must be from ${LAB_LIMITS.minRatePerMinute.toFixed(4)} (one an hour) to ${LAB_LIMITS.maxRatePerMinute} (50 a second).`,
      'ratePerMinute',
    );
  }
  if (
    typeof durationMs !== 'number' ||
    !Number.isInteger(durationMs) ||
    durationMs < LAB_LIMITS.minDurationMs ||
    durationMs > LAB_LIMITS.maxDurationMs
  ) {
    throw invalidBody(
      `durationMs is ${typeof durationMs === 'number' ? durationMs : describeJsonKind(durationMs)}; it must be a whole number of milliseconds from ${LAB_LIMITS.minDurationMs} to ${LAB_LIMITS.maxDurationMs}.`,
      'durationMs',
    );
  }
  const events = (ratePerMinute * durationMs) / 60_000;
  if (events > LAB_LIMITS.maxEventsPerRun) {
    throw invalidBody(
      `This run would publish about ${Math.round(events)} events; a run may publish ${LAB_LIMITS.maxEventsPerRun} at most. Lower the rate or the duration.`,
      'durationMs',
    );
  }
  return { ratePerMinute, durationMs };
}
