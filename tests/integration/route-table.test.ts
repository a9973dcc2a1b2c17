import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_ROUTE_LIST, apiRoutes } from '../../src/protocol/api-routes.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

/** `GET /api/jobs/:id`: one route as a line, so a difference reads at a glance. */
const line = ({ method, pattern }: { method: string; pattern: string }) => `${method} ${pattern}`;

describe('the route table (src/protocol/api-routes.ts)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('has a handler for every entry, and the server registers no route outside it', () => {
    const registered = server.app.routes().map(line).sort();
    assert.deepEqual(registered, API_ROUTE_LIST.map(line).sort());
  });

  it('builds each path by percent-encoding its parameters, with the query in the order given', () => {
    assert.equal(apiRoutes.job.path({ id: 'a b/c' }), '/api/jobs/a%20b%2Fc');
    assert.equal(apiRoutes.jobs.path(), '/api/jobs');
    assert.equal(apiRoutes.idleHop.path({ idleMs: 1500, channel: 'é' }), '/api/production/idle-hop/1500/sse/%C3%A9');
    assert.equal(apiRoutes.longPoll.path({ channel: 'c' }, { cursor: 3 }), '/api/long-poll/c?cursor=3');
    assert.equal(apiRoutes.longPoll.path({ channel: 'c' }, { cursor: 3, timeout: 0 }), '/api/long-poll/c?cursor=3&timeout=0');
  });

  it('answers a path it builds with the route it was built from', async () => {
    const health = await fetch(`${server.baseUrl}${apiRoutes.health.path()}`);
    assert.equal(health.status, 200);
    const missing = await fetch(`${server.baseUrl}${apiRoutes.job.path({ id: 'no-such-job' })}`);
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).detail, /no-such-job|job/i);
  });
});
