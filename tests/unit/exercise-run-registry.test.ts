import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExerciseKind } from '../../server/exercises/exercise-kind.ts';
import { ExerciseRunRegistry } from '../../server/exercises/exercise-run-registry.ts';
import { SqliteVerifiedStore } from '../../server/exercises/sqlite-verified-store.ts';
import type { VerifiedStore } from '../../server/exercises/verified-store.ts';
import { openSqliteDatabase } from '../../server/store/sqlite-database.ts';

/** An exercise whose runs pass as soon as they end, opened after `openMs`: the registry's own behaviour, alone. */
function passingKind(openMs = 0): ExerciseKind & { closed: number } {
  const kind = {
    lesson: 'short-polling',
    exercise: 'etag-poller',
    closed: 0,
    async open() {
      await new Promise((resolve) => setTimeout(resolve, openMs));
      return {
        urls: {},
        requests: 0,
        checks: () => [{ id: 'ok', title: 'Ran', state: 'passed' as const, detail: '' }],
        close: () => {
          kind.closed += 1;
        },
      };
    },
  };
  return kind;
}

describe('exercise runs: the registry', () => {
  it('answers a passed run without verifiedAt, and says why, when the database refuses the pass', async () => {
    const failing: VerifiedStore = {
      record: () => Promise.reject(new Error('the database is down')),
      list: async () => ({}),
      forget: async () => {},
    };
    const errors: unknown[] = [];
    const runs = new ExerciseRunRegistry({ kinds: [passingKind()], verified: failing, onError: (error) => errors.push(error) });
    const run = await runs.start('ada', 'short-polling', 'etag-poller', 'http://localhost');
    const verdict = await runs.finish(run.id, 'ada');
    assert.equal(verdict.state, 'passed');
    assert.equal(verdict.verifiedAt, undefined);
    assert.match(String(errors[0]), /the database is down/);
    // The run is still there, with the same verdict, for the learner's next read.
    assert.deepEqual(await runs.verdict(run.id, 'ada'), verdict);
    runs.close();
  });

  it('keeps a learner to 3 open runs even when their starts race: the oldest are ended', async () => {
    const kind = passingKind(20);
    const store = new SqliteVerifiedStore(openSqliteDatabase(':memory:'));
    const runs = new ExerciseRunRegistry({ kinds: [kind], verified: store });
    const started = await Promise.all(
      Array.from({ length: 5 }, () => runs.start('ada', 'short-polling', 'etag-poller', 'http://localhost')),
    );
    const states = await Promise.all(started.map(async (run) => (await runs.verdict(run.id, 'ada')).state));
    assert.equal(states.filter((state) => state === 'running').length, 3);
    assert.equal(kind.closed, 2);
    runs.close();
  });
});
