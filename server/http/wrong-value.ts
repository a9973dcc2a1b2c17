import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/**
 * The detail of a 400 about one body member or query parameter: its name, its
 * value and what it must be, so a person can fix it without the docs:
 * `"durationMs" is 3; it must be a whole number of milliseconds from 5000 to 3600000.`
 * @param shownValue the value as {@link shownValue} writes it; `undefined` when it is missing.
 */
export function wrongValueDetail(name: string, shownValue: string | undefined, rule: string): string {
  const quoted = JSON.stringify(name);
  if (shownValue === undefined) return `${quoted} is missing; it must be ${rule}.`;
  return `${quoted} is ${shownValue}; it must be ${rule}.`;
}

/** A JSON value as a person reads it in a message: `3`, `the string "5000"`, `an array`. */
export function shownValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return describeJsonKind(value);
}
