import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createExerciseRunModel, type ExerciseRunDeps, MAX_OUTPUT_LINES } from '../../src/exercises/exercise-run-model.ts';
import type { SandboxEnd, SandboxListener } from '../../src/exercises/sandbox-runner.ts';
import type { ExerciseRun, ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import { type Deferred, deferred } from './support/deferred.ts';
import { advance, settle } from './support/fake-time.ts';

const RUN: ExerciseRun = {
  id: 'run-1',
  lesson: 'long-polling',
  exercise: 'cursor-loop',
  channel: 'exercise-run-1',
  urls: { poll: 'http://127.0.0.1/api/long-poll/exercise-run-1' },
  startedAt: 0,
  endsAt: 60_000,
};

function verdict(state: ExerciseVerdict['state'], verifiedAt?: number): ExerciseVerdict {
  const check = { id: 'cursor', title: 'Sent the cursor', state: state === 'running' ? 'pending' : state, detail: '' } as const;
  return { run: RUN, state, checks: [check], requests: 3, ...(verifiedAt === undefined ? {} : { verifiedAt }) };
}

/** A server and a sandbox the test drives: the code ends when the test says, the answers are the test's. */
function fakes(overrides: Partial<ExerciseRunDeps> = {}) {
  const ended: Deferred<SandboxEnd> = deferred();
  const calls = { reads: 0, stops: 0, passes: 0, code: '' };
  let listener: SandboxListener = () => {};
  const frames: (() => void)[] = [];
  const deps: ExerciseRunDeps = {
    start: async () => RUN,
    read: async () => {
      calls.reads += 1;
      return verdict('running');
    },
    finish: async () => verdict('passed', 1),
    sandbox: (code, _run, onMessage) => {
      calls.code = code;
      listener = onMessage;
      return { ended: ended.promise, stop: () => void (calls.stops += 1) };
    },
    onPassed: () => void (calls.passes += 1),
    nextFrame: (flush) => void frames.push(flush),
    ...overrides,
  };
  const paint = () => {
    for (const flush of frames.splice(0)) flush();
  };
  return { deps, ended, calls, send: (message: Parameters<SandboxListener>[0]) => listener(message), paint };
}

describe('a coded exercise’s run', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('starts a run, runs the code, reads the checks while it goes, and ends with the server’s verdict', async () => {
    const { deps, ended, calls, send, paint } = fakes();
    const model = createExerciseRunModel(deps);
    const running = model.run('await run.poll();');
    await settle();
    assert.equal(model.phase.value, 'running');
    assert.equal(calls.code, 'await run.poll();');
    send({ kind: 'requests', count: 3 });
    send({ kind: 'log', text: 'got 1' });
    await advance(2_000, { stepMs: 1_000 });
    assert.equal(calls.reads, 2);
    assert.equal(model.verdict.value?.state, 'running');
    assert.equal(model.requests.value, 3);

    ended.resolve('returned');
    await running;
    paint();
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.verdict.value?.state, 'passed');
    assert.equal(model.status.value, 'Passed: all 1 checks, verified by the server.');
    assert.deepEqual(
      model.output.value.map((line) => line.text),
      ['got 1', 'Your code returned.'],
    );
    assert.equal(calls.passes, 1);
    await advance(3_000, { stepMs: 1_000 });
    assert.equal(calls.reads, 2, 'no reading after the end');
  });

  it('says why when no run could be started, and runs no code', async () => {
    const { deps, calls } = fakes({
      start: async () => {
        throw new Error('Too many runs at once');
      },
    });
    const model = createExerciseRunModel(deps);
    await model.run('x');
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.status.value, 'Could not start a run: Too many runs at once');
    assert.equal(calls.code, '');
  });

  it('counts no pass for a failed verdict, and says it', async () => {
    const { deps, ended, calls } = fakes({ finish: async () => verdict('failed') });
    const model = createExerciseRunModel(deps);
    const running = model.run('x');
    await settle();
    model.stop();
    assert.equal(calls.stops, 1);
    ended.resolve('stopped');
    await running;
    assert.equal(calls.passes, 0);
    assert.equal(model.status.value, 'Not yet: 1 of 1 checks failed.');
  });

  it('paints a burst of lines once, and keeps only the last ones', async () => {
    const { deps, ended, send, paint } = fakes();
    const model = createExerciseRunModel(deps);
    const running = model.run('x');
    await settle();
    for (let line = 1; line <= MAX_OUTPUT_LINES + 50; line += 1) send({ kind: 'log', text: String(line) });
    assert.equal(model.output.value.length, 0, 'not before the frame');
    paint();
    assert.equal(model.output.value.length, MAX_OUTPUT_LINES);
    assert.equal(model.output.value[0]?.text, '51');
    ended.resolve('returned');
    await running;
  });

  it('takes no second run while one goes', async () => {
    let starts = 0;
    const { deps, ended } = fakes({
      start: async () => {
        starts += 1;
        return RUN;
      },
    });
    const model = createExerciseRunModel(deps);
    const running = model.run('x');
    await model.run('y');
    ended.resolve('returned');
    await running;
    assert.equal(starts, 1);
  });
});
