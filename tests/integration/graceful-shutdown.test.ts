import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer } from '../harness/start-server.ts';

const body = JSON.stringify({ type: 'note', data: { text: 'sent during the shutdown' } });

/**
 * Starts a POST whose body is held back. `Expect: 100-continue` makes the
 * server answer "100 Continue" when its handler starts (Node does so when
 * there is no 'checkContinue' listener), so once `started` resolves the
 * request is truly in flight on the server.
 */
function startSlowPost(baseUrl: string, agent: Agent) {
  let request!: ClientRequest;
  const response = new Promise<{ message: IncomingMessage; text: string }>((resolve, reject) => {
    request = httpRequest(`${baseUrl}/api/channels/shutdown/events`, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        Expect: '100-continue',
      },
    });
    request.on('response', (message) => {
      let text = '';
      message.setEncoding('utf8');
      message.on('data', (chunk: string) => (text += chunk));
      message.on('end', () => resolve({ message, text }));
    });
    request.on('error', reject);
    request.flushHeaders();
  });
  const started = new Promise<void>((resolve) => request.once('continue', () => resolve()));
  // Handled here so a test that fails early (and kills the server) does not also report an unhandled rejection.
  response.catch(() => {});
  return { request, started, response };
}

function connectionRefused(baseUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown', () => {
  it('finishes the request in flight on SIGTERM, refuses new connections, then exits 0', { timeout: 30_000 }, async () => {
    // A long grace period: if draining hung, the test would time out instead of passing on a forced exit.
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '60000' });
    const agent = new Agent({ keepAlive: true });
    try {
      // An idle keep-alive connection must not hold the shutdown open.
      const idle = await fetch(`${server.baseUrl}/healthz`);
      await idle.arrayBuffer();
      const keptAlive = await new Promise<IncomingMessage>((resolve) => httpRequest(`${server.baseUrl}/healthz`, { agent }, resolve).end());
      keptAlive.resume();
      await new Promise((resolve) => keptAlive.on('end', resolve));

      const slow = startSlowPost(server.baseUrl, agent);
      await slow.started;

      server.child.kill('SIGTERM');
      await server.waitForLine(/SIGTERM received: draining/);
      // Printed right after the listening socket closed: from then on, connecting must fail.
      await server.waitForLine(/Stopped accepting connections; waiting for 1 request\(s\) in flight/);
      assert.equal(await connectionRefused(server.baseUrl), true, 'new connections are refused while draining');

      slow.request.end(body);
      const { message, text } = await slow.response;
      assert.equal(message.statusCode, 201);
      assert.equal(message.headers.connection, 'close');
      assert.equal((JSON.parse(text) as { id: number }).id, 1);

      assert.equal(await server.exited, 0);
      assert.match(server.output(), /Drained/);
    } finally {
      agent.destroy();
      server.child.kill('SIGKILL');
    }
  });

  it('gives up after SHUTDOWN_GRACE_MS on a request that never finishes, and exits 1', { timeout: 30_000 }, async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '300' });
    const agent = new Agent();
    try {
      const stuck = startSlowPost(server.baseUrl, agent);
      await stuck.started;

      server.child.kill('SIGTERM');

      assert.equal(await server.exited, 1);
      assert.match(server.output(), /Still busy after 300 ms/);
    } finally {
      agent.destroy();
      server.child.kill('SIGKILL');
    }
  });

  it('refuses to start with an invalid configuration, saying which variable is wrong', { timeout: 30_000 }, async () => {
    await assert.rejects(spawnServer({ PORT: 'eighty', SHUTDOWN_GRACE_MS: '-1' }), (error: Error) => {
      assert.match(error.message, /PORT="eighty"/);
      assert.match(error.message, /SHUTDOWN_GRACE_MS="-1"/);
      return true;
    });
  });

  it('reports not ready while draining, yet stays alive and keeps answering', async () => {
    const server = await startServer();
    try {
      const ready = await fetch(`${server.baseUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true });

      server.app.beginDraining();

      const draining = await fetch(`${server.baseUrl}/readyz`);
      assert.equal(draining.status, 503);
      assert.deepEqual(await draining.json(), { ready: false, reason: 'draining for a shutdown' });
      assert.equal(draining.headers.get('connection'), 'close');
      assert.equal(server.app.draining.aborted, true);
      const alive = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(alive.status, 200);
      assert.deepEqual(await alive.json(), { status: 'ok' });
    } finally {
      await server.stop();
    }
  });

  it('stops every job timer on close, so nothing runs afterwards', async () => {
    const server = await startServer();
    const started = await fetch(`${server.baseUrl}/api/jobs`, { method: 'POST' });
    const { id } = (await started.json()) as { id: string };
    assert.ok(server.app.jobs.get(id));

    await server.stop();

    assert.equal(server.app.jobs.size, 0);
    assert.equal(server.app.server.listening, false);
  });
});
