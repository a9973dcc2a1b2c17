import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';

export function verdictCheck(id: string, title: string, state: VerdictCheck['state'], detail: string): VerdictCheck {
  return { id, title, state, detail };
}

/** A check still waiting for what it needs: pending while the run goes on, failed once it is over. */
export function waitingState(final: boolean): VerdictCheck['state'] {
  return final ? 'failed' : 'pending';
}
