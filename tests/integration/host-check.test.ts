import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { PROBLEM_CONTENT_TYPE } from '../../src/protocol/problem.ts';
import { createApp } from '../../server/app.ts';
import { ConfigError, readConfig } from '../../server/config.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Whether the server switched protocols (101). */
  upgraded: boolean;
}

/** Sends `path` with the given `Host` header, as a page on a rebinding domain would; `upgrade` asks for a WebSocket. */
function requestWithHost(baseUrl: string, host: string, path: string, upgrade = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: host };
    if (upgrade) {
      Object.assign(headers, {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        Origin: `http://${host}`,
      });
    }
    const request = httpRequest(`${baseUrl}${path}`, { headers, agent: false });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, text: '', upgraded: true });
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text, upgraded: false }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('Host check (DNS rebinding)', () => {
  let server: RunningServer;
  let port: string;

  before(async () => {
    server = await startServer({ config: { allowedHosts: ['workbook.example.com'] } });
    port = new URL(server.baseUrl).port;
  });
  after(() => server.stop());

  it('refuses a request for a name the server is not reached at with a 421 problem', async () => {
    const answer = await requestWithHost(server.baseUrl, `rebind.evil.example:${port}`, '/healthz');
    assert.equal(answer.status, 421);
    assert.equal(answer.headers['content-type'], PROBLEM_CONTENT_TYPE);
    assert.match((JSON.parse(answer.text) as { detail: string }).detail, /rebind\.evil\.example/);
    assert.deepEqual(server.errors, []);
  });

  it('refuses the WebSocket upgrade from such a page: 421 and no socket', async () => {
    const answer = await requestWithHost(server.baseUrl, `rebind.evil.example:${port}`, '/ws', true);
    assert.equal(answer.upgraded, false);
    assert.equal(answer.status, 421);
    assert.equal(answer.headers['content-type'], PROBLEM_CONTENT_TYPE);
    assert.equal(server.app.openWebSockets(), 0);
  });

  it('accepts the loopback names, whatever the port a proxy in front passes on', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', 'LOCALHOST.:8080']) {
      const answer = await requestWithHost(server.baseUrl, host, '/healthz');
      assert.equal(answer.status, 200, host);
    }
    const socket = await requestWithHost(server.baseUrl, `localhost:${port}`, '/ws', true);
    assert.equal(socket.status, 101);
  });

  it('accepts the names of ALLOWED_HOSTS, and not their subdomains', async () => {
    assert.equal((await requestWithHost(server.baseUrl, 'workbook.example.com', '/healthz')).status, 200);
    assert.equal((await requestWithHost(server.baseUrl, 'evil.workbook.example.com', '/healthz')).status, 421);
    assert.equal((await requestWithHost(server.baseUrl, 'workbook.example.com.evil.example', '/healthz')).status, 421);
  });

  it('refuses a Host that is not a host name at all', async () => {
    for (const host of ['user@localhost', 'localhost/x', 'local host']) {
      const answer = await requestWithHost(server.baseUrl, host, '/healthz').catch(() => undefined);
      // Node itself may refuse some of these as malformed: either way, never served.
      if (answer) assert.notEqual(answer.status, 200, host);
    }
  });

  it('with HOST=0.0.0.0, also accepts the machine’s own addresses (a workshop on the LAN)', async () => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
    const app = createApp({ ...readConfig({ API_ONLY: '1' }), dataDir: ':memory:', host: '0.0.0.0', port: 0 });
    await app.ready();
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      if (lan) assert.equal((await requestWithHost(baseUrl, `${lan}:4321`, '/healthz')).status, 200, lan);
      assert.equal((await requestWithHost(baseUrl, 'rebind.evil.example:4321', '/healthz')).status, 421);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with an ALLOWED_HOSTS entry that is not a host name', () => {
    assert.throws(
      () => readConfig({ ALLOWED_HOSTS: 'workbook.example.com, https://x.example/' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /ALLOWED_HOSTS has "https:\/\/x\.example\/"/);
        return true;
      },
    );
    assert.deepEqual(readConfig({ ALLOWED_HOSTS: 'Workbook.Example.com:443, 10.0.0.5' }).allowedHosts, [
      'workbook.example.com',
      '10.0.0.5',
    ]);
  });
});
