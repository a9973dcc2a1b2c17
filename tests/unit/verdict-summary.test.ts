import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verdictSummary } from '../../src/exercises/verdict-summary.ts';
import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';

const check = (id: string, state: VerdictCheck['state']): VerdictCheck => ({ id, title: id, state, detail: '' });

describe('verdictSummary', () => {
  it('counts the checks passed so far while the run goes on', () => {
    assert.equal(
      verdictSummary({ state: 'running', checks: [check('polled', 'passed'), check('stopped', 'pending')] }),
      'Running: 1 of 2 checks passed so far.',
    );
    assert.equal(
      verdictSummary({ state: 'running', checks: [check('polled', 'passed'), check('paced', 'failed')] }),
      'Running: 1 of 2 checks passed so far, 1 failed.',
    );
  });

  it('says a pass is verified only when the server recorded it', () => {
    const checks = [check('polled', 'passed'), check('paced', 'passed')];
    assert.equal(verdictSummary({ state: 'passed', checks, verifiedAt: 1 }), 'Passed: all 2 checks, verified by the server.');
    assert.equal(verdictSummary({ state: 'passed', checks }), 'Passed: all 2 checks.');
  });

  it('counts the failed checks of a failed run', () => {
    assert.equal(
      verdictSummary({ state: 'failed', checks: [check('polled', 'passed'), check('stopped', 'failed')] }),
      'Not yet: 1 of 2 checks failed.',
    );
  });
});
