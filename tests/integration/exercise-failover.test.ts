import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import type { ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { checkOf, finishRun, newLearner, startRun } from './helpers/exercise-runs.ts';

/** How a client under test goes on from instance a; the default is lesson 8's correct one. */
type Failover = 'with-last-id' | 'without-last-id';

/** A failover client as the lesson's learner would write it: reads b, then a; resolves with the ids it showed at `done`. */
function readWithFailover(urls: { a: string; b: string }, failover: Failover = 'with-last-id'): Promise<number[]> {
  const shown: number[] = [];
  let lastId = '';
  return new Promise((resolve) => {
    const read = (instance: 'a' | 'b') => {
      const base = urls[instance];
      const source = new EventSource(failover === 'with-last-id' && lastId ? `${base}?lastEventId=${lastId}` : base);
      source.addEventListener('tick', (event) => {
        lastId = event.lastEventId;
        shown.push(Number(event.lastEventId));
      });
      source.addEventListener('done', (event) => {
        shown.push(Number(event.lastEventId));
        source.close();
        resolve(shown);
      });
      source.addEventListener('error', () => {
        if (instance !== 'b') return;
        source.close();
        read('a');
      });
    };
    read('b');
  });
}

describe('exercises the server verifies (lesson 8: fail over to the other instance)', { concurrency: true }, () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ exercises: { failoverEventMs: 250 } });
  });
  after(() => server.stop());

  async function runWith(failover?: Failover): Promise<{ verdict: ExerciseVerdict; shown: number[] }> {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'scaling-out', 'failover', headers);
    const urls = { a: run.urls.a!, b: run.urls.b! };
    const shown = await Promise.race([
      readWithFailover(urls, failover),
      new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 8_000)),
    ]);
    return { verdict: await finishRun(server.baseUrl, run, headers), shown };
  }

  it('verifies a client that goes on from a with the last id b sent', async () => {
    const { verdict, shown } = await runWith();
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.deepEqual(shown, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(checkOf(verdict, 'resumed').detail, 'The stream on a asked for the events after 3.');
  });

  it('fails a client that opens a fresh stream on a, and says how to give the last id', async () => {
    const { verdict } = await runWith('without-last-id');
    assert.equal(verdict.state, 'failed');
    assert.equal(
      checkOf(verdict, 'resumed').detail,
      'The stream on a gave no last id; b had sent up to 3. A new EventSource sends none: put it in the URL, ?lastEventId=3.',
    );
  });

  it('answers b with 502 once it is down, and an unknown instance with 404', async () => {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'scaling-out', 'failover', headers);
    assert.equal((await fetch(run.urls.b!.replace(/\/b\/stream$/, '/c/stream'))).status, 404);
    await readWithFailover({ a: run.urls.a!, b: run.urls.b! });
    const down = await fetch(run.urls.b!);
    assert.equal(down.status, 502);
    assert.equal(down.headers.get('access-control-allow-origin'), '*');
    await finishRun(server.baseUrl, run, headers);
    assert.equal((await fetch(run.urls.a!)).status, 404, 'a run that is over serves nothing');
  });
});
