import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { checkOf, finishRun, newLearner, startRun } from './helpers/exercise-runs.ts';

/** What a long-poll loop under test does after a failed poll; the default is lesson 3's correct client. */
type AfterFailure = 'same-cursor' | 'restart-from-zero' | 'give-up';

/** A long-poll loop as the lesson's learner would write it: returns the ids it showed, in order. */
async function longPollLoop(url: string, afterFailure: AfterFailure = 'same-cursor'): Promise<number[]> {
  const shown: number[] = [];
  let cursor = 0;
  for (let polls = 0; polls < 40; polls += 1) {
    try {
      const response = await fetch(`${url}?cursor=${cursor}&timeout=5000`);
      if (response.status === 204) continue;
      const body = (await response.json()) as LongPollResponse;
      for (const event of body.events) shown.push(event.id);
      cursor = body.cursor;
      if (body.events.some((event) => event.type === 'done')) return shown;
    } catch {
      if (afterFailure === 'give-up') return shown;
      if (afterFailure === 'restart-from-zero') cursor = 0;
      await sleep(200);
    }
  }
  return shown;
}

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
