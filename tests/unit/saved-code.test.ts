import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSavedExercise, savedCodeKey, saveExercise } from '../../src/exercises/saved-code.ts';
import { memoryStorage } from './support/memory-storage.ts';

describe('the learner’s code, kept per lesson and exercise', () => {
  it('saves and loads the code and the hints shown under one key per exercise', () => {
    const storage = memoryStorage();
    assert.equal(saveExercise(storage, 'short-polling', 'etag-poller', { code: 'log(1);', hintsShown: 2 }), true);
    assert.deepEqual([...storage.items.keys()], ['rtw-code:short-polling/etag-poller']);
    assert.deepEqual(loadSavedExercise(storage, 'short-polling', 'etag-poller'), { code: 'log(1);', hintsShown: 2 });
    assert.equal(loadSavedExercise(storage, 'long-polling', 'etag-poller'), undefined);
    assert.equal(savedCodeKey('a', 'b'), 'rtw-code:a/b');
  });

  it('reads nothing from what is not its own shape, and a bad hint count as none', () => {
    const storage = memoryStorage();
    for (const stored of ['not json', '"text"', '{"hintsShown":1}', 'null']) {
      storage.items.set(savedCodeKey('l', 'e'), stored);
      assert.equal(loadSavedExercise(storage, 'l', 'e'), undefined, stored);
    }
    storage.items.set(savedCodeKey('l', 'e'), '{"code":"x","hintsShown":-3}');
    assert.deepEqual(loadSavedExercise(storage, 'l', 'e'), { code: 'x', hintsShown: 0 });
  });

  it('says false when the storage refuses (full, or a private window)', () => {
    const full = {
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    assert.equal(saveExercise(full, 'l', 'e', { code: 'x', hintsShown: 0 }), false);
  });
});
