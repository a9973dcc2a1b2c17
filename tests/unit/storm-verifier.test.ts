import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StormDone, StormStrategy } from '../../src/protocol/production.ts';
import { SqliteVerifiedStore } from '../../server/exercises/sqlite-verified-store.ts';
import { StormVerifier } from '../../server/exercises/storm-verifier.ts';
import { openSqliteDatabase } from '../../server/store/sqlite-database.ts';

function storm(strategy: StormStrategy, peak: number, clients = 100, aborted?: string): StormDone {
  return {
    storm: 's',
    strategy,
    clients,
    peak,
    peakBin: 0,
    attempts: peak,
    bins: [peak],
    allBackMs: 1_000,
    back: clients,
    ...(aborted ? { aborted } : {}),
  };
}

describe('lesson 7: the storm exercise, verified from the storms the server ran', () => {
  function verifier() {
    const store = new SqliteVerifiedStore(openSqliteDatabase(':memory:'));
    const told: string[] = [];
    const recordPass = async (learner: string, lesson: string, exercise: string) => {
      await store.record(learner, lesson, exercise, Date.now());
      told.push(learner);
    };
    return { store, told, verifier: new StormVerifier(recordPass) };
  }

  it('records a pass once the latest no-backoff and full-jitter storms meet the rule, for that learner only', async () => {
    const { store, told, verifier: storms } = verifier();
    await storms.stormDone('ada', storm('none', 90));
    assert.deepEqual(await store.list('ada'), {});
    await storms.stormDone('ada', storm('full-jitter', 31)); // more than a third
    assert.deepEqual(await store.list('ada'), {});
    await storms.stormDone('ada', storm('full-jitter', 30)); // the latest is compared
    assert.deepEqual(Object.keys((await store.list('ada'))['in-production'] ?? {}), ['flatten-the-storm']);
    assert.deepEqual(told, ['ada']);
    assert.deepEqual(await store.list('bob'), {});
  });

  it('compares only storms of one fleet size, big enough, that ran to the end', async () => {
    const { store, verifier: storms } = verifier();
    await storms.stormDone('ada', storm('none', 90, 100));
    await storms.stormDone('ada', storm('full-jitter', 10, 200));
    await storms.stormDone('bob', storm('none', 90, 50));
    await storms.stormDone('bob', storm('full-jitter', 10, 50));
    await storms.stormDone('cy', storm('none', 90, 100, 'the server began draining'));
    await storms.stormDone('cy', storm('full-jitter', 10, 100));
    await storms.stormDone('dee', storm('none', 90));
    await storms.stormDone('dee', storm('exponential', 10));
    for (const learner of ['ada', 'bob', 'cy', 'dee']) assert.deepEqual(await store.list(learner), {}, learner);
  });
});
