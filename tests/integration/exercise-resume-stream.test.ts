import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import type { ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { checkOf, finishRun, newLearner, startRun } from './helpers/exercise-runs.ts';

/** How a client under test comes back after the cut; the default is lesson 4's correct one. */
type Reconnect = 'event-source' | 'new-event-source' | 'from-the-start';

/** An SSE client as the lesson's learner would write it: resolves with the ids it showed once `done` came. */
function readStream(url: string, reconnect: Reconnect = 'event-source'): Promise<number[]> {
  const shown: number[] = [];
  return new Promise((resolve) => {
    const open = (from?: string) => {
      const source = new EventSource(from === undefined ? url : `${url}?lastEventId=${from}`);
      const show = (event: MessageEvent) => shown.push(Number(event.lastEventId));
      source.addEventListener('tick', show);
      source.addEventListener('done', (event) => {
        show(event);
        source.close();
        resolve(shown);
      });
      source.addEventListener('error', () => {
        if (reconnect === 'event-source') return; // EventSource comes back by itself, with Last-Event-ID
        source.close();
        setTimeout(() => open(reconnect === 'from-the-start' ? '0' : undefined), 200);
      });
    };
    open();
  });
}

describe('exercises the server verifies (lesson 4: resume the stream)', { concurrency: true }, () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ exercises: { resumeStreamEventMs: 250 }, sse: { retryMs: 300 } });
  });
  after(() => server.stop());

  async function runWith(reconnect?: Reconnect): Promise<{ verdict: ExerciseVerdict; shown: number[] }> {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'server-sent-events', 'resume', headers);
    const shown = await Promise.race([
      readStream(run.urls.stream!, reconnect),
      new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 6_000)),
    ]);
    return { verdict: await finishRun(server.baseUrl, run, headers), shown };
  }

  const check = checkOf;

  it('verifies an EventSource that reconnects by itself with Last-Event-ID', async () => {
    const { verdict, shown } = await runWith();
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.deepEqual(shown, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(check(verdict, 'resumed').detail, 'The new stream sent Last-Event-ID: 3.');
  });

  it('fails a client that opens a new EventSource after the cut, which forgets the last id', async () => {
    const { verdict } = await runWith('new-event-source');
    assert.equal(verdict.state, 'failed');
    assert.match(check(verdict, 'resumed').detail, /^The new stream sent no Last-Event-ID; the cut stream had sent up to id 3\./);
  });

  it('fails a client that resumes from the start, naming the event sent twice', async () => {
    const { verdict, shown } = await runWith('from-the-start');
    assert.equal(verdict.state, 'failed');
    assert.deepEqual(shown.slice(0, 4), [1, 2, 3, 1]);
    assert.equal(check(verdict, 'exactly-once').detail, 'Event 1 was sent to the client twice.');
    assert.equal(check(verdict, 'resumed').detail, 'The new stream sent Last-Event-ID: 0; the cut stream had sent up to id 3.');
  });
});
