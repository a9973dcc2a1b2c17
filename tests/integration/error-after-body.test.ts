import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE } from '../../src/protocol/problem.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { postJson } from './helpers/post-json.ts';

/** A bus with a bug: every publish fails, after the route has read the request's body. */
class BrokenBus extends InMemoryEventBus {
  override publish(): never {
    throw new TypeError('a bug in the bus');
  }
}

describe('an unexpected error after the body was read', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ bus: new BrokenBus() });
  });
  after(() => server.stop());

  it('is answered with a logged 500 problem, not a cut connection (a read body leaves the request "destroyed")', async () => {
    const response = await fetch(
      `${server.baseUrl}${apiRoutes.channelEvents.path({ channel: 'broken' })}`,
      postJson({ type: 'note', data: { text: 'x' } }),
    );
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(((await response.json()) as { status: number }).status, 500);
    assert.equal(server.errors.length, 1);
    assert.match(server.errors[0]!, /Unexpected error while answering POST \/api\/channels\/broken\/events.*a bug in the bus/s);
  });
});
