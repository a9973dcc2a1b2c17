import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILD_LIMITS, type BuildDone, type BuildProgress, type StartBuildResponse } from '../../src/protocol/builds.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { openRawStream, parseWire, type RawStream } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';

describe('a simulated build streaming over SSE', () => {
  let server: RunningServer;
  const streams: RawStream[] = [];

  before(async () => {
    server = await startServer({ buildLimits: { maxRunning: 3 } });
  });
  after(async () => {
    streams.forEach((stream) => stream.destroy());
    await server.stop();
  });

  /** Opens the channel's stream first (so nothing is missed), starts the build, and reads until `done`. */
  async function runBuild(channel: string, outcome: 'passed' | 'failed') {
    const stream = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel })}`);
    streams.push(stream);
    await waitUntil(() => server.app.openStreams(channel) === 1, 'the stream is open');

    const response = await fetch(
      `${server.baseUrl}${apiRoutes.builds.path()}`,
      postJson({ channel, durationMs: BUILD_LIMITS.minDurationMs, outcome }),
    );
    assert.equal(response.status, 201);
    const started = (await response.json()) as StartBuildResponse;
    await stream.waitFor('event: done', 10_000);
    await stream.waitFor(/event: done\n(data: .*\n)+\n/);
    const events = parseWire(stream.text()).filter((block) => block.event !== undefined);
    return { started, events };
  }

  it('streams log lines (some multi-line), progress across the steps, then done with every line counted', async () => {
    const { started, events } = await runBuild('build-passing', 'passed');

    assert.equal(started.channel, 'build-passing');
    assert.match(started.id, /^[A-Za-z0-9_-]+$/);
    const logs = events.filter((event) => event.event === 'log').map((event) => event.data ?? '');
    const lines = logs.reduce((sum, text) => sum + text.split('\n').length, 0);
    assert.equal(lines, started.totalLines);
    assert.ok(
      logs.some((text) => text.includes('\n')),
      'some log events span several lines',
    );
    assert.ok(
      logs.some((text) => text.includes('\n\n')),
      'one holds a blank line',
    );

    const progress = events.filter((event) => event.event === 'progress').map((event) => JSON.parse(event.data ?? '') as BuildProgress);
    assert.deepEqual(
      progress.map((report) => [report.step, report.percent]),
      [
        ['install', 0],
        ['lint', 20],
        ['test', 40],
        ['build', 60],
        ['deploy', 80],
        ['deploy', 100],
      ],
    );
    assert.ok(progress.every((report) => report.build === started.id));

    const last = events.at(-1);
    assert.equal(last?.event, 'done');
    const done = JSON.parse(last?.data ?? '') as BuildDone;
    assert.deepEqual(done, { build: started.id, status: 'passed', lines: started.totalLines });

    const ids = events.map((event) => Number(event.id));
    assert.deepEqual(
      ids,
      ids.map((_, index) => index + 1),
      'ids 1, 2, 3… with no gap',
    );
    assert.equal(server.app.builds.running, 0);
  });

  it('fails at the test step with a stack trace, and still counts every line', async () => {
    const { started, events } = await runBuild('build-failing', 'failed');

    const logs = events.filter((event) => event.event === 'log').map((event) => event.data ?? '');
    assert.equal(
      logs.reduce((sum, text) => sum + text.split('\n').length, 0),
      started.totalLines,
    );
    assert.ok(logs.some((text) => /AssertionError[\s\S]*\n\s+at /.test(text)));
    const done = JSON.parse(events.at(-1)?.data ?? '') as BuildDone;
    assert.deepEqual(done, { build: started.id, status: 'failed', lines: started.totalLines });
    assert.ok(!events.some((event) => event.data?.includes('"step":"deploy"')));
  });

  it('starts with no body on a channel of its own', async () => {
    const response = await fetch(`${server.baseUrl}${apiRoutes.builds.path()}`, { method: 'POST' });
    const started = (await response.json()) as StartBuildResponse;
    assert.equal(response.status, 201);
    assert.match(started.channel, /^build-[A-Za-z0-9_-]+$/);
    assert.ok(started.totalLines > 0);
  });

  for (const [name, body, field] of [
    ['durationMs below 2 000', { durationMs: 1_999 }, 'durationMs'],
    ['durationMs above 120 000', { durationMs: 120_001 }, 'durationMs'],
    ['an unknown outcome', { outcome: 'succeeded' }, 'outcome'],
    ['an unknown member', { duration: 5_000 }, 'duration'],
    ['a bad channel', { channel: 'a b' }, 'channel'],
  ] as const) {
    it(`refuses ${name} with a 400 naming the member`, async () => {
      const response = await fetch(`${server.baseUrl}${apiRoutes.builds.path()}`, postJson(body));
      const problem = (await response.json()) as ProblemDetails;
      assert.equal(response.status, 400);
      assert.equal(problem.field, field);
    });
  }

  it('answers 503 with Retry-After when too many builds are running', async () => {
    // The two builds of the tests above have finished; one more holds a slot, then three are running.
    for (let started = server.app.builds.running; started < 3; started += 1) {
      const response = await fetch(`${server.baseUrl}${apiRoutes.builds.path()}`, postJson({ durationMs: 60_000 }));
      assert.equal(response.status, 201);
      await response.arrayBuffer();
    }
    const response = await fetch(`${server.baseUrl}${apiRoutes.builds.path()}`, { method: 'POST' });
    const problem = (await response.json()) as ProblemDetails;
    assert.equal(response.status, 503);
    assert.equal(problem.type, PROBLEM_TYPES.tooManyBuilds);
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
  });
});
