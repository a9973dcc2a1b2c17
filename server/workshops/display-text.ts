import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { cleanDisplayName, displayNameProblem } from '../../src/protocol/workshops.ts';
import { HttpProblem } from '../http/problem.ts';
import { invalidBody } from '../http/validate.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/** Control, format and line/paragraph separator characters, and lone surrogates: never part of a title or a broadcast. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * A display name as stored: NFC, trimmed, runs of spaces collapsed to one.
 * @throws {HttpProblem} 400 `invalid-name`: not a string, or {@link displayNameProblem} has an objection.
 */
export function readDisplayName(value: unknown): string {
  if (typeof value !== 'string') throw invalidName(`The name must be a string, not ${describeJsonKind(value)}.`);
  const problem = displayNameProblem(value);
  if (problem) throw invalidName(problem);
  return cleanDisplayName(value);
}

/**
 * Text a person typed for others to read (a workshop title, a broadcast):
 * NFC, trimmed, spaces collapsed, 1–`maxLength` code points, no control characters.
 * @throws {HttpProblem} 400 `invalid-body` naming `field`.
 */
export function readPlainText(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string') throw invalidBody(`"${field}" must be a string, not ${describeJsonKind(value)}.`, field);
  if (CONTROL_CHARACTERS.test(value)) {
    throw invalidBody(`"${field}" is plain text on one line: no control characters or line breaks.`, field);
  }
  const text = cleanDisplayName(value);
  const length = [...text].length;
  if (length === 0 || length > maxLength) {
    throw invalidBody(`"${field}" must have 1–${maxLength} characters; it has ${length}.`, field);
  }
  return text;
}

/** The key under which two names count as the same (case-insensitive). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

function invalidName(detail: string): HttpProblem {
  return new HttpProblem({ status: 400, type: PROBLEM_TYPES.invalidName, detail, extensions: { field: 'name' } });
}
