import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { IDLE_HOP_HEADER, IDLE_HOP_VIA } from '../../src/protocol/production.ts';
import { SSE_HEARTBEAT } from '../../src/protocol/sse.ts';
import { openRawStream } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { withTimeout } from './helpers/websocket-client.ts';

describe('the idle-killing hop', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());
  const hop = (idleMs: number, channel: string, query = '') => `${server.baseUrl}${apiRoutes.idleHop.path({ idleMs, channel })}${query}`;

  it('forwards the SSE stream, marked with Via, and cuts it after idleMs without a byte', async () => {
    // heartbeat=60000: the longest the endpoint allows, so nothing comes before the hop gives up.
    const stream = await openRawStream(hop(1_000, 'hop-quiet', '?heartbeat=60000'));
    const openedAt = performance.now();
    assert.equal(stream.response.statusCode, 200);
    assert.match(String(stream.response.headers['content-type']), /^text\/event-stream/);
    assert.equal(stream.response.headers.via, IDLE_HOP_VIA);
    assert.equal(stream.response.headers[IDLE_HOP_HEADER], '1000');
    await stream.waitFor('retry: 2000\n\n');
    const { clean } = await withTimeout(stream.ended, 'the hop to cut the idle stream');
    const lastedMs = performance.now() - openedAt;
    // Cut, not ended: no last chunk, as behind nginx when proxy_read_timeout passes.
    assert.equal(clean, false);
    assert.ok(lastedMs >= 900 && lastedMs < 3_000, `cut after ${Math.round(lastedMs)} ms`);
    await waitUntil(() => server.app.openStreams('hop-quiet') === 0, 'the upstream stream to be released');
    assert.ok(server.app.production.idleHop.cuts >= 1);
  });

  it('keeps a stream that heartbeats more often than the limit', async () => {
    const stream = await openRawStream(hop(1_500, 'hop-heartbeat', '?heartbeat=1000'));
    await stream.waitFor(SSE_HEARTBEAT);
    await new Promise((resolve) => setTimeout(resolve, 3_200)); // twice the limit, and more
    assert.equal(stream.response.complete, false);
    assert.ok(!stream.response.destroyed, 'the stream is still open');
    assert.ok(stream.text().split(SSE_HEARTBEAT).length - 1 >= 3, 'heartbeats went through the hop');
    stream.destroy();
    await waitUntil(() => server.app.production.idleHop.open() === 0, 'the hop to let go of the connection');
    await waitUntil(() => server.app.openStreams('hop-heartbeat') === 0, 'the upstream stream to be released');
  });

  it('counts events as traffic too, and passes Last-Event-ID on for resume', async () => {
    const channel = 'hop-events';
    for (const n of [1, 2, 3])
      await (await fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type: 'n', data: n }))).arrayBuffer();
    const stream = await openRawStream(hop(1_000, channel, '?heartbeat=60000'), { 'Last-Event-ID': '1' });
    await stream.waitFor('id: 3\n');
    assert.match(stream.text(), /: resuming after Last-Event-ID 1\n\nid: 2\n/);
    for (let index = 0; index < 4; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await (
        await fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type: 'n', data: 'tick' }))
      ).arrayBuffer();
    }
    assert.ok(!stream.response.destroyed, 'events every 600 ms kept the 1 s hop open');
    const { clean } = await withTimeout(stream.ended, 'the hop to cut the stream once events stop');
    assert.equal(clean, false);
  });

  it('refuses an idle limit out of range', async () => {
    for (const idleMs of ['10', '999999', 'abc']) {
      const response = await fetch(`${server.baseUrl}/api/production/idle-hop/${idleMs}/sse/x`);
      assert.equal(response.status, 400, idleMs);
      await response.arrayBuffer();
    }
  });
});
