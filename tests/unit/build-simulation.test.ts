import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildDone } from '../../src/protocol/builds.ts';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { buildScript, countLines } from '../../server/builds/build-script.ts';
import { BuildSimulation, TooManyBuildsError } from '../../server/builds/build-simulation.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';

describe('buildScript', () => {
  it('goes through every step when it passes, and stops after the tests when it fails', () => {
    const steps = (outcome: 'passed' | 'failed') =>
      buildScript('b1', outcome).flatMap((action) => (action.kind === 'progress' ? [action.step] : []));
    assert.deepEqual(steps('passed'), ['install', 'lint', 'test', 'build', 'deploy', 'deploy']);
    assert.deepEqual(steps('failed'), ['install', 'lint', 'test']);
  });

  it('counts lines the way an SSE client joins them', () => {
    assert.equal(countLines('one'), 1);
    assert.equal(countLines('a\nb\r\nc\rd'), 4);
    assert.equal(countLines('a\n\nb'), 3);
  });
});

describe('BuildSimulation', () => {
  it('publishes the whole script, then done with lines equal to totalLines', async () => {
    const bus = new InMemoryEventBus();
    const builds = new BuildSimulation({ bus });
    const events: ChannelEvent[] = [];
    const finished = new Promise<void>((resolve) =>
      bus.subscribe('ci', (event) => {
        events.push(event);
        if (event.type === 'done') resolve();
      }),
    );
    const started = builds.start({ channel: 'ci', durationMs: 100, outcome: 'passed' });
    assert.equal(builds.running, 1);
    assert.equal(events.length, 0, 'nothing is published before the first step');

    await finished;
    const lines = events.filter((event) => event.type === 'log').reduce((sum, event) => sum + countLines(event.data as string), 0);
    assert.equal(lines, started.totalLines);
    assert.deepEqual(events.at(-1)?.data as BuildDone, { build: started.id, status: 'passed', lines });
    assert.equal(builds.running, 0);
    builds.close();
  });

  it('refuses a build past maxRunning, and close() stops them all', () => {
    const builds = new BuildSimulation({ bus: new InMemoryEventBus(), limits: { maxRunning: 1 } });
    builds.start({ channel: 'ci', durationMs: 60_000, outcome: 'passed' });
    assert.throws(() => builds.start({ channel: 'ci', durationMs: 60_000, outcome: 'passed' }), TooManyBuildsError);
    builds.close();
    assert.equal(builds.running, 0);
  });
});
