import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SERVER_TIME_HEADER, type Job, type StartJobResponse } from '../../src/protocol/jobs.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

describe('short polling a job', () => {
  let server: RunningServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  const startJob = async (body?: unknown): Promise<StartJobResponse> => {
    const response = await fetch(url(apiRoutes.jobs.path()), body === undefined ? { method: 'POST' } : json(body));
    assert.equal(response.status, 201);
    return (await response.json()) as StartJobResponse;
  };

  before(async () => {
    // Jobs stay queued for an hour: nothing changes between two polls unless the test changes it.
    server = await startServer({ jobLimits: { queuedMs: 3_600_000 } });
  });
  after(() => server.stop());

  it('starts a job without a body, on a channel of its own, and says where to poll', async () => {
    const response = await fetch(url(apiRoutes.jobs.path()), { method: 'POST' });
    const body = (await response.json()) as StartJobResponse;

    assert.equal(response.status, 201);
    assert.match(body.id, /^[A-Za-z0-9_-]+$/);
    assert.match(body.channel, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(response.headers.get('location'), apiRoutes.job.path({ id: body.id }));
  });

  it('answers a poll with the job, a strong ETag, no-cache and the server time', async () => {
    const { id } = await startJob({ channel: 'poll-demo', durationMs: 5_000 });
    const before = Date.now();
    const response = await fetch(url(apiRoutes.job.path({ id })));
    const job = (await response.json()) as Job;

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.headers.get('etag'), `"${id}.1"`);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.ok(Number(response.headers.get(SERVER_TIME_HEADER)) >= before);
    assert.equal(job.id, id);
    assert.equal(job.channel, 'poll-demo');
    assert.equal(job.state, 'queued');
    assert.equal(job.version, 1);
  });

  it('answers 304 with no body when If-None-Match names the current version', async () => {
    const { id } = await startJob();
    const first = await fetch(url(apiRoutes.job.path({ id })));
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';

    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
      const response = await fetch(url(apiRoutes.job.path({ id })), { headers: { 'If-None-Match': ifNoneMatch } });
      assert.equal(response.status, 304, `If-None-Match: ${ifNoneMatch}`);
      assert.equal(await response.text(), '');
      assert.equal(response.headers.get('etag'), etag);
      assert.ok(response.headers.get(SERVER_TIME_HEADER));
    }

    const stale = await fetch(url(apiRoutes.job.path({ id })), { headers: { 'If-None-Match': '"other"' } });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { id } = await startJob();
    const response = await fetch(url(apiRoutes.job.path({ id })), { method: 'HEAD' });

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('etag'), `"${id}.1"`);
    assert.ok(Number(response.headers.get('content-length')) > 0);
    assert.equal(await response.text(), '');
  });

  it('takes a note published to its channel, which changes the ETag', async () => {
    const { id, channel } = await startJob({ channel: 'notes-demo' });
    const first = await fetch(url(apiRoutes.job.path({ id })));
    await first.arrayBuffer();
    const oldEtag = first.headers.get('etag') ?? '';

    const published = await fetch(url(apiRoutes.channelEvents.path({ channel })), json({ type: 'note', data: { text: 'deploy paused' } }));
    assert.equal(published.status, 201);
    await published.arrayBuffer();

    const response = await fetch(url(apiRoutes.job.path({ id })), { headers: { 'If-None-Match': oldEtag } });
    const job = (await response.json()) as Job;
    assert.equal(response.status, 200);
    assert.equal(job.note, 'deploy paused');
    assert.equal(job.version, 2);
    assert.notEqual(response.headers.get('etag'), oldEtag);
  });

  it('publishes every change of the job as a `job` event on its channel', async () => {
    const { id } = await startJob({ channel: 'job-events-demo' });
    const read = await server.app.bus.since('job-events-demo', 0);

    assert.deepEqual(
      read.events.map((event) => [event.type, (event.data as Job).id]),
      [['job', id]],
    );
  });
});

describe('a job running to the end', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ jobLimits: { queuedMs: 0 } });
  });
  after(() => server.stop());

  it('reaches succeeded at 100 % when polled until done', { timeout: 20_000 }, async () => {
    const started = await fetch(`${server.baseUrl}${apiRoutes.jobs.path()}`, json({ durationMs: 1_000 }));
    const { id } = (await started.json()) as StartJobResponse;

    let etag = '';
    let job: Job | undefined;
    const seen = new Set<string>();
    // Poll like the widget does, stopping at a terminal state. No timing is asserted: only the end.
    while (job?.state !== 'succeeded' && job?.state !== 'failed') {
      const response = await fetch(`${server.baseUrl}${apiRoutes.job.path({ id })}`, {
        headers: etag ? { 'If-None-Match': etag } : {},
      });
      if (response.status === 200) {
        job = (await response.json()) as Job;
        etag = response.headers.get('etag') ?? '';
        seen.add(job.state);
      } else {
        assert.equal(response.status, 304);
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    assert.equal(job.state, 'succeeded');
    assert.equal(job.progress, 100);
    assert.ok(seen.has('running'));
  });

  it('fails when asked to', { timeout: 20_000 }, async () => {
    // Wait on the job's own events rather than polling: resolve on a terminal state.
    const finished = new Promise<Job>((resolve) => {
      const unsubscribe = server.app.bus.subscribe('failing-demo', (event) => {
        const job = event.data as Job;
        if (event.type === 'job' && (job.state === 'succeeded' || job.state === 'failed')) {
          unsubscribe();
          resolve(job);
        }
      });
    });
    const started = await fetch(
      `${server.baseUrl}${apiRoutes.jobs.path()}`,
      json({ channel: 'failing-demo', durationMs: 1_000, outcome: 'failed' }),
    );
    const { id } = (await started.json()) as StartJobResponse;

    const job = await finished;
    assert.equal(job.id, id);
    assert.equal(job.state, 'failed');
    const response = await fetch(`${server.baseUrl}${apiRoutes.job.path({ id })}`);
    assert.equal(((await response.json()) as Job).state, 'failed');
  });
});
