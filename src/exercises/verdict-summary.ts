import type { ExerciseVerdict } from '../protocol/exercise-runs.ts';

/**
 * What the live region says of a verdict, in one sentence: whether the run
 * passed, how many checks stand where, and whether the server recorded it.
 */
export function verdictSummary(verdict: Pick<ExerciseVerdict, 'state' | 'checks' | 'verifiedAt'>): string {
  const total = verdict.checks.length;
  const passed = verdict.checks.filter((check) => check.state === 'passed').length;
  const failed = verdict.checks.filter((check) => check.state === 'failed').length;
  if (verdict.state === 'running') return `Running: ${passed} of ${total} checks passed so far${failed > 0 ? `, ${failed} failed` : ''}.`;
  if (verdict.state === 'passed') {
    return `Passed: all ${total} checks${verdict.verifiedAt === undefined ? '' : ', verified by the server'}.`;
  }
  return `Not yet: ${failed} of ${total} checks failed.`;
}
