import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { LAB_TICK_EVENT, type LabTick } from '../../src/protocol/lab.ts';
import { LabRegistry, TooManyLabsError } from '../../server/lab/lab-registry.ts';
import { runLabRequest } from '../../src/protocol/request-bodies.ts';
import { parseBody } from '../../server/http/parse-body.ts';
import { HttpProblem } from '../../server/http/problem.ts';
import { advance } from './support/fake-time.ts';

const clock = {
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
};

function fakeBus() {
  const published: { channel: string; type: string; data: unknown }[] = [];
  return {
    published,
    publish(channel: string, type: string, data: unknown): Promise<ChannelEvent> {
      published.push({ channel, type, data });
      return Promise.resolve({ id: published.length, type, data, ts: Date.now() });
    },
  };
}

describe('lab registry', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000_000 }));
  afterEach(() => mock.timers.reset());

  it('gives each lab its own channel and publishes tick events on it', async () => {
    const bus = fakeBus();
    const labs = new LabRegistry({ bus, clock, random: () => 0.5 });
    const lab = labs.create();
    assert.match(lab.id, /^[A-Za-z0-9_-]{12}$/);
    assert.equal(lab.channel, `lab-${lab.id}`);

    labs.run(lab, { ratePerMinute: 60, durationMs: 5_000 });
    await advance(5_000, { stepMs: 10 });
    await Promise.resolve();
    assert.ok(bus.published.length >= 4);
    assert.ok(bus.published.every((event) => event.channel === lab.channel && event.type === LAB_TICK_EVENT));
    assert.deepEqual(
      bus.published.map((event) => (event.data as LabTick).seq),
      bus.published.map((_, index) => index + 1),
    );
    const run = lab.runState()!;
    assert.equal(run.state, 'finished');
    assert.equal(run.published, bus.published.length);
    assert.equal(run.lastEventId, bus.published.length);
  });

  it('forgets a lab left idle, but never one that is publishing', async () => {
    const labs = new LabRegistry({ bus: fakeBus(), clock, limits: { idleTtlMs: 60_000 } });
    const idle = labs.create();
    const busy = labs.create();
    labs.run(busy, { ratePerMinute: 1, durationMs: 600_000 });
    await advance(61_000, { stepMs: 10 });
    assert.equal(labs.get(idle.id), undefined);
    assert.equal(labs.get(busy.id), busy);
    labs.close();
  });

  it('keeps at most maxLabs, forgetting the least recently used idle one', () => {
    const labs = new LabRegistry({ bus: fakeBus(), clock, limits: { maxLabs: 3 } });
    const [a, b, c] = [labs.create(), labs.create(), labs.create()];
    labs.get(a.id); // a is now the most recently used
    labs.create();
    assert.equal(labs.size, 3);
    assert.equal(labs.get(b.id), undefined);
    assert.ok(labs.get(a.id) && labs.get(c.id));
  });

  it('refuses a run past maxRunning, and a restarted run does not count twice', () => {
    const labs = new LabRegistry({ bus: fakeBus(), clock, limits: { maxRunning: 1 } });
    const first = labs.create();
    labs.run(first, { ratePerMinute: 60, durationMs: 60_000 });
    labs.run(first, { ratePerMinute: 120, durationMs: 60_000 }); // replaces its own run
    assert.throws(() => labs.run(labs.create(), { ratePerMinute: 60, durationMs: 60_000 }), TooManyLabsError);
    first.stop();
    labs.run(labs.create(), { ratePerMinute: 60, durationMs: 60_000 });
    labs.close();
    assert.equal(labs.running, 0);
  });
});

/** The run request as the server checks it. */
const parseRunLab = (body: unknown) => parseBody(runLabRequest, body);

describe('run request', () => {
  it('accepts rates from one an hour to 50 a second', () => {
    assert.deepEqual(parseRunLab({ ratePerMinute: 1 / 60, durationMs: 3_600_000 }), {
      ratePerMinute: 1 / 60,
      durationMs: 3_600_000,
    });
    assert.deepEqual(parseRunLab({ ratePerMinute: 3_000, durationMs: 10_000 }), { ratePerMinute: 3_000, durationMs: 10_000 });
  });

  it('refuses what it cannot run, naming the field', () => {
    const field = (body: unknown) => {
      try {
        parseRunLab(body);
      } catch (error) {
        assert.ok(error instanceof HttpProblem);
        assert.equal(error.status, 400);
        return error.init.extensions?.field;
      }
      return assert.fail('accepted');
    };
    assert.equal(field({ ratePerMinute: 3_001, durationMs: 10_000 }), 'ratePerMinute');
    assert.equal(field({ ratePerMinute: 0.001, durationMs: 10_000 }), 'ratePerMinute');
    assert.equal(field({ ratePerMinute: '60', durationMs: 10_000 }), 'ratePerMinute');
    assert.equal(field({ ratePerMinute: 60, durationMs: 1_000 }), 'durationMs');
    assert.equal(field({ ratePerMinute: 60, durationMs: 10_000.5 }), 'durationMs');
    assert.equal(field({ ratePerMinute: 3_000, durationMs: 3_600_000 }), 'durationMs'); // 180 000 events
    assert.equal(field({ ratePerMinute: 60, durationMs: 10_000, rate: 1 }), 'rate');
  });
});
