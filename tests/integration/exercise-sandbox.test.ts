import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

/** The frame that runs a learner's code: a document with a policy of its own (server/routes/exercise-sandbox.ts). */
describe('GET /api/exercise-sandbox', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('answers a page whose policy sandboxes it, runs only its own script and blob workers, and connects only here', async () => {
    const response = await fetch(`${server.baseUrl}${apiRoutes.exerciseSandbox.path()}`);
    const html = await response.text();
    const policy = response.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    const host = new URL(server.baseUrl).host;

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(script, /new Worker\(/);
    assert.deepEqual(policy.split('; '), [
      "default-src 'none'",
      `script-src 'sha256-${hash}' blob:`,
      'worker-src blob:',
      `connect-src http://${host} ws://${host}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'self'",
      'sandbox allow-scripts',
    ]);
  });
});
