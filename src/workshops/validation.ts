import { JOIN_CODE_LENGTH, JOIN_CODE_PATTERN, WORKSHOP_LIMITS, displayNameProblem, normalizeJoinCode } from '../protocol/workshops.ts';

export { cleanDisplayName as cleanName } from '../protocol/workshops.ts';

/**
 * The forms' own checks, mirroring the server's (src/protocol/workshops.ts),
 * so a person hears at once what is wrong. The server decides: when it
 * refuses, its problem `detail` is what the form shows.
 */

/** Length in characters (code points), as the limits count. */
export function codePoints(text: string): number {
  return Array.from(text).length;
}

/** Why `typed` cannot be a display name, or null when it can: the server's own check. */
export const nameProblem = displayNameProblem;

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
