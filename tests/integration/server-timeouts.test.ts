import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnServer } from '../harness/spawn-server.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { TestSocket } from './helpers/websocket-client.ts';

/** A raw connection that writes `start` and collects what comes back until the server closes it. */
function openRaw(baseUrl: string, start: string): { socket: Socket; closed: Promise<string> } {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname, () => socket.write(start));
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  socket.on('error', () => {});
  return { socket, closed };
}

/** Comfortably longer than the shortened request timeout below, whatever the check interval. */
const WELL_PAST_TIMEOUT_MS = 1_500;

describe('server timeouts', () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 400, checkIntervalMs: 50 } });
  });
  after(() => server.stop());

  it('ends a request whose body comes too slowly with a 408 problem', async () => {
    const { socket, closed } = openRaw(
      server.baseUrl,
      'POST /api/channels/slow/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"ty',
    );
    // One more byte now and then: the connection is never idle, the request is never complete.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
    try {
      const answer = await closed;
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(answer, /application\/problem\+json/);
    } finally {
      clearInterval(trickle);
    }
  });

  it('ends a request whose headers never finish with a 408 problem', async () => {
    const { closed } = openRaw(server.baseUrl, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    assert.match(await closed, /^HTTP\/1\.1 408 /);
  });

  it('never cuts what is long-lived by design: an SSE stream, a held long poll, a WebSocket', async () => {
    const stream = openRaw(server.baseUrl, 'GET /api/sse/timeouts HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const poll = fetch(`${server.baseUrl}/api/long-poll/timeouts-poll?cursor=0&timeout=${WELL_PAST_TIMEOUT_MS}`);
    const socket = await TestSocket.connect(server.baseUrl);
    try {
      await delay(WELL_PAST_TIMEOUT_MS);
      // The long poll was held for its own timeout and answered, not cut.
      assert.equal((await poll).status, 204);
      assert.equal(stream.socket.destroyed, false, 'the SSE stream is still open');
      socket.send({ type: 'subscribe', channel: 'timeouts', cursor: 0 });
      assert.equal((await socket.next('subscribed')).channel, 'timeouts');
      assert.deepEqual(server.errors, []);
    } finally {
      stream.socket.destroy();
      await socket.close();
    }
  });
});

describe('graceful shutdown with a client that sends slowly', () => {
  it('ends the stragglers and exits 0, well before the grace period', { timeout: 30_000 }, async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '20000' });
    const body = openRaw(
      server.baseUrl,
      'POST /api/channels/slow/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"ty',
    );
    const headers = openRaw(server.baseUrl, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => body.socket.writable && body.socket.write(' '), 100);
    try {
      // Both connections are accepted and their first bytes read before the signal.
      await delay(300);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      assert.match(server.output(), /Ended 2 connection\(s\) whose client was still sending a request/);
      assert.match(server.output(), /Drained/);
      await Promise.all([body.closed, headers.closed]);
    } finally {
      clearInterval(trickle);
      server.child.kill('SIGKILL');
    }
  });
});
