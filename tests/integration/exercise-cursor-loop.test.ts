import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { checkOf, finishRun, longPollLoop, newLearner, startRun, type AfterFailure } from './helpers/exercise-runs.ts';

describe('exercises the server verifies (lesson 3: the cursor loop)', { concurrency: true }, () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ exercises: { cursorLoopEventMs: 250 } });
  });
  after(() => server.stop());

  async function runWith(afterFailure?: AfterFailure): Promise<{ verdict: ExerciseVerdict; shown: number[] }> {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'long-polling', 'cursor-loop', headers);
    const shown = await longPollLoop(run.urls.poll!, afterFailure);
    return { verdict: await finishRun(server.baseUrl, run, headers), shown };
  }

  const check = checkOf;

  it('verifies a loop that asks again with its cursor after the lost answer', async () => {
    const { verdict, shown } = await runWith();
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.deepEqual(shown, [1, 2, 3, 4, 5, 6, 7]);
    assert.match(check(verdict, 'asked-again').detail, /^Poll \d+ asked again from cursor=2 and got the lost events\.$/);
    assert.equal(typeof verdict.verifiedAt, 'number');
  });

  it('fails a loop that starts over from cursor 0 after the lost answer, naming the event it got twice', async () => {
    const { verdict, shown } = await runWith('restart-from-zero');
    assert.equal(verdict.state, 'failed');
    assert.deepEqual(shown.slice(0, 4), [1, 2, 1, 2]);
    assert.equal(check(verdict, 'exactly-once').detail, 'Event 1 reached the client twice: a poll went back to an older cursor.');
    assert.match(check(verdict, 'asked-again').detail, /sent cursor=0 after the lost answer; it had to send cursor=2 again\.$/);
  });

  it('fails a loop that gives up on the network error', async () => {
    const { verdict } = await runWith('give-up');
    assert.equal(verdict.state, 'failed');
    assert.match(check(verdict, 'asked-again').detail, /the loop gave up on a network error\.$/);
    assert.match(check(verdict, 'exactly-once').detail, /^Not received yet: events 3, 4, 5, 6, 7\.$/);
  });
});
