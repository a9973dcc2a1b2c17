import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CodeCopy, type CodeServer, ExerciseCode, newerCopy } from '../../src/exercises/exercise-code.ts';
import { loadSavedExercise, saveExercise } from '../../src/exercises/saved-code.ts';
import { memoryStorage } from './support/memory-storage.ts';

const STARTER = '// write your loop here';

/** The server's copy, as code-sync.ts would give and take it, with what was pushed. */
function fakeServer(copy?: CodeCopy): CodeServer & { pushed: CodeCopy[]; flushes: number } {
  const server = {
    pushed: [] as CodeCopy[],
    flushes: 0,
    pull: async () => copy,
    push: (code: string, savedAt: number) => void server.pushed.push({ code, savedAt }),
    flush: () => void (server.flushes += 1),
  };
  return server;
}

describe('which copy of the code wins', () => {
  it('is the server’s when it was written later, or this browser never edited', () => {
    assert.equal(newerCopy({ code: 'a', hintsShown: 0, savedAt: 10 }, { code: 'b', savedAt: 20 }, STARTER), 'remote');
    assert.equal(newerCopy({ code: STARTER, hintsShown: 0 }, { code: 'b', savedAt: 1 }, STARTER), 'remote');
  });

  it('is this browser’s when it was edited later, or the server has none, but never the untouched starter', () => {
    assert.equal(newerCopy({ code: 'a', hintsShown: 0, savedAt: 30 }, { code: 'b', savedAt: 20 }, STARTER), 'local');
    assert.equal(newerCopy({ code: 'a', hintsShown: 0, savedAt: 30 }, undefined, STARTER), 'local');
    assert.equal(newerCopy({ code: STARTER, hintsShown: 0, savedAt: 30 }, undefined, STARTER), 'same');
    assert.equal(newerCopy({ code: STARTER, hintsShown: 0 }, undefined, STARTER), 'same');
  });
});

describe('the learner’s code for one exercise', () => {
  it('opens with the starter, then keeps every edit here and sends it to the server', () => {
    const storage = memoryStorage();
    const server = fakeServer();
    const code = new ExerciseCode('long-polling', 'cursor-loop', storage, server);
    assert.deepEqual(code.open(STARTER), { code: STARTER, hintsShown: 0 });
    code.edited('let cursor = 0;');
    code.hintsSeen(2);
    const kept = loadSavedExercise(storage, 'long-polling', 'cursor-loop');
    assert.equal(kept?.code, 'let cursor = 0;');
    assert.equal(kept?.hintsShown, 2);
    assert.deepEqual(
      server.pushed.map((copy) => copy.code),
      ['let cursor = 0;'],
    );
    assert.equal(server.pushed[0]?.savedAt, kept?.savedAt);
  });

  it('takes up the server’s later copy, and does not send it back when the editor reports it', async () => {
    const storage = memoryStorage();
    saveExercise(storage, 'l', 'e', { code: 'mine', hintsShown: 1, savedAt: 10 });
    const server = fakeServer({ code: 'from the other browser', savedAt: 20 });
    const code = new ExerciseCode('l', 'e', storage, server);
    assert.equal(code.open(STARTER).code, 'mine');
    assert.equal(await code.reconcile(STARTER, 'mine'), 'from the other browser');
    code.edited('from the other browser'); // the editor, replaced
    assert.deepEqual(server.pushed, []);
    assert.deepEqual(loadSavedExercise(storage, 'l', 'e'), { code: 'from the other browser', hintsShown: 1, savedAt: 20 });
  });

  it('sends this browser’s copy when it is the later one, and keeps what is shown', async () => {
    const storage = memoryStorage();
    saveExercise(storage, 'l', 'e', { code: 'mine', hintsShown: 0, savedAt: 30 });
    const server = fakeServer({ code: 'older', savedAt: 20 });
    const code = new ExerciseCode('l', 'e', storage, server);
    code.open(STARTER);
    assert.equal(await code.reconcile(STARTER, 'mine'), undefined);
    assert.deepEqual(server.pushed, [{ code: 'mine', savedAt: 30 }]);
  });

  it('changes nothing when the server’s later copy is what the editor shows already', async () => {
    const server = fakeServer({ code: 'same', savedAt: 20 });
    const code = new ExerciseCode('l', 'e', memoryStorage(), server);
    code.open('same');
    assert.equal(await code.reconcile(STARTER, 'same'), undefined);
    assert.deepEqual(server.pushed, []);
  });
});
