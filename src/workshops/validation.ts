import { JOIN_CODE_LENGTH, JOIN_CODE_PATTERN, NAME_FORBIDDEN, WORKSHOP_LIMITS, normalizeJoinCode } from '../protocol/workshops.ts';

/**
 * The forms' own checks, mirroring the server's (src/protocol/workshops.ts),
 * so a person hears at once what is wrong. The server decides: when it
 * refuses, its problem `detail` is what the form shows.
 */

/** `'  Ada   Lovelace '` → `'Ada Lovelace'`: trimmed, runs of spaces collapsed (what the server stores). */
export function cleanName(typed: string): string {
  return typed.trim().replace(/\s+/g, ' ');
}

/** Length in characters (code points), as the limits count. */
export function codePoints(text: string): number {
  return Array.from(text).length;
}

/** Why `typed` cannot be a display name, or null when it can. */
export function nameProblem(typed: string): string | null {
  const name = cleanName(typed);
  if (name === '') return 'Enter the name the instructor will see.';
  if (codePoints(name) > WORKSHOP_LIMITS.maxNameLength) return `A name has at most ${WORKSHOP_LIMITS.maxNameLength} characters.`;
  if (NAME_FORBIDDEN.test(name)) return 'A name is plain text: no < or >, and no control characters.';
  return null;
}

/** Why `typed` cannot be a join code, or null when it can. */
export function codeProblem(typed: string): string | null {
  const code = normalizeJoinCode(typed);
  if (code === '') return 'Enter the code the instructor shows.';
  if (!JOIN_CODE_PATTERN.test(code)) return `A join code is ${JOIN_CODE_LENGTH} letters and digits, like K7QX2M.`;
  return null;
}

/** Why `typed` cannot be a workshop title, or null when it can. */
export function titleProblem(typed: string): string | null {
  const title = typed.trim();
  if (title === '') return 'Give the workshop a title.';
  if (codePoints(title) > WORKSHOP_LIMITS.maxTitleLength) return `A title has at most ${WORKSHOP_LIMITS.maxTitleLength} characters.`;
  return null;
}
