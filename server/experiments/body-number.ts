import { invalidBody } from '../http/validate.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/**
 * Reads `body[field]` as a whole number from `min` to `max`, or `fallback` when absent.
 * @throws {HttpProblem} 400 `invalid-body` naming the field.
 */
export function readWholeNumber(
  body: Record<string, unknown>,
  field: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const value = body[field] ?? fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw invalidBody(
    `${field} is ${typeof value === 'number' ? value : describeJsonKind(value)}; it must be a whole number from ${min} to ${max}.`,
    field,
  );
}
