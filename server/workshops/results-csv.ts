import { CSV_COLUMNS, type MemberView } from '../../src/protocol/workshops.ts';

/**
 * The results of a workshop as CSV (RFC 4180): a header row, then one row
 * per member who ever joined, in join order. Columns: {@link CSV_COLUMNS},
 * then `lesson:<slug>` for each of `lessons` (when it was completed, or
 * empty), then `quiz:<scenario>` for each scenario of the members' latest
 * attempts, sorted (the technique picked, or empty). Times are ISO 8601.
 */
export function resultsCsv(members: readonly MemberView[], lessons: readonly string[]): string {
  const scenarios = [...new Set(members.flatMap((member) => Object.keys(member.quiz?.answers ?? {})))].sort();
  const header = [...CSV_COLUMNS, ...lessons.map((slug) => `lesson:${slug}`), ...scenarios.map((scenario) => `quiz:${scenario}`)];
  const rows = members.map((member) => [
    member.name,
    isoTime(member.joinedAt),
    isoTime(member.leftAt),
    String(member.online),
    member.lesson ?? '',
    String(member.doneAt !== null),
    String(Object.keys(member.completed).length),
    String(Object.keys(member.verified).length),
    member.quiz ? String(member.quiz.score) : '',
    member.quiz ? String(member.quiz.points) : '',
    member.quiz ? String(member.quiz.total) : '',
    ...lessons.map((slug) => isoTime(member.completed[slug] ?? null)),
    ...scenarios.map((scenario) => member.quiz?.answers[scenario] ?? ''),
  ]);
  // RFC 4180 §2: records end with CRLF, the last one included.
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/**
 * One field: a cell a spreadsheet would run as a formula (starting with
 * `=` `+` `-` `@`, a tab or a CR: OWASP "CSV Injection") gets a leading `'`;
 * a field holding a comma, a quote or a line break is quoted, its quotes
 * doubled (RFC 4180 §2.6–2.7).
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function isoTime(at: number | null): string {
  return at === null ? '' : new Date(at).toISOString();
}
