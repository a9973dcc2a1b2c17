import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { StartJobResponse } from '../../src/protocol/jobs.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

/**
 * The routes the sandbox's learner code reads answer an opaque origin
 * (`Origin: null`, no cookie) with `Access-Control-Allow-Origin: *`, never
 * with credentials; every other route stays same-origin only.
 */
describe('cross-origin reads for the sandbox (server/http/cors.ts)', () => {
  let server: RunningServer;
  let jobId: string;
  const url = (path: string) => `${server.baseUrl}${path}`;
  const preflight = (path: string, requestHeaders = 'if-none-match') =>
    fetch(url(path), {
      method: 'OPTIONS',
      headers: { Origin: 'null', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': requestHeaders },
    });

  before(async () => {
    server = await startServer({ jobLimits: { queuedMs: 3_600_000 } });
    const started = await fetch(url(apiRoutes.jobs.path()), { method: 'POST' });
    jobId = ((await started.json()) as StartJobResponse).id;
  });
  after(() => server.stop());

  it('answers the preflight of a conditional poll with 204, the headers it may send, and no credentials', async () => {
    const response = await preflight(apiRoutes.job.path({ id: jobId }));

    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('access-control-allow-methods'), 'GET, HEAD');
    assert.equal(response.headers.get('access-control-allow-headers'), 'If-None-Match, Last-Event-ID, Content-Type');
    assert.equal(response.headers.get('access-control-max-age'), '600');
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
  });

  it('lets the sandbox read a job, its ETag, Retry-After and the server time, and a 304 alike', async () => {
    const first = await fetch(url(apiRoutes.job.path({ id: jobId })), { headers: { Origin: 'null' } });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('access-control-allow-origin'), '*');
    assert.equal(first.headers.get('access-control-expose-headers'), 'ETag, Retry-After, x-server-time');
    assert.equal(first.headers.get('access-control-allow-credentials'), null);
    const etag = first.headers.get('etag') ?? '';

    const again = await fetch(url(apiRoutes.job.path({ id: jobId })), { headers: { Origin: 'null', 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('access-control-allow-origin'), '*');
  });

  it('makes the problems of those routes readable too: an unknown job is a 404 the learner code can show', async () => {
    const response = await fetch(url(apiRoutes.job.path({ id: 'no-such-job' })), { headers: { Origin: 'null' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('opens the long poll and the SSE stream to the sandbox, preflight included', async () => {
    for (const path of [apiRoutes.longPoll.path({ channel: 'cors-lp' }), apiRoutes.sse.path({ channel: 'cors-sse' })]) {
      const answer = await preflight(path, 'last-event-id');
      assert.equal(answer.status, 204, path);
      assert.equal(answer.headers.get('access-control-allow-origin'), '*', path);
    }
    const poll = await fetch(url(apiRoutes.longPoll.path({ channel: 'cors-lp' }, { cursor: 0, timeout: 0 })), {
      headers: { Origin: 'null' },
    });
    await poll.arrayBuffer();
    assert.equal(poll.headers.get('access-control-allow-origin'), '*');

    const stream = new AbortController();
    const sse = await fetch(url(apiRoutes.sse.path({ channel: 'cors-sse' })), { headers: { Origin: 'null' }, signal: stream.signal });
    assert.equal(sse.status, 200);
    assert.equal(sse.headers.get('access-control-allow-origin'), '*');
    stream.abort();
  });

  it('keeps every other route same-origin: no CORS headers, and OPTIONS stays 501', async () => {
    const start = await fetch(url(apiRoutes.jobs.path()), { method: 'POST', headers: { Origin: 'null' } });
    assert.equal(start.status, 201);
    assert.equal(start.headers.get('access-control-allow-origin'), null);

    for (const path of [apiRoutes.jobs.path(), apiRoutes.progress.path(), apiRoutes.channelFaults.path({ channel: 'c' }), '/api/nowhere']) {
      const answer = await preflight(path);
      assert.equal(answer.status, 501, path);
      assert.equal(answer.headers.get('access-control-allow-origin'), null, path);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
    }
  });
});
